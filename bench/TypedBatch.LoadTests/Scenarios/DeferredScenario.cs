using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using TypedBatch.LoadTests.Clients;

namespace TypedBatch.LoadTests.Scenarios;

/// <summary>
/// "Deferred": memory while preparing and reading a large <see cref="BatchMode.Deferred"/> batch. Every measured run is
/// a child process of its own (this program again, with the hidden <c>deferred-child</c> command), so its peak working
/// set (<c>VmHWM</c>) is that run's alone: TypedBatch's generated <c>ClassifyBatchAsync</c> in deferred mode (also under
/// <c>DOTNET_GCConserveMemory=7</c>), its <c>ClassifyAsCompletedAsync</c> keeping nothing per item, the
/// official OpenAI SDK's Files and Batch clients with each batch's JSONL and output file in memory
/// (<see cref="OpenAISdkBatchPeer"/>), and two baselines that only build and hold what each returns (N
/// <c>BatchItem&lt;string&gt;</c>, N strings, nothing) without any I/O. All against one emulator process with a compressed
/// batch clock, at 20,000 and 200,000 items (TypedBatch's two ways also at 50,000 and 100,000). "Peak − baseline" is what a run costs beyond the results it returns; flat in N
/// means its 200k/20k ratio is near 1 (10 for something linear in N).
/// </summary>
internal static class DeferredScenario
{
    public const string ChildCommand = "deferred-child";

    private const string ResultMarker = "DEFERRED-RESULT ";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly string[] Runs = ["typedbatch", "typedbatch-ascompleted", "typedbatch-conserve", "openai", "baseline-items", "baseline-strings", "baseline-none"];

    /// <summary>The runs also measured at the sizes in between (for the shape of the curve): TypedBatch's two ways and their baselines.</summary>
    private static readonly string[] MiddleRuns = ["typedbatch", "typedbatch-ascompleted", "baseline-items", "baseline-none"];

    public static async Task<string> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        int repeat = options.Repeat ?? 3;
        int[] sizes = [Scaled(20_000, options.Scale), Scaled(50_000, options.Scale), Scaled(100_000, options.Scale), Scaled(200_000, options.Scale)];
        int small = sizes[0], large = sizes[^1];
        string[] RunsAt(int items) => items == small || items == large ? Runs : MiddleRuns;
        var emulatorSettings = new EmulatorSettings(Extra: ["--batch-step", "100ms", "--batch-lines-per-step", "50000"]);
        await using EmulatorProcess emulator = await EmulatorProcess.StartAsync(emulatorSettings, Pinning.EmulatorCore, cancellationToken);

        var samples = new Dictionary<(string Run, int Items), List<ChildResult>>();
        for (int r = 0; r < repeat; r++)
        {
            foreach (int items in sizes)
            {
                // Rotate the order so that no run always comes first (the emulator's disk cache, the machine's load).
                string[] runs = RunsAt(items);
                for (int k = 0; k < runs.Length; k++)
                {
                    string run = runs[(k + r) % runs.Length];
                    ChildResult result = await RunChildProcessAsync(run, items, emulator.BaseUrl, cancellationToken);
                    (samples.TryGetValue((run, items), out List<ChildResult>? list) ? list : samples[(run, items)] = []).Add(result);
                    Console.WriteLine($"run {r + 1}/{repeat} {run} N={items:N0}: peak {Mb(result.PeakBytes)}, heap after {Mb(result.HeapBytes)}, {result.AllocatedBytes / (double)items:F0} B/item allocated, {result.Seconds:F1} s");
                }
            }
        }

        ChildResult Median(string run, int items)
        {
            List<ChildResult> list = samples[(run, items)];
            return new ChildResult(
                MedianOf(list.Select(s => (double)s.PeakBytes)),
                MedianOf(list.Select(s => (double)s.HeapBytes)),
                MedianOf(list.Select(s => (double)s.AllocatedBytes)),
                MedianOf(list.Select(s => s.Seconds)));
        }

