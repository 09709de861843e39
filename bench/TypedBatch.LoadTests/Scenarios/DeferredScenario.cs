using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using TypedBatch.LoadTests.Clients;

namespace TypedBatch.LoadTests.Scenarios;

/// <summary>
/// "Deferred": memory while preparing and reading a large <see cref="BatchMode.Deferred"/> batch. Every measured run is
/// a child process of its own (this program again, with the hidden <c>deferred-child</c> command), so its peak working
/// set (<c>VmHWM</c>) is that run's alone: TypedBatch's generated <c>ClassifyBatchAsync</c> in deferred mode, the
/// official OpenAI SDK's Files and Batch clients with each batch's JSONL and output file in memory
/// (<see cref="OpenAISdkBatchPeer"/>), and two baselines that only build and hold what each returns (N
/// <c>BatchItem&lt;string&gt;</c>, N strings) without any I/O. All against one emulator process with a compressed batch
/// clock, at 20,000 and 200,000 items. "Peak − baseline" is what a run costs beyond the results it returns; flat in N
/// means its 200k/20k ratio is near 1 (10 for something linear in N).
/// </summary>
internal static class DeferredScenario
{
    public const string ChildCommand = "deferred-child";

    private const string ResultMarker = "DEFERRED-RESULT ";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly string[] Runs = ["typedbatch", "openai", "baseline-items", "baseline-strings"];

