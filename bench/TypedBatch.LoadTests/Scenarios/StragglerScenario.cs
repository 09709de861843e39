using System.Diagnostics;
using System.Globalization;
using System.Text;
using TypedBatch.LoadTests.Clients;

namespace TypedBatch.LoadTests.Scenarios;

/// <summary>
/// "Stragglers": one batch of distinct items at a fixed concurrency against an emulator with 20 + 0–20 ms latency, first
/// without hangs, then with a seeded share of requests accepted and never answered. Each client's wall time with hangs
/// is compared with its own wall time without, in the same run. Every client sends the same items and the emulator's
/// counters (and so its per-request receipt numbers) are reset before each run, so every client meets the same hung
/// first attempts; retries and hedges draw afresh.
/// </summary>
internal static class StragglerScenario
{
    public const int LatencyMs = 20;
    public const int JitterMs = 20;
    public const int FaultSeed = 7;

    private static readonly string[] DefaultClients = [ClientFactory.TypedBatch, ClientFactory.TypedBatchNoHedging, ClientFactory.OpenAISdk];

    public static async Task<string> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        int concurrency = options.Concurrency ?? 32;
        int repeat = options.Repeat ?? 1;
        IReadOnlyList<string> clients = options.Clients ?? DefaultClients;
        string[] topics = Workload.Topics(options.Items);
        var runs = new List<StragglerRun>();
        var emulatorCommands = new List<string>();
        foreach (double hangRate in (double[])[0, options.HangRate])
        {
            var settings = new EmulatorSettings(LatencyMs: LatencyMs, JitterMs: JitterMs, Extra: ["--fault-seed", Invariant(FaultSeed), "--hang-rate", hangRate.ToString(CultureInfo.InvariantCulture)]);
            await using EmulatorProcess emulator = await EmulatorProcess.StartAsync(settings, Pinning.EmulatorCore, cancellationToken);
            emulatorCommands.Add(emulator.CommandLine);
            await WarmUpAsync(emulator, hangRate == 0 ? clients : [ClientFactory.TypedBatch], concurrency, cancellationToken);
            for (int r = 0; r < repeat; r++)
            {
                foreach (string kind in clients)
                {
                    StragglerRun run = await RunOnceAsync(emulator, kind, hangRate, topics, concurrency, options, cancellationToken);
                    runs.Add(run);
                    Console.WriteLine($"hang rate {Fmt.Percent(hangRate)} {run.Client,-28} {(run.TimedOut ? "did not finish within " + Fmt.Seconds(run.Wall) : "wall " + Fmt.Seconds(run.Wall))}, delivered {run.Outcome.Succeeded}/{topics.Length}, received {run.Counters.ChatReceived}, hung {run.Counters.Hung}, hedged {run.Outcome.Hedged?.ToString(CultureInfo.InvariantCulture) ?? "n/a"}, others {Fmt.F(run.OthersCores, 2)} cores{(run.Outcome.FirstError is { } e ? ", first error: " + e : "")}");
                }
            }
        }

        // A client's wall time with hangs is divided by the median of its own runs without.
        TimeSpan? NoHangWall(string kind)
        {
            TimeSpan[] walls = [.. runs.Where(r => r.Kind == kind && r.HangRate == 0 && !r.TimedOut).Select(static r => r.Wall).Order()];
            return walls.Length == 0 ? null : walls[walls.Length / 2];
        }

        TimeSpan? HangWall(string kind)
        {
            TimeSpan[] walls = [.. runs.Where(r => r.Kind == kind && r.HangRate > 0).Select(static r => r.Wall).Order()];
            return walls.Length == 0 ? null : walls[walls.Length / 2];
        }

        bool AnyTimedOut(string kind) => runs.Any(r => r.Kind == kind && r.HangRate > 0 && r.TimedOut);

        var table = new MarkdownTable("Client", "Hang rate", "Wall", "Wall ÷ same client without hangs", "Delivered", "Requests received", "Hung requests met", "Hedges", "Others' CPU");
        var notes = new StringBuilder();
        foreach (StragglerRun run in runs)
        {
            string ratio = NoHangWall(run.Kind) is not { } baseline ? "n/a"
                : run.HangRate == 0 ? (repeat == 1 ? "1 (baseline)" : Fmt.Ratio(run.Wall / baseline) + " (of the median)")
                : (run.TimedOut ? "> " : "") + Fmt.Ratio(run.Wall / baseline);
            table.Add(run.Client, Fmt.Percent(run.HangRate), run.TimedOut ? $"did not finish within {Fmt.Seconds(run.Wall)}" : Fmt.Seconds(run.Wall), ratio,
                run.TimedOut ? "unknown (cancelled)" : $"{run.Outcome.Succeeded}/{topics.Length}", Fmt.N0(run.Counters.ChatReceived), Fmt.N0(run.Counters.Hung),
                run.Outcome.Hedged?.ToString(CultureInfo.InvariantCulture) ?? "n/a", Fmt.F(run.OthersCores, 2));
            if (run.Outcome.FirstError is { } firstError && !run.TimedOut)
            {
                notes.Append("- ").Append(run.Client).Append(" at ").Append(Fmt.Percent(run.HangRate)).Append(": ").Append(run.Outcome.Failed)
                    .Append(" failed; first: `").Append(Shorten(firstError)).AppendLine("`");
            }
        }

