using System.Diagnostics;
using System.Text;
using TypedBatch.LoadTests.Clients;

namespace TypedBatch.LoadTests.Scenarios;

/// <summary>One rate limit the emulator enforces.</summary>
/// <param name="Key">The name on the command line.</param>
/// <param name="Title">The name in the table.</param>
/// <param name="Rpm">Requests per minute enforced (0: none).</param>
/// <param name="Tpm">Tokens per minute enforced (0: none).</param>
/// <param name="Requests">Items at scale 1.</param>
internal sealed record LimitCase(string Key, string Title, int Rpm, int Tpm, int Requests);

/// <summary>
/// "At the limit": a fresh emulator per run enforcing one limit with 40 ms + 0–20 ms latency; each client sends every
/// item at the same concurrency. Reported: items delivered, 429s (from the emulator's counters), items that saw a 429
/// and wall time against the ideal the limit allows.
/// </summary>
internal static class LimitScenario
{
    public const int LatencyMs = 40;
    public const int JitterMs = 20;

    public static readonly LimitCase[] Cases =
    [
        new("rpm3000", "3,000 RPM", 3_000, 0, 1_000),
        new("rpm12000", "12,000 RPM", 12_000, 0, 2_000),
        new("tpm", "600,000 TPM (max_tokens 100)", 0, 600_000, 1_250),
    ];

    private static readonly string[] DefaultClients = [ClientFactory.TypedBatch, ClientFactory.TypedBatchConfigured, ClientFactory.OpenAISdk, ClientFactory.Meai];

    public static async Task<string> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        int concurrency = options.Concurrency ?? 64;
        int repeat = options.Repeat ?? 1;
        IReadOnlyList<string> clients = options.Clients ?? DefaultClients;
        LimitCase[] cases = [.. options.Cases.Select(key => Cases.FirstOrDefault(c => c.Key == key) ?? throw new ArgumentException($"Unknown case '{key}'."))];

        await WarmUpClientsAsync(clients, concurrency, cancellationToken);

        var table = new MarkdownTable("Case", "Client", "Delivered", "Attempts", "429s", "429s / item", "Items that saw a 429", "Wall", "Ideal", "Wall ÷ ideal", "Targets", "Others' CPU");
        var notes = new StringBuilder();
        var emulatorCommands = new List<string>();
        int tokensPerRequest = 0;
        int run = 0;
        foreach (LimitCase limit in cases)
        {
            int requests = Math.Max(1, (int)Math.Round(limit.Requests * options.Scale));
            foreach (string kind in clients)
            {
                for (int r = 0; r < repeat; r++)
                {
                    run++;
                    LimitRun result = await RunOnceAsync(limit, kind, requests, concurrency, options, $"gpt-4o-mini-run{run}", cancellationToken);
                    if (!emulatorCommands.Contains(result.EmulatorCommand))
                    {
                        emulatorCommands.Add(result.EmulatorCommand);
                    }

                    tokensPerRequest = result.TokensPerRequest;
                    table.Add(limit.Title, result.Client, $"{result.Outcome.Succeeded}/{requests}", Fmt.N0(result.Counters.Received), Fmt.N0(result.Counters.RateLimited),
                        Fmt.F(result.Counters.RateLimited / (double)requests, 3), Fmt.Percent(result.Counters.ItemsRejected / (double)requests),
                        result.TimedOut ? $"> {Fmt.Seconds(result.Wall)} (timed out)" : Fmt.Seconds(result.Wall), Fmt.Seconds(result.Ideal), Fmt.Ratio(result.Wall / result.Ideal) + (result.Outcome.Succeeded < requests ? " (items lost)" : ""), result.Verdict, Fmt.F(result.OthersCores, 2));
                    Console.WriteLine($"{limit.Title,-30} {result.Client,-32} delivered {result.Outcome.Succeeded}/{requests}, 429s {result.Counters.RateLimited}, items with 429 {result.Counters.ItemsRejected}, wall {Fmt.Seconds(result.Wall)} / ideal {Fmt.Seconds(result.Ideal)} = {Fmt.Ratio(result.Wall / result.Ideal)} [{result.Verdict}], others used {Fmt.F(result.OthersCores, 2)} cores");
                    if (result.Outcome.FirstError is { } firstError)
                    {
                        notes.Append("- ").Append(limit.Title).Append(", ").Append(result.Client).Append(": ").Append(result.Outcome.Failed).Append(" failed; first: `")
                            .Append(Shorten(firstError)).AppendLine("`");
                    }
                }
            }
        }