        string BaselineOf(string run) => run switch
        {
            "typedbatch" or "typedbatch-conserve" => "baseline-items",
            "typedbatch-ascompleted" => "baseline-none",
            "openai" => "baseline-strings",
            _ => run,
        };
        string Name(string run) => run switch
        {
            "typedbatch" => "TypedBatch, deferred, `ClassifyBatchAsync` (results held)",
            "typedbatch-ascompleted" => "TypedBatch, deferred, `ClassifyAsCompletedAsync` (nothing held)",
            "typedbatch-conserve" => "TypedBatch, deferred, results held, `DOTNET_GCConserveMemory=7`",
            "openai" => "OpenAI SDK 2.15, files in memory",
            "baseline-items" => "baseline: N `BatchItem<string>`, no I/O",
            "baseline-strings" => "baseline: N `string`, no I/O",
            _ => "baseline: nothing held, no I/O",
        };

        var detail = new MarkdownTable("N", "Run", "Peak working set (median)", "Peak − its baseline", "Managed heap after (result held, if any)", "Allocated per item", "Wall time");
        foreach (int items in sizes)
        {
            foreach (string run in RunsAt(items))
            {
                ChildResult m = Median(run, items);
                ChildResult b = Median(BaselineOf(run), items);
                bool isBaseline = BaselineOf(run) == run;
                detail.Add(Fmt.N0(items), Name(run), Mb(m.PeakBytes), isBaseline ? "–" : Mb(m.PeakBytes - b.PeakBytes), Mb(m.HeapBytes), $"{Fmt.N0(m.AllocatedBytes / items)} B", $"{m.Seconds:F1} s");
            }
        }

        double Extra(string run, int items) => Median(run, items).PeakBytes - Median(BaselineOf(run), items).PeakBytes;
        var summary = new MarkdownTable("", "TypedBatch, deferred mode (results held)", "OpenAI SDK, files in memory", "TypedBatch ÷ OpenAI SDK");
        foreach (int items in new[] { small, large })
        {
            double ours = Median("typedbatch", items).PeakBytes, theirs = Median("openai", items).PeakBytes;
            summary.Add($"Peak working set, {Fmt.N0(items)} items", Mb(ours), Mb(theirs), Fmt.Ratio(ours / theirs));
        }

        foreach (int items in new[] { small, large })
        {
            double ours = Extra("typedbatch", items), theirs = Extra("openai", items);
            summary.Add($"Peak − baseline, {Fmt.N0(items)} items", Mb(ours), Mb(theirs), Fmt.Ratio(ours / theirs));
        }

        summary.Add(
            $"Peak − baseline, {Fmt.N0(large)} ÷ {Fmt.N0(small)} (1 is flat, {large / small} linear)",
            Fmt.Ratio(Extra("typedbatch", large) / Extra("typedbatch", small)),
            Fmt.Ratio(Extra("openai", large) / Extra("openai", small)),
            "");

        string[] curveRuns = ["typedbatch-ascompleted", "typedbatch", "typedbatch-conserve", "openai"];
        var curve = new MarkdownTable(["Run (peak working set; in brackets, peak − its baseline)", .. sizes.Select(n => Fmt.N0(n)), $"Peak, {Fmt.N0(large)} ÷ {Fmt.N0(small)}", $"Peak − baseline, {Fmt.N0(large)} ÷ {Fmt.N0(small)}"]);
        foreach (string run in curveRuns)
        {
            curve.Add([
                Name(run),
                .. sizes.Select(n => samples.ContainsKey((run, n)) ? $"{Mb(Median(run, n).PeakBytes)} ({Mb(Extra(run, n))})" : "–"),
                Fmt.Ratio(Median(run, large).PeakBytes / Median(run, small).PeakBytes),
                Fmt.Ratio(Extra(run, large) / Extra(run, small)),
            ]);
        }

