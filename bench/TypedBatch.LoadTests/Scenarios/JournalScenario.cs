using System.Diagnostics;
using System.Globalization;
using System.Text;
using TypedBatch.JournalHost;

namespace TypedBatch.LoadTests.Scenarios;

/// <summary>
/// "Journal": what durability costs at full speed, and the kill-and-resume promise at scale. Against the emulator as a
/// separate process without latency, the same untyped chat batch runs without a journal, with a journal flushed in
/// batches (the default) and with a journal flushed per item, alternating, in this one process; reported as items per
/// second and allocations per item, as ratios against the run without a journal. Then a child process (the tests'
/// journal host) runs a 100,000-item journaled batch and is killed with SIGKILL at 50 %, and this process resumes it:
/// reported are the items sent twice (at most the requests in flight at the kill), the items from the journal, and
/// whether every input got exactly one result, in order.
/// </summary>
internal static class JournalScenario
{
    private const string ApiKey = "sk-load";

    public static async Task<string> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        int concurrency = options.Concurrency ?? 32;
        int repeat = options.Repeat ?? 3;
        int items = Math.Max(1, (int)Math.Round(20_000 * options.Scale));
        int killItems = Math.Max(1_000, (int)Math.Round(100_000 * options.Scale));
        string directory = Directory.CreateTempSubdirectory("typedbatch-journal-bench-").FullName;
        try
        {
            await using EmulatorProcess emulator = await EmulatorProcess.StartAsync(new EmulatorSettings(), options.NoPin ? null : 1, cancellationToken);
            using var client = TypedBatchClient.Create(new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = emulator.BaseUrl, ApiKey = ApiKey });

            // JIT (to tier 1), the thread pool and connections warm: every mode once at full size, unmeasured.
            string[] modes = ["none", "batched", "every-item"];
            foreach (string mode in modes)
            {
                await client.CreateChatCompletionsBatchAsync(Inputs(items, $"warm-{mode}"), new BatchOptions { MaxConcurrency = concurrency, Journal = JournalFor(mode, directory, "warm") }, cancellationToken);
            }

