using System.Diagnostics;
using TypedBatch.LoadTests.Clients;

namespace TypedBatch.LoadTests.Scenarios;

/// <summary>
/// "Client overhead": an emulator without latency or binding limits, on its own core; each client sends the same
/// requests at the same concurrency and the client process's CPU time and allocated bytes are divided by the number
/// of requests. Each client runs several times, interleaved, after its own warm-up; the median is reported.
/// </summary>
internal static class OverheadScenario
{
    private static readonly string[] DefaultClients = [ClientFactory.Raw, ClientFactory.TypedBatch, ClientFactory.OpenAISdk];

    public static async Task<string> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        int concurrency = options.Concurrency ?? 32;
        IReadOnlyList<string> clients = options.Clients ?? DefaultClients;
        // Limits far out of reach, not 0: with 0 the emulator reports a 1,000,000-token placeholder that TypedBatch
        // learns as a real limit (about 130 requests a second for this workload), which would throttle it.
        var settings = new EmulatorSettings(LimitScenario.OutOfReach, LimitScenario.OutOfReach);
        await using EmulatorProcess emulator = await EmulatorProcess.StartAsync(settings, Pinning.EmulatorCore, cancellationToken);
        if (options.ProfileAllocations)
        {
            return await AllocationProfiler.RunAsync(emulator, clients, concurrency, options.Requests, options.Warmup, cancellationToken);
        }

        int repeat = options.Repeat ?? 3;
        var samples = clients.ToDictionary(static c => c, static _ => new List<OverheadSample>());
        for (int r = 0; r < repeat; r++)
        {
            foreach (string kind in clients)
            {
                OverheadSample sample = await MeasureAsync(emulator, kind, concurrency, options, r, cancellationToken);
                samples[kind].Add(sample);
                Console.WriteLine($"run {r + 1} {sample.Client,-28} {Fmt.F(sample.CpuMsPerRequest, 4)} CPU ms/req, {Fmt.N0(sample.BytesPerRequest)} B/req, {Fmt.N0(sample.RequestsPerSecond)} req/s, GCs {sample.Gen0}/{sample.Gen1}/{sample.Gen2}, {sample.Succeeded}/{options.Requests} ok, emulator {Fmt.F(sample.EmulatorCpuMsPerRequest, 3)} CPU ms/req, others {Fmt.F(sample.OthersCores, 2)} cores");
            }
        }

        OverheadSample Median(string kind) => samples[kind].OrderBy(static s => s.CpuMsPerRequest).ElementAt(samples[kind].Count / 2);
        double MedianBytes(string kind) => samples[kind].Select(static s => s.BytesPerRequest).Order().ElementAt(samples[kind].Count / 2);
        double? rawCpu = samples.ContainsKey(ClientFactory.Raw) ? Median(ClientFactory.Raw).CpuMsPerRequest : null;
        double? sdkBytes = samples.ContainsKey(ClientFactory.OpenAISdk) ? MedianBytes(ClientFactory.OpenAISdk) : null;

        var table = new MarkdownTable("Client", "CPU ms / request (median)", "CPU runs", "CPU vs raw", "Allocated / request (median)", "Alloc vs OpenAI SDK", "Requests / s", "GCs gen0/1/2 (median run)", "Emulator CPU ms / request", "Others' CPU (all runs)");
        foreach (string kind in clients)
        {
            OverheadSample median = Median(kind);
            double bytes = MedianBytes(kind);
            table.Add(median.Client, Fmt.F(median.CpuMsPerRequest, 3), string.Join(" / ", samples[kind].Select(static s => Fmt.F(s.CpuMsPerRequest, 3))),
                rawCpu is { } raw ? Fmt.Ratio(median.CpuMsPerRequest / raw) : "n/a", Fmt.N0(bytes) + " B",
                sdkBytes is { } sdk ? Fmt.Ratio(bytes / sdk) : "n/a", Fmt.N0(median.RequestsPerSecond), $"{median.Gen0}/{median.Gen1}/{median.Gen2}",
                Fmt.F(median.EmulatorCpuMsPerRequest, 3), string.Join(" / ", samples[kind].Select(static s => Fmt.F(s.OthersCores, 2))));
        }

