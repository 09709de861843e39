using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace TypedBatch.LoadTests;

/// <summary>How to start the emulator.</summary>
/// <param name="RequestsPerMinute">--rpm (0: unlimited).</param>
/// <param name="TokensPerMinute">--tpm (0: unlimited).</param>
/// <param name="LatencyMs">--latency-ms.</param>
/// <param name="JitterMs">--jitter-ms (uniform 0..n extra).</param>
/// <param name="Extra">Further arguments, e.g. the Batch API's <c>--batch-step</c>.</param>
internal sealed record EmulatorSettings(int RequestsPerMinute = 0, int TokensPerMinute = 0, int LatencyMs = 0, int JitterMs = 0, IReadOnlyList<string>? Extra = null)
{
    public IEnumerable<string> Arguments =>
    [
        "--port", "0",
        "--rpm", Invariant(RequestsPerMinute),
        "--tpm", Invariant(TokensPerMinute),
        "--latency-ms", Invariant(LatencyMs),
        "--jitter-ms", Invariant(JitterMs),
        .. Extra ?? [],
    ];

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The built emulator (<c>src/TypedBatch.Emulator/bin/Release/net10.0/TypedBatch.Emulator.dll</c>, built first when
/// missing) run as a child process, on its own core through <c>taskset</c> when <paramref name="core"/> is given; its
/// URL is read from the "listening on" line. Disposing kills it; so does the end of this process.
/// </summary>
internal sealed class EmulatorProcess : IAsyncDisposable
{
    private static readonly HashSet<Process> Running = [];
    private readonly Process _process;
    private readonly HttpClient _http;

    static EmulatorProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    private EmulatorProcess(Process process, Uri rootUrl, string commandLine)
    {
        _process = process;
        RootUrl = rootUrl;
        BaseUrl = new Uri(rootUrl, "v1/");
        CommandLine = commandLine;
        _http = new HttpClient { BaseAddress = rootUrl, Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri RootUrl { get; }

    /// <summary>The OpenAI-compatible base URL (<c>…/v1/</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>How the emulator was started, for the report.</summary>
    public string CommandLine { get; }

    public static async Task<EmulatorProcess> StartAsync(EmulatorSettings settings, int? core, CancellationToken cancellationToken = default)
    {
        string dll = await EnsureBuiltAsync(cancellationToken);
        var start = new ProcessStartInfo
        {
            FileName = core is null ? "dotnet" : "taskset",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (core is { } c)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(c.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(dll);
        foreach (string argument in settings.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        string commandLine = string.Join(' ', start.ArgumentList.Prepend(start.FileName)).Replace(RepoRoot.Path + "/", "", StringComparison.Ordinal);
        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the emulator.");
        lock (Running)
        {
            Running.Add(process);
        }

        try
        {
            return new EmulatorProcess(process, await ReadUrlAsync(process, cancellationToken), commandLine);
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    /// <summary>The emulator process's CPU time so far.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Counters since the last reset.</summary>
    public async Task<EmulatorCounters> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        await using Stream body = await _http.GetStreamAsync(new Uri("emulator/stats", UriKind.Relative), cancellationToken);
        using JsonDocument document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        JsonElement root = document.RootElement;
        int itemsRejected = 0;
        foreach (JsonProperty fingerprint in root.GetProperty("byFingerprint").EnumerateObject())
        {
            if (fingerprint.Value.GetProperty("received").GetInt64() > fingerprint.Value.GetProperty("accepted").GetInt64())
            {
                itemsRejected++;
            }
        }

        return new EmulatorCounters(
            root.GetProperty("received").GetInt64(),
            root.GetProperty("accepted").GetInt64(),
            root.GetProperty("rejectedRateLimited").GetInt64(),
            itemsRejected,
            root.GetProperty("maxConcurrentRequests").GetInt64(),
            root.GetProperty("chatRequestsReceived").GetInt64(),
            root.GetProperty("injectedFaults").GetProperty("hang").GetInt64());
    }

    /// <summary>Zeroes the counters (the rate-limit buckets are not touched).</summary>
    public async Task ResetStatsAsync(CancellationToken cancellationToken = default)
    {
        using HttpResponseMessage response = await _http.PostAsync(new Uri("emulator/reset", UriKind.Relative), null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        Kill(_process);
        await _process.WaitForExitAsync();
        lock (Running)
        {
            Running.Remove(_process);
        }

        _process.Dispose();
    }

    /// <summary>
    /// Waits for "TypedBatch emulator listening on http://127.0.0.1:41234/v1/" and returns the root URL; both pipes stay
    /// drained afterwards, so that the emulator never blocks on a full one, and its errors are shown.
    /// </summary>
    private static async Task<Uri> ReadUrlAsync(Process process, CancellationToken cancellationToken)
    {
        const string Marker = "listening on ";
        var url = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            int at = e.Data?.IndexOf(Marker, StringComparison.Ordinal) ?? -1;
            if (at >= 0)
            {
                url.TrySetResult(new Uri(new Uri(e.Data![(at + Marker.Length)..].Trim()), "/"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                errors.Enqueue(line);
                Console.Error.WriteLine("[emulator] " + line);
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => url.TrySetException(new InvalidOperationException($"The emulator exited before listening: {string.Join(" ", errors)}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return await url.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
    }

    private static async Task<string> EnsureBuiltAsync(CancellationToken cancellationToken)
    {
        string project = Path.Combine(RepoRoot.Path, "src", "TypedBatch.Emulator");
        string dll = Path.Combine(project, "bin", "Release", "net10.0", "TypedBatch.Emulator.dll");
        if (File.Exists(dll))
        {
            return dll;
        }

        Console.Error.WriteLine($"Building the emulator: dotnet build {project} -c Release");
        using var build = Process.Start("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "q"]);
        await build.WaitForExitAsync(cancellationToken);
        return build.ExitCode == 0 && File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"Building the emulator failed (exit code {build.ExitCode}); expected {dll}.");
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static void KillAll()
    {
        lock (Running)
        {
            foreach (Process process in Running)
            {
                Kill(process);
            }
        }
    }
}

/// <summary>The emulator's counters that the scenarios report.</summary>
/// <param name="Received">Chat requests that arrived (every attempt).</param>
/// <param name="Accepted">Requests answered by the "model".</param>
/// <param name="RateLimited">Requests answered 429 <c>rate_limit_exceeded</c>.</param>
/// <param name="ItemsRejected">Distinct requests (one per item: every item's prompt differs) that were refused at least once.</param>
/// <param name="MaxConcurrent">The most requests in flight at once.</param>
/// <param name="ChatReceived">Chat completion requests that arrived (every attempt and hedge).</param>
/// <param name="Hung">Requests the emulator accepted and never answered (<c>--hang-rate</c>), counted when the hang starts.</param>
internal sealed record EmulatorCounters(long Received, long Accepted, long RateLimited, int ItemsRejected, long MaxConcurrent, long ChatReceived = 0, long Hung = 0);

/// <summary>The repository root: the first folder above the program that holds <c>TypedBatch.sln</c>.</summary>
internal static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "TypedBatch.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No TypedBatch.sln above {AppContext.BaseDirectory}.");
    }
}