        return $"""
            Emulator per run (a fresh process, so every run starts with a full bucket): `{string.Join("`, `", emulatorCommands)}`.
            Latency {LatencyMs} ms + uniform 0–{JitterMs} ms (mean L = {LatencyMs + (JitterMs / 2.0)} ms); {concurrency} requests in flight for every client; every item has its own prompt.
            Ideal = (N − B) / r + L: r is the limit per second (RPM/60 requests, or TPM/60 tokens at c tokens per request,
            c = prompt tokens + max_tokens as the emulator counts them: {tokensPerRequest} here), B the one-second burst the emulator's bucket
            starts with (RPM/60 requests or TPM/60 tokens). A run that lost items can finish under the ideal: the lost items were never served.
            Targets: 100 % delivered, ≤ 1 % of items see a 429, wall ≤ 1.03 × ideal. "Others' CPU": cores used by other processes
            on this shared machine during the run (`/proc/stat` busy time minus the client's and the emulator's), after waiting
            for it to fall below {options.QuietBelow} cores (at most {options.QuietWait.TotalSeconds} s) before the run.

            {table}
            {(notes.Length > 0 ? "Failures:\n\n" + notes : "")}
            """;
    }

    private static async Task<LimitRun> RunOnceAsync(LimitCase limit, string kind, int requests, int concurrency, LoadOptions options, string model, CancellationToken cancellationToken)
    {
        var settings = new EmulatorSettings(limit.Rpm, limit.Tpm, LatencyMs, JitterMs);
        await using EmulatorProcess emulator = await EmulatorProcess.StartAsync(settings, Pinning.EmulatorCore, cancellationToken);
        int tokensPerRequest = await WarmUpEmulatorAsync(emulator, cancellationToken);
        TimeSpan ideal = Ideal(limit, requests, tokensPerRequest);

        await options.WaitForQuietAsync(cancellationToken);
        await emulator.ResetStatsAsync(cancellationToken);
        EmulatorCounters before = await emulator.GetStatsAsync(cancellationToken);
        string[] topics = Workload.Topics(requests);
        await using IClientRunner client = ClientFactory.Create(kind, emulator.BaseUrl, model, concurrency, (NullIfZero(limit.Rpm), NullIfZero(limit.Tpm)));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(120, 5 * ideal.TotalSeconds)));
        var others = new OthersLoadMeter(emulator);
        var stopwatch = Stopwatch.StartNew();
        RunOutcome outcome;
        bool timedOut = false;
        try
        {
            outcome = await client.RunAsync(topics, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
            outcome = new RunOutcome(0, requests, "timed out");
        }

        TimeSpan wall = stopwatch.Elapsed;
        double othersCores = others.OthersCores();
        EmulatorCounters after = await emulator.GetStatsAsync(cancellationToken);
        var counters = new EmulatorCounters(after.Received - before.Received, after.Accepted - before.Accepted, after.RateLimited - before.RateLimited, after.ItemsRejected, after.MaxConcurrent);
        return new LimitRun(client.Name, emulator.CommandLine, outcome, counters, wall, ideal, timedOut, requests, othersCores, tokensPerRequest);
    }

    /// <summary>The ideal time for <paramref name="requests"/> under the case's limit (see the report's formula).</summary>
    public static TimeSpan Ideal(LimitCase limit, int requests, int tokensPerRequest)
    {
        double latency = (LatencyMs + (JitterMs / 2.0)) / 1000;
        double byRequests = limit.Rpm > 0 ? Math.Max(0, requests - Math.Max(1, limit.Rpm / 60.0)) / (limit.Rpm / 60.0) : 0;
        double byTokens = limit.Tpm > 0 ? Math.Max(0, ((double)requests * tokensPerRequest) - (limit.Tpm / 60.0)) / (limit.Tpm / 60.0) : 0;
        return TimeSpan.FromSeconds(Math.Max(byRequests, byTokens) + latency);
    }

    /// <summary>
    /// JIT-compiles every client's path once, against an unthrottled emulator, before anything is measured (each
    /// measured run then uses a new client instance and a model name of its own, so no learned limit carries over).
    /// </summary>
    private static async Task WarmUpClientsAsync(IReadOnlyList<string> clients, int concurrency, CancellationToken cancellationToken)
    {
        await using EmulatorProcess emulator = await EmulatorProcess.StartAsync(new EmulatorSettings(), Pinning.EmulatorCore, cancellationToken);
        foreach (string kind in clients)
        {
            await using IClientRunner client = ClientFactory.Create(kind, emulator.BaseUrl, "warm-up", concurrency);
            await client.RunAsync(Workload.Topics(200), cancellationToken);
        }
    }

    /// <summary>
    /// Sends a few requests so that the emulator's own code is compiled, learns what one request costs in tokens, and
    /// waits until the bucket (one second's budget) is full again.
    /// </summary>
    private static async Task<int> WarmUpEmulatorAsync(EmulatorProcess emulator, CancellationToken cancellationToken)
    {
        await using var raw = new RawHttpRunner(emulator.BaseUrl, "warm-up", 1);
        RawUsage usage = await raw.SendAsync(Workload.Topics(1)[0], cancellationToken);
        for (int i = 0; i < 3; i++)
        {
            await raw.SendAsync(Workload.Topics(1)[0], cancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        return usage.PromptTokens + Workload.MaxTokens;
    }

    private static int? NullIfZero(int value) => value > 0 ? value : null;

    private static string Shorten(string text) => (text.Length > 240 ? text[..240] + "…" : text).Replace('`', '\'').Replace('\n', ' ');

    private sealed record LimitRun(string Client, string EmulatorCommand, RunOutcome Outcome, EmulatorCounters Counters, TimeSpan Wall, TimeSpan Ideal, bool TimedOut, int Requests, double OthersCores, int TokensPerRequest)
    {
        public string Verdict
        {
            get
            {
                var missed = new List<string>();
                if (Outcome.Succeeded < Requests)
                {
                    missed.Add("delivery");
                }

                if (Counters.ItemsRejected > Requests / 100.0)
                {
                    missed.Add("429s");
                }

                if (Wall > Ideal * 1.03)
                {
                    missed.Add("time");
                }

                return missed.Count == 0 ? "all met" : "missed: " + string.Join(", ", missed);
            }
        }
    }
}