        string verdict = "";
        if (samples.ContainsKey(ClientFactory.TypedBatch) && rawCpu is { } rawMs && sdkBytes is { } sdkB)
        {
            double cpuRatio = Median(ClientFactory.TypedBatch).CpuMsPerRequest / rawMs;
            double allocRatio = MedianBytes(ClientFactory.TypedBatch) / sdkB;
            verdict = $"""
                Targets: TypedBatch CPU ≤ 1.10 × raw: {Fmt.Ratio(cpuRatio)}, {(cpuRatio <= 1.1 ? "met" : "missed")}; TypedBatch allocations ≤ 0.50 × OpenAI SDK: {Fmt.Ratio(allocRatio)}, {(allocRatio <= 0.5 ? "met" : "missed")}.
                """;
        }

        return $"""
            Emulator: `{emulator.CommandLine}` (one process for all runs; counters reset before each).
            {options.Requests:N0} measured requests per run after {options.Warmup:N0} warm-up requests with the same client instance, {concurrency} in flight,
            {repeat} runs per client interleaved; CPU = `Process.TotalProcessorTime` delta of the client process (all its threads) ÷ N,
            allocations = `GC.GetTotalAllocatedBytes(true)` delta ÷ N. Every run delivered all items unless noted.
            "Others' CPU": cores used by other processes on this shared machine during each run, after waiting for it to fall
            below {options.QuietBelow} cores (at most {options.QuietWait.TotalSeconds} s) before the run.
            {(samples.Values.SelectMany(static l => l).Any(s => s.Succeeded < options.Requests) ? "**Some runs did not deliver every item: see the console log.**" : "")}

            {table}
            {verdict}
            """;
    }

    private static async Task<OverheadSample> MeasureAsync(EmulatorProcess emulator, string kind, int concurrency, LoadOptions options, int run, CancellationToken cancellationToken)
    {
        int requests = options.Requests;
        int warmup = options.Warmup;
        await using IClientRunner client = ClientFactory.Create(kind, emulator.BaseUrl, "gpt-4o-mini", concurrency);
        if (warmup > 0)
        {
            await client.RunAsync(Workload.Topics(warmup, 900_000), cancellationToken);
        }

        await options.WaitForQuietAsync(cancellationToken);
        await emulator.ResetStatsAsync(cancellationToken);
        string[] topics = Workload.Topics(requests, run * requests);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using Process self = Process.GetCurrentProcess();
        int[] gcBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        self.Refresh();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        var others = new OthersLoadMeter(emulator);
        var stopwatch = Stopwatch.StartNew();

        RunOutcome outcome = await client.RunAsync(topics, cancellationToken);

        TimeSpan wall = stopwatch.Elapsed;
        self.Refresh();
        TimeSpan cpu = self.TotalProcessorTime - cpuBefore;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        double othersCores = others.OthersCores();
        return new OverheadSample(
            client.Name,
            cpu.TotalMilliseconds / requests,
            allocated / (double)requests,
            requests / wall.TotalSeconds,
            GC.CollectionCount(0) - gcBefore[0],
            GC.CollectionCount(1) - gcBefore[1],
            GC.CollectionCount(2) - gcBefore[2],
            outcome.Succeeded,
            others.EmulatorCpu.TotalMilliseconds / requests,
            othersCores);
    }

    private sealed record OverheadSample(string Client, double CpuMsPerRequest, double BytesPerRequest, double RequestsPerSecond, int Gen0, int Gen1, int Gen2, int Succeeded, double EmulatorCpuMsPerRequest, double OthersCores);
}