        string perRun = string.Join("; ", sizes.SelectMany(items => RunsAt(items).Select(run => $"{run} {Fmt.N0(items)}: {string.Join(" / ", samples[(run, items)].Select(s => Mb(s.PeakBytes)))}")));
        return new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"- {string.Join(", ", sizes.Select(n => Fmt.N0(n)))} chat items (`IDeferredPrompts.ClassifyAsync`: a 900-character system prompt and a short user message, about 1.1 KB per request line; the emulator answers `Re: Classify review item 000017.`), {repeat} runs of each, every run a fresh child process (`{ChildCommand}`) whose peak working set is its `VmHWM`; medians reported; the OpenAI SDK, its baseline and the `GCConserveMemory` run only at {Fmt.N0(small)} and {Fmt.N0(large)}")
            .AppendLine(CultureInfo.InvariantCulture, $"- Emulator (its own process) with a compressed batch clock (three 100 ms steps per batch: validating, up to 50,000 lines answered, finalizing; plus the emulator's own work): `{emulator.CommandLine}`; both clients poll every {PollInterval.TotalMilliseconds:F0} ms (TypedBatch: `PollInterval` {PollInterval.TotalMilliseconds:F0} ms, `MaxPollInterval` {4 * PollInterval.TotalMilliseconds:F0} ms)")
            .AppendLine("- TypedBatch: `client.For<IDeferredPrompts>().ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, … })`, inputs enumerated lazily, shards of 50,000 requests spooled to temporary files, output files streamed; the same through `ClassifyAsCompletedAsync`, consuming each item as it arrives and keeping only a bit per index (every index 0..N−1 exactly once, checked), a count of the successful deferred items and a checksum of the answers (checked against the expected answers); and `ClassifyBatchAsync` again with `DOTNET_GCConserveMemory=7` in the child's environment")
            .AppendLine(CultureInfo.InvariantCulture, $"- OpenAI SDK: per batch of at most {Fmt.N0(OpenAISdkBatchPeer.MaxRequestsPerBatch)} requests (OpenAI's limit), the JSONL built in a `MemoryStream` (`Utf8JsonWriter`), uploaded with `OpenAIFileClient.UploadFileAsync`, the batch created and polled with `BatchClient` (protocol methods); then each output file downloaded with `DownloadFileAsync` (a `BinaryData`) and parsed line by line into a `string[]` in input order")
            .AppendLine("- Baselines: the same program building and holding what each run returns, without any I/O: N `BatchItem<string>` (TypedBatch's `BatchResult<string>` holds these), N `string`, or nothing (the inputs and answers enumerated and checksummed, as the as-completed run keeps them); the runtime's own start-up is in every number alike")
            .AppendLine("- Managed heap after: `GC.GetTotalMemory(forceFullCollection: true)` with the result (if any) still held; allocated: `GC.GetTotalAllocatedBytes(true)` over the run, ÷ N")
            .AppendLine(CultureInfo.InvariantCulture, $"- Peak working set per run: {perRun}")
            .AppendLine()
            .AppendLine(summary.ToString())
            .AppendLine(curve.ToString())
            .AppendLine(detail.ToString())
            .ToString();
    }

    /// <summary>The child: one run, measured in this process; prints one <see cref="ResultMarker"/> line.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        string run = args[0];
        int items = int.Parse(args[1], CultureInfo.InvariantCulture);
        var baseUrl = new Uri(args[2]);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        object result = run switch
        {
            "typedbatch" or "typedbatch-conserve" => await RunTypedBatchAsync(baseUrl, items),
            "typedbatch-ascompleted" => await RunTypedBatchAsCompletedAsync(baseUrl, items),
            "openai" => await OpenAISdkBatchPeer.RunAsync(baseUrl, items, PollInterval, CancellationToken.None),
            "baseline-items" => BaselineItems(items),
            "baseline-strings" => BaselineStrings(items),
            "baseline-none" => BaselineNone(items),
            _ => throw new ArgumentException($"Unknown run '{run}'.", nameof(args)),
        };
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        long peak = PeakWorkingSet();
        Check(result, items);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ResultMarker}{peak} {heap} {allocated} {seconds:R}"));
        return 0;
    }

    private static async Task<BatchResult<string>> RunTypedBatchAsync(Uri baseUrl, int items)
    {
        await using TypedBatchClient client = CreateClient(baseUrl);
        return await client.For<IDeferredPrompts>().ClassifyBatchAsync(DeferredWorkload.Reviews(items), DeferredBatchOptions());
    }

    /// <summary>
    /// The same batch through <c>ClassifyAsCompletedAsync</c>, keeping nothing per item but one bit (seen) and a
    /// checksum of the answers: what deferred mode itself holds, without the results.
    /// </summary>
    private static async Task<AsCompletedTally> RunTypedBatchAsCompletedAsync(Uri baseUrl, int items)
    {
        await using TypedBatchClient client = CreateClient(baseUrl);
        var seen = new System.Collections.BitArray(items);
        var tally = new AsCompletedTally();
        await foreach (BatchItem<string> item in client.For<IDeferredPrompts>().ClassifyAsCompletedAsync(DeferredWorkload.Reviews(items), DeferredBatchOptions()))
        {
            if (item.Index < 0 || item.Index >= items || seen[item.Index])
            {
                throw new InvalidOperationException($"Item {item.Index} is out of range or came twice.");
            }

            seen[item.Index] = true;
            tally.Count++;
            if (item.Succeeded && item.Deferred)
            {
                tally.Succeeded++;
            }

            tally.Checksum += AnswerChecksum(item.Index, item.Value);
        }

        tally.AllSeen = seen.HasAllSet();
        return tally;
    }

    private static TypedBatchClient CreateClient(Uri baseUrl) => TypedBatchClient.Create(new TypedBatchOptions
    {
        Provider = ProviderKind.OpenAICompatible,
        BaseUrl = baseUrl,
        ApiKey = "unused",
        Model = DeferredWorkload.Model,
    });

    private static BatchOptions DeferredBatchOptions() => new()
    {
        Mode = BatchMode.Deferred,
        Deferred = new DeferredOptions { PollInterval = PollInterval, MaxPollInterval = 4 * PollInterval },
    };

    /// <summary>An order-independent checksum term: the answer's hash mixed with its index (0 for a missing answer).</summary>
    private static long AnswerChecksum(int index, string? answer)
        => answer is null ? 0 : (long)(uint)string.GetHashCode(answer, StringComparison.Ordinal) * ((2L * index) + 1);

    /// <summary>What an as-completed run keeps, built without I/O: nothing but the enumeration of the inputs.</summary>
    private static AsCompletedTally BaselineNone(int items)
    {
        var tally = new AsCompletedTally();
        foreach (string review in DeferredWorkload.Reviews(items))
        {
            tally.Count++;
            tally.Succeeded++;
            tally.Checksum += AnswerChecksum(tally.Count - 1, DeferredWorkload.Answer(review));
        }

        tally.AllSeen = true;
        return tally;
    }

    /// <summary>What a deferred run returns, built without I/O: N successful items with their answer and usage.</summary>
    private static BatchItem<string>[] BaselineItems(int items)
    {
        var result = new BatchItem<string>[items];
        int i = 0;
        foreach (string review in DeferredWorkload.Reviews(items))
        {
            result[i] = BatchItem.Success(i, DeferredWorkload.Answer(review), new TokenUsage(240, 8, 248), 1, TimeSpan.Zero);
            i++;
        }

        return result;
    }

    private static string[] BaselineStrings(int items) => [.. DeferredWorkload.Reviews(items).Select(DeferredWorkload.Answer)];

    /// <summary>Throws unless the run returned every answer, right, in input order (after the measurements).</summary>
    private static void Check(object result, int items)
    {
        string?[] answers = result switch
        {
            BatchResult<string> batch when batch.AllSucceeded && batch.DeferredCount == items => [.. batch.Select(i => i.Value)],
            BatchResult<string> batch => throw new InvalidOperationException($"{batch.FailedCount} failed, {batch.DeferredCount} deferred: {batch.Failures.FirstOrDefault().Error}"),
            BatchItem<string>[] array => [.. array.Select(i => i.Value)],
            string[] strings => (string?[])strings,
            AsCompletedTally tally => CheckTally(tally, items),
            _ => throw new InvalidOperationException($"Unexpected result {result.GetType()}."),
        };
        if (answers.Length != items || !answers.SequenceEqual(DeferredWorkload.Reviews(items).Select(DeferredWorkload.Answer)))
        {
            throw new InvalidOperationException("The answers are not every input's, in input order.");
        }
    }

    /// <summary>Throws unless the tally counts every index once, all succeeded, with the expected answers; returns the expected answers.</summary>
    private static string?[] CheckTally(AsCompletedTally tally, int items)
    {
        string[] expected = [.. DeferredWorkload.Reviews(items).Select(DeferredWorkload.Answer)];
        long checksum = 0;
        for (int i = 0; i < items; i++)
        {
            checksum += AnswerChecksum(i, expected[i]);
        }

        if (tally.Count != items || tally.Succeeded != items || !tally.AllSeen || tally.Checksum != checksum)
        {
            throw new InvalidOperationException($"As completed: {tally.Count} items, {tally.Succeeded} succeeded (deferred), all seen {tally.AllSeen}, checksum {(tally.Checksum == checksum ? "right" : "wrong")}.");
        }

        return expected;
    }

    /// <summary>The process's peak resident set (<c>VmHWM</c>), or the runtime's view where there is no /proc.</summary>
    private static long PeakWorkingSet()
    {
        const string Prefix = "VmHWM:";
        if (File.Exists("/proc/self/status"))
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(static l => l.StartsWith(Prefix, StringComparison.Ordinal));
            if (line is not null)
            {
                return long.Parse(line[Prefix.Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static async Task<ChildResult> RunChildProcessAsync(string run, int items, Uri baseUrl, CancellationToken cancellationToken)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (run == "typedbatch-conserve")
        {
            start.Environment["DOTNET_GCConserveMemory"] = "7";
        }

        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (string argument in new[] { ChildCommand, run, items.ToString(CultureInfo.InvariantCulture), baseUrl.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the child run.");
        string output;
        try
        {
            output = await child.StandardOutput.ReadToEndAsync(cancellationToken);
            await child.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            throw;
        }

        string? line = output.Split('\n').FirstOrDefault(static l => l.StartsWith(ResultMarker, StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The {run} run of {items} items failed (exit code {child.ExitCode}): {output}");
        }

        string[] fields = line[ResultMarker.Length..].Trim().Split(' ');
        return new ChildResult(
            double.Parse(fields[0], CultureInfo.InvariantCulture),
            double.Parse(fields[1], CultureInfo.InvariantCulture),
            double.Parse(fields[2], CultureInfo.InvariantCulture),
            double.Parse(fields[3], CultureInfo.InvariantCulture));
    }

    private static int Scaled(int items, double scale) => Math.Max(1_000, (int)Math.Round(items * scale));

    private static double MedianOf(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Mb(double bytes) => (bytes / (1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>What an as-completed run keeps: counts and a checksum, nothing per item.</summary>
    private sealed class AsCompletedTally
    {
        public int Count { get; set; }

        public int Succeeded { get; set; }

        public long Checksum { get; set; }

        public bool AllSeen { get; set; }
    }

    /// <summary>One run's figures.</summary>
    private sealed record ChildResult(double PeakBytes, double HeapBytes, double AllocatedBytes, double Seconds);
}