    public static async Task<string> RunAsync(LoadOptions options, CancellationToken cancellationToken)
    {
        int repeat = options.Repeat ?? 3;
        int[] sizes = [Scaled(20_000, options.Scale), Scaled(200_000, options.Scale)];
        var emulatorSettings = new EmulatorSettings(Extra: ["--batch-step", "100ms", "--batch-lines-per-step", "50000"]);
        await using EmulatorProcess emulator = await EmulatorProcess.StartAsync(emulatorSettings, Pinning.EmulatorCore, cancellationToken);

        var samples = new Dictionary<(string Run, int Items), List<ChildResult>>();
        for (int r = 0; r < repeat; r++)
        {
            foreach (int items in sizes)
            {
                // Rotate the order so that no run always comes first (the emulator's disk cache, the machine's load).
                for (int k = 0; k < Runs.Length; k++)
                {
                    string run = Runs[(k + r) % Runs.Length];
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

        string BaselineOf(string run) => run == "typedbatch" ? "baseline-items" : run == "openai" ? "baseline-strings" : run;
        string Name(string run) => run switch
        {
            "typedbatch" => "TypedBatch, deferred mode",
            "openai" => "OpenAI SDK 2.15, files in memory",
            "baseline-items" => "baseline: N `BatchItem<string>`, no I/O",
            _ => "baseline: N `string`, no I/O",
        };

        var detail = new MarkdownTable("N", "Run", "Peak working set (median)", "Peak − its baseline", "Managed heap after, result held", "Allocated per item", "Wall time");
        foreach (int items in sizes)
        {
            foreach (string run in Runs)
            {
                ChildResult m = Median(run, items);
                ChildResult b = Median(BaselineOf(run), items);
                bool isBaseline = BaselineOf(run) == run;
                detail.Add(Fmt.N0(items), Name(run), Mb(m.PeakBytes), isBaseline ? "–" : Mb(m.PeakBytes - b.PeakBytes), Mb(m.HeapBytes), $"{Fmt.N0(m.AllocatedBytes / items)} B", $"{m.Seconds:F1} s");
            }
        }

        int small = sizes[0], large = sizes[1];
        double Extra(string run, int items) => Median(run, items).PeakBytes - Median(BaselineOf(run), items).PeakBytes;
        var summary = new MarkdownTable("", "TypedBatch, deferred mode", "OpenAI SDK, files in memory", "TypedBatch ÷ OpenAI SDK");
        foreach (int items in sizes)
        {
            double ours = Median("typedbatch", items).PeakBytes, theirs = Median("openai", items).PeakBytes;
            summary.Add($"Peak working set, {Fmt.N0(items)} items", Mb(ours), Mb(theirs), Fmt.Ratio(ours / theirs));
        }

        foreach (int items in sizes)
        {
            double ours = Extra("typedbatch", items), theirs = Extra("openai", items);
            summary.Add($"Peak − baseline, {Fmt.N0(items)} items", Mb(ours), Mb(theirs), Fmt.Ratio(ours / theirs));
        }

        summary.Add(
            $"Peak − baseline, {Fmt.N0(large)} ÷ {Fmt.N0(small)} (1 is flat, {large / small} linear)",
            Fmt.Ratio(Extra("typedbatch", large) / Extra("typedbatch", small)),
            Fmt.Ratio(Extra("openai", large) / Extra("openai", small)),
            "");

        string perRun = string.Join("; ", sizes.SelectMany(items => Runs.Select(run => $"{run} {Fmt.N0(items)}: {string.Join(" / ", samples[(run, items)].Select(s => Mb(s.PeakBytes)))}")));
        return new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"- {Fmt.N0(small)} and {Fmt.N0(large)} chat items (`IDeferredPrompts.ClassifyAsync`: a 900-character system prompt and a short user message, about 1.1 KB per request line; the emulator answers `Re: Classify review item 000017.`), {repeat} runs of each, every run a fresh child process (`{ChildCommand}`) whose peak working set is its `VmHWM`; medians reported")
            .AppendLine(CultureInfo.InvariantCulture, $"- Emulator (its own process) with a compressed batch clock (three 100 ms steps per batch: validating, up to 50,000 lines answered, finalizing; plus the emulator's own work): `{emulator.CommandLine}`; both clients poll every {PollInterval.TotalMilliseconds:F0} ms (TypedBatch: `PollInterval` {PollInterval.TotalMilliseconds:F0} ms, `MaxPollInterval` {4 * PollInterval.TotalMilliseconds:F0} ms)")
            .AppendLine("- TypedBatch: `client.For<IDeferredPrompts>().ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, … })`, inputs enumerated lazily, shards of 50,000 requests spooled to temporary files, output files streamed")
            .AppendLine(CultureInfo.InvariantCulture, $"- OpenAI SDK: per batch of at most {Fmt.N0(OpenAISdkBatchPeer.MaxRequestsPerBatch)} requests (OpenAI's limit), the JSONL built in a `MemoryStream` (`Utf8JsonWriter`), uploaded with `OpenAIFileClient.UploadFileAsync`, the batch created and polled with `BatchClient` (protocol methods); then each output file downloaded with `DownloadFileAsync` (a `BinaryData`) and parsed line by line into a `string[]` in input order")
            .AppendLine("- Baselines: the same program building and holding what each run returns, without any I/O: N `BatchItem<string>` (TypedBatch's `BatchResult<string>` holds these) or N `string`; the runtime's own start-up is in every number alike")
            .AppendLine("- Managed heap after: `GC.GetTotalMemory(forceFullCollection: true)` with the result still held; allocated: `GC.GetTotalAllocatedBytes(true)` over the run, ÷ N")
            .AppendLine(CultureInfo.InvariantCulture, $"- Peak working set per run: {perRun}")
            .AppendLine()
            .AppendLine(summary.ToString())
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
            "typedbatch" => await RunTypedBatchAsync(baseUrl, items),
            "openai" => await OpenAISdkBatchPeer.RunAsync(baseUrl, items, PollInterval, CancellationToken.None),
            "baseline-items" => BaselineItems(items),
            "baseline-strings" => BaselineStrings(items),
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
        await using var client = TypedBatchClient.Create(new TypedBatchOptions
        {
            Provider = ProviderKind.OpenAICompatible,
            BaseUrl = baseUrl,
            ApiKey = "unused",
            Model = DeferredWorkload.Model,
        });
        var options = new BatchOptions
        {
            Mode = BatchMode.Deferred,
            Deferred = new DeferredOptions { PollInterval = PollInterval, MaxPollInterval = 4 * PollInterval },
        };
        return await client.For<IDeferredPrompts>().ClassifyBatchAsync(DeferredWorkload.Reviews(items), options);
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
            _ => throw new InvalidOperationException($"Unexpected result {result.GetType()}."),
        };
        if (answers.Length != items || !answers.SequenceEqual(DeferredWorkload.Reviews(items).Select(DeferredWorkload.Answer)))
        {
            throw new InvalidOperationException("The answers are not every input's, in input order.");
        }
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

    /// <summary>One run's figures.</summary>
    private sealed record ChildResult(double PeakBytes, double HeapBytes, double AllocatedBytes, double Seconds);
}