            Dictionary<string, List<(double PerSecond, double BytesPerItem, double CpuMicroseconds)>> samples = modes.ToDictionary(m => m, _ => new List<(double PerSecond, double BytesPerItem, double CpuMicroseconds)>());
            for (int r = 0; r < repeat; r++)
            {
                // Rotate the order so that no mode always runs first or last.
                for (int k = 0; k < modes.Length; k++)
                {
                    string mode = modes[(k + r) % modes.Length];
                    BatchJournal? journal = JournalFor(mode, directory, $"{r}");
                    long allocated = GC.GetTotalAllocatedBytes(precise: true);
                    TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    long start = Stopwatch.GetTimestamp();
                    BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Inputs(items, $"{mode}-{r}"), new BatchOptions { MaxConcurrency = concurrency, Journal = journal }, cancellationToken);
                    TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
                    long bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                    double cpuPerItem = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / items;
                    if (!result.AllSucceeded)
                    {
                        throw new InvalidOperationException($"{result.FailedCount} items failed in the {mode} run: {result.Failures.First().Error}");
                    }

                    samples[mode].Add((items / elapsed.TotalSeconds, (double)bytes / items, cpuPerItem));
                    Console.WriteLine($"run {r + 1}/{repeat} {mode}: {items / elapsed.TotalSeconds:F0} items/s, {bytes / items:F0} B/item, {cpuPerItem:F1} us CPU/item");
                }
            }

            var table = new MarkdownTable("Journal", "Items/s (median)", "÷ no journal", "Client CPU per item (median)", "÷ no journal", "Allocated per item", "÷ no journal");
            double basePerSecond = Median(samples["none"].Select(s => s.PerSecond));
            double baseBytes = Median(samples["none"].Select(s => s.BytesPerItem));
            double baseCpu = Median(samples["none"].Select(s => s.CpuMicroseconds));
            foreach (string mode in modes)
            {
                double perSecond = Median(samples[mode].Select(s => s.PerSecond));
                double bytes = Median(samples[mode].Select(s => s.BytesPerItem));
                double cpu = Median(samples[mode].Select(s => s.CpuMicroseconds));
                table.Add(mode, F(perSecond, 0), F(perSecond / basePerSecond, 3) + "×", $"{cpu:F1} µs", F(cpu / baseCpu, 3) + "×", $"{bytes / 1024:F2} KB", F(bytes / baseBytes, 3) + "×");
            }

            string kill = await KillAndResumeAsync(emulator, client, directory, killItems, concurrency, cancellationToken);
            return new StringBuilder()
                .AppendLine(CultureInfo.InvariantCulture, $"- {items:N0} chat items per run, {concurrency} in flight, {repeat} runs per mode after one unmeasured warm-up run of each (order rotated), emulator without latency: `{emulator.CommandLine}`")
                .AppendLine(CultureInfo.InvariantCulture, $"- Items/s per run (none / batched / every-item): {string.Join("; ", Enumerable.Range(0, repeat).Select(r => string.Join(" / ", modes.Select(m => F(samples[m][r].PerSecond, 0)))))}")
                .AppendLine()
                .AppendLine(table.ToString())
                .AppendLine()
                .AppendLine(kill)
                .ToString();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> KillAndResumeAsync(EmulatorProcess emulator, TypedBatchClient client, string directory, int count, int concurrency, CancellationToken cancellationToken)
    {
        string path = Path.Combine(directory, "killed.jsonl");
        await emulator.ResetStatsAsync(cancellationToken);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardOutput = true };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "TypedBatch.JournalHost.dll"), emulator.BaseUrl.ToString(), ApiKey, path, Invariant(count), Invariant(concurrency) })
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start)!;
        Task<string> output = child.StandardOutput.ReadToEndAsync(cancellationToken);
        long atKill;
        while ((atKill = (await emulator.GetStatsAsync(cancellationToken)).Received) < count / 2)
        {
            if (child.HasExited)
            {
                throw new InvalidOperationException($"The journal host ended before it was killed: {await output}");
            }

            await Task.Delay(20, cancellationToken);
        }

        child.Kill();
        await child.WaitForExitAsync(cancellationToken);
        if ((await output).Contains("done", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The journal host finished before it was killed.");
        }

        long journaled = File.ReadLines(path).Count(line => line.Contains("\"ok\":true", StringComparison.Ordinal));
        long resumeAllocated = GC.GetTotalAllocatedBytes(precise: true);
        long resumeStart = Stopwatch.GetTimestamp();
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(JournalHostInputs.Create(count), new BatchOptions { Journal = BatchJournal.File(path), MaxConcurrency = concurrency }, cancellationToken);
        TimeSpan resumed = Stopwatch.GetElapsedTime(resumeStart);
        long resumeBytes = GC.GetTotalAllocatedBytes(precise: true) - resumeAllocated;
        long received = (await emulator.GetStatsAsync(cancellationToken)).Received;
        bool ordered = result.Count == count && result.Select(item => item.Index).SequenceEqual(Enumerable.Range(0, count));
        long sentTwice = received - count;
        return $"""
            Kill and resume: a child process ran {count:N0} journaled items at {concurrency} in flight and was killed with SIGKILL once {atKill:N0} requests had reached the emulator; {journaled:N0} items were journaled as done.
            The rerun with the same journal returned {result.Count:N0} results ({(ordered ? "every input once, in input order" : "**NOT in order or not one per input**")}), {result.SucceededCount:N0} succeeded, {result.FromJournalCount:N0} from the journal, in {resumed.TotalSeconds:F1} s ({resumeBytes / (double)count:F0} B allocated per item over the whole rerun).
            The emulator received {received:N0} requests over both runs: **{sentTwice:N0} items were sent twice** (at most {concurrency}, the requests in flight at the kill, is the goal: {(sentTwice <= concurrency ? "met" : "**missed**")}).
            """;
    }

    private static BatchJournal? JournalFor(string mode, string directory, string run) => mode switch
    {
        "none" => null,
        "batched" => BatchJournal.File(Path.Combine(directory, $"batched-{run}.jsonl")),
        _ => BatchJournal.File(Path.Combine(directory, $"every-{run}.jsonl"), durability: Durability.EveryItem),
    };

    private static IEnumerable<IReadOnlyList<PromptMessage>> Inputs(int count, string run)
    {
        for (int i = 0; i < count; i++)
        {
            yield return [PromptMessage.User($"item {i} of run {run}")];
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string F(double value, int digits) => value.ToString("F" + Invariant(digits), CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