        var verdict = new StringBuilder();
        TimeSpan floor = BatchHedging.Default.Floor;
        if (NoHangWall(ClientFactory.TypedBatch) is { } typedBatchBase && HangWall(ClientFactory.TypedBatch) is { } typedBatchHung)
        {
            TimeSpan bound = (2 * typedBatchBase) + floor;
            bool met = !AnyTimedOut(ClientFactory.TypedBatch) && typedBatchHung <= bound && runs.Where(static r => r.Kind == ClientFactory.TypedBatch && r.HangRate > 0).All(r => r.Outcome.Succeeded == topics.Length);
            verdict.AppendLine(CultureInfo.InvariantCulture, $"Goal: TypedBatch with hedging (the default) at {Fmt.Percent(options.HangRate)} hangs finishes within 2 × its wall time without hangs + the hedge floor ({floor.TotalSeconds:F0} s), every item delivered: {Fmt.Seconds(typedBatchHung)} against a bound of {Fmt.Seconds(bound)} (2 × {Fmt.Seconds(typedBatchBase)} + {floor.TotalSeconds:F0} s), **{(met ? "met" : "missed")}**; {Fmt.Ratio(typedBatchHung / typedBatchBase)} its own wall time without hangs.");
            foreach ((string peer, string label) in (ReadOnlySpan<(string, string)>)[(ClientFactory.OpenAISdk, "the OpenAI SDK"), (ClientFactory.TypedBatchNoHedging, "TypedBatch with hedging off")])
            {
                if (HangWall(peer) is { } peerWall)
                {
                    verdict.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"TypedBatch with hedging ÷ {label}, wall time at {Fmt.Percent(options.HangRate)} hangs: {(AnyTimedOut(peer) ? "< " : "")}{Fmt.Ratio(typedBatchHung / peerWall)}{(AnyTimedOut(peer) ? $" ({label} did not finish within {options.RunCap.TotalSeconds:F0} s)" : "")}.");
                }
            }
        }

        return $"""
            Emulator (one process per hang rate, its counters reset before each run): `{string.Join("`, `", emulatorCommands)}`.
            Latency {LatencyMs} ms + uniform 0–{JitterMs} ms, no rate limits; one batch of {topics.Length:N0} distinct items, {concurrency} in flight for every client,
            {repeat} run(s) per client and hang rate. Every client sends the same messages and model, so the seeded draw (seed, request
            fingerprint, receipt number) hangs the same first attempts for each of them; a retry or a hedge is a later receipt and draws afresh.
            A hung request is accepted and never answered: TypedBatch with hedging sends a duplicate after max(3 × the batch's p95, 5 s);
            without hedging its attempt waits for `AttemptTimeout` (3 min by default; `FirstByteTimeout` applies to streamed calls only) and is retried; the OpenAI SDK's try waits for its
            network timeout (100 s by default) and the SDK's default retry policy decides what follows. A run still going after
            {options.RunCap.TotalSeconds:F0} s (`--cap-s`) is cancelled and reported as not finished. Every client ran once unmeasured against the
            hang-free emulator first (JIT); the emulator with hangs was warmed by one unmeasured TypedBatch batch of other items.
            "Hung requests met" and "Requests received" come from the emulator's `/emulator/stats` (`injectedFaults.hang`, `chatRequestsReceived`).

            {table}
            {verdict}
            {notes}
            """;
    }

    private static async Task WarmUpAsync(EmulatorProcess emulator, IReadOnlyList<string> clients, int concurrency, CancellationToken cancellationToken)
    {
        foreach (string kind in clients)
        {
            await using IClientRunner client = ClientFactory.Create(kind, emulator.BaseUrl, "gpt-4o-mini", concurrency);
            await client.RunAsync(Workload.Topics(1000, 500_000), cancellationToken);
            Console.WriteLine($"warmed up {client.Name} against {emulator.CommandLine}");
        }
    }

    private static async Task<StragglerRun> RunOnceAsync(EmulatorProcess emulator, string kind, double hangRate, string[] topics, int concurrency, LoadOptions options, CancellationToken cancellationToken)
    {
        await using IClientRunner client = ClientFactory.Create(kind, emulator.BaseUrl, "gpt-4o-mini", concurrency);
        await options.WaitForQuietAsync(cancellationToken);
        await emulator.ResetStatsAsync(cancellationToken);
        using var cap = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cap.CancelAfter(options.RunCap);
        var others = new OthersLoadMeter(emulator);
        var stopwatch = Stopwatch.StartNew();
        RunOutcome outcome;
        bool timedOut = false;
        try
        {
            outcome = await client.RunAsync(topics, cap.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The cap, not the user: the run is reported as not finished within it.
            timedOut = true;
            outcome = new RunOutcome(0, topics.Length, $"cancelled after {options.RunCap.TotalSeconds:F0} s");
        }

        TimeSpan wall = stopwatch.Elapsed;
        double othersCores = others.OthersCores();
        EmulatorCounters counters = await emulator.GetStatsAsync(cancellationToken);
        return new StragglerRun(kind, client.Name, hangRate, outcome, counters, wall, timedOut, othersCores);
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Shorten(string text) => (text.Length > 240 ? text[..240] + "…" : text).Replace('`', '\'').Replace('\n', ' ');

    private sealed record StragglerRun(string Kind, string Client, double HangRate, RunOutcome Outcome, EmulatorCounters Counters, TimeSpan Wall, bool TimedOut, double OthersCores);
}
