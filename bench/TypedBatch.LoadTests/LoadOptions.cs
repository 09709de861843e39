using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using System.Globalization;

namespace TypedBatch.LoadTests;

/// <summary>The settings of a load run, from the command line (<see cref="LoadFlags"/>).</summary>
internal sealed record LoadOptions
{
    public required string Scenario { get; init; }

    public IReadOnlyList<string> Cases { get; init; } = ["rpm3000", "rpm12000", "tpm"];

    public IReadOnlyList<string>? Clients { get; init; }

    public double Scale { get; init; } = 1;

    public int? Concurrency { get; init; }

    public int Requests { get; init; } = 5000;

    /// <summary>straggler: items in the batch.</summary>
    public int Items { get; init; } = 1000;

    /// <summary>straggler: the share of requests the emulator accepts and never answers.</summary>
    public double HangRate { get; init; } = 0.01;

    /// <summary>straggler: a run still going after this long is cancelled and reported as not finished.</summary>
    public TimeSpan RunCap { get; init; } = TimeSpan.FromSeconds(300);

    public int Warmup { get; init; } = 1000;

    public int JitWarmup { get; init; } = 20_000;

    public int LatencyMs { get; init; }

    public int? Repeat { get; init; }

    public bool ProfileAllocations { get; init; }

    /// <summary>overhead: the emulator sends x-ratelimit-* headers (limits far above the load), as real providers do.</summary>
    public bool RateLimitHeaders { get; init; }

    public bool NoPin { get; init; }

    public int Top { get; init; } = 15;

    public double QuietBelow { get; init; } = 0.3;

    public TimeSpan QuietWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Waits for a quiet machine as configured; returns the cores others used in the last second.</summary>
    public Task<double> WaitForQuietAsync(CancellationToken cancellationToken) => MachineLoad.WaitForQuietAsync(QuietBelow, QuietWait, cancellationToken);

    public string? Doc { get; init; } = Path.Combine("docs", "benchmarks.md");

    /// <summary>Parses the command line; the errors name the flag or argument at fault.</summary>
    public static LoadCommandLine Parse(string[] args) => new LoadFlags().Parse(args);
}

/// <summary>The outcome of parsing: <see cref="Options"/> when the arguments are valid, otherwise <see cref="Errors"/> (or help).</summary>
internal sealed record LoadCommandLine(ParseResult Result, LoadOptions? Options, IReadOnlyList<string> Errors)
{
    public bool HelpRequested => Result.Action is HelpAction;
}

/// <summary>The flags of the load tool, as System.CommandLine symbols.</summary>
internal sealed class LoadFlags
{
    private static readonly LoadOptions Defaults = new() { Scenario = "" };

    private readonly Argument<string> _scenario = new("scenario")
    {
        Description = """
            limit: throughput at the emulator's RPM/TPM limits: TypedBatch (learned and configured limits), the OpenAI SDK
            and Microsoft.Extensions.AI at the same concurrency. overhead: CPU time and allocations per request against an
            unthrottled emulator without latency: raw HttpClient, TypedBatch, the OpenAI SDK. journal: throughput and
            allocations with and without BatchOptions.Journal, and a 100,000-item batch killed with SIGKILL at 50 % and resumed.
            deferred: peak working set of 20,000- and 200,000-item deferred-mode batches (each run a child process), against
            the OpenAI SDK's Files and Batch clients with the files in memory and against holding the results alone.
            straggler: wall time of a 1,000-item batch when 1 % of requests hang (accepted, never answered), against the same
            batch without hangs: TypedBatch with hedging on and off, and the OpenAI SDK at the same concurrency.
            """,
    };

    private readonly Option<string> _cases = new("--cases")
    {
        Description = "limit: rpm3000,rpm12000,tpm",
        HelpName = "list",
        DefaultValueFactory = static _ => string.Join(',', Defaults.Cases),
    };

    private readonly Option<string?> _clients = new("--clients")
    {
        Description = "typedbatch,typedbatch-configured,openai,meai,raw (default: per scenario); for diagnosis also "
            + "typedbatch-untyped,typedbatch-noretries,typedbatch-nohttplogging; overhead also typedbatch-stream,openai-stream "
            + "(streamed transport), typedbatch-nohedge, typedbatch-otel, meai-otel, typedbatch-chatclient (UseChatClient over the SDK's IChatClient)",
        HelpName = "list",
    };

    private readonly Option<double> _scale = new("--scale")
    {
        Description = "limit, journal, deferred: multiply the request (item) counts",
        HelpName = "x",
        DefaultValueFactory = static _ => Defaults.Scale,
    };

    private readonly Option<int?> _concurrency = OptionalPositive("--concurrency", "requests in flight (default 64 for limit, 32 for overhead)");
    private readonly Option<int> _requests = Positive("--requests", "overhead: measured requests per run", Defaults.Requests);
    private readonly Option<int> _items = Positive("--items", "straggler: items in the batch", Defaults.Items);
    private readonly Option<double> _hangRate = new("--hang-rate")
    {
        Description = "straggler: share of requests the emulator accepts and never answers (seeded)",
        HelpName = "x",
        DefaultValueFactory = static _ => Defaults.HangRate,
    };

    private readonly Option<int> _runCap = Positive("--cap-s", "straggler: cancel a run still going after this many seconds and report it as not finished", (int)Defaults.RunCap.TotalSeconds);
    private readonly Option<int> _latency = Int(
        "--latency-ms",
        "overhead: emulator latency; with latency every client runs at the same throughput (in flight / latency), which "
            + "removes the closed loop's batching effects",
        Defaults.LatencyMs);

    private readonly Option<int> _jitWarmup = Int("--jit-warmup", "overhead: unmeasured requests per client before the first run", Defaults.JitWarmup);
    private readonly Option<int> _warmup = Int("--warmup", "overhead: warm-up requests before each run", Defaults.Warmup);
    private readonly Option<int?> _repeat = OptionalPositive("--repeat", "runs per cell (default 1 for limit, 3 for overhead, journal and deferred; the median is reported)");
    private readonly Option<bool> _profileAllocations = new("--profile-allocations") { Description = "overhead: sample allocations by type (GC AllocationTick events) instead" };
    private readonly Option<bool> _rateLimitHeaders = new("--rate-limit-headers") { Description = "overhead: the emulator sends x-ratelimit-* headers on every answer (limits far above the load), as OpenAI does" };
    private readonly Option<double> _quietBelow = new("--quiet-below")
    {
        Description = "before each run wait until other processes use fewer cores than this",
        HelpName = "cores",
        DefaultValueFactory = static _ => Defaults.QuietBelow,
    };

    private readonly Option<int> _quietWait = Positive("--quiet-wait", "... but at most this many seconds", (int)Defaults.QuietWait.TotalSeconds);
    private readonly Option<int> _top = Positive("--top", "allocation sampling: types listed per client", Defaults.Top);
    private readonly Option<bool> _noPin = new("--no-pin") { Description = "do not pin the client to core 0 and the emulator to core 1" };
    private readonly Option<string> _doc = new("--doc")
    {
        Description = "the Markdown report to update",
        HelpName = "path",
        DefaultValueFactory = static _ => Defaults.Doc!,
    };

    private readonly Option<bool> _noDoc = new("--no-doc") { Description = "print only" };

    public LoadCommandLine Parse(string[] args)
    {
        _scenario.AcceptOnlyFromAmong("limit", "overhead", "journal", "deferred", "straggler");
        var command = new RootCommand("Load runs of TypedBatch and its peers against the emulator, run as its own process.")
        {
            _scenario, _cases, _clients, _scale, _concurrency, _requests, _items, _hangRate, _runCap, _latency, _jitWarmup, _warmup, _repeat,
            _profileAllocations, _rateLimitHeaders, _quietBelow, _quietWait, _top, _noPin, _doc, _noDoc,
        };
        ParseResult result = command.Parse(args);
        if (result.Action is HelpAction || result.Errors.Count > 0)
        {
            return new LoadCommandLine(result, null, [.. result.Errors.Select(static e => e.Message)]);
        }

        var options = new LoadOptions
        {
            Scenario = result.GetValue(_scenario)!,
            Cases = List(result.GetValue(_cases)!),
            Clients = result.GetValue(_clients) is { } clients ? List(clients) : null,
            Scale = result.GetValue(_scale),
            Concurrency = result.GetValue(_concurrency),
            Requests = result.GetValue(_requests),
            Items = result.GetValue(_items),
            HangRate = result.GetValue(_hangRate),
            RunCap = TimeSpan.FromSeconds(result.GetValue(_runCap)),
            LatencyMs = result.GetValue(_latency),
            JitWarmup = result.GetValue(_jitWarmup),
            Warmup = result.GetValue(_warmup),
            Repeat = result.GetValue(_repeat),
            ProfileAllocations = result.GetValue(_profileAllocations),
            RateLimitHeaders = result.GetValue(_rateLimitHeaders),
            QuietBelow = result.GetValue(_quietBelow),
            QuietWait = TimeSpan.FromSeconds(result.GetValue(_quietWait)),
            Top = result.GetValue(_top),
            NoPin = result.GetValue(_noPin),
            Doc = result.GetValue(_noDoc) ? null : result.GetValue(_doc),
        };
        return new LoadCommandLine(result, options, []);
    }

    // A parser, not a validator: validators also run after a failed conversion, and then cannot read the value.
    private static int? ParsePositive(ArgumentResult argument, string name)
    {
        string token = argument.Tokens.Count == 1 ? argument.Tokens[0].Value : "";
        if (int.TryParse(token, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0)
        {
            return value;
        }

        argument.AddError($"Option '{name}' expects a positive integer, got '{token}'.");
        return null;
    }

    private static Option<int?> OptionalPositive(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "n",
        CustomParser = argument => ParsePositive(argument, name),
    };

    private static Option<int> Positive(string name, string description, int defaultValue) => new(name)
    {
        Description = description,
        HelpName = "n",
        DefaultValueFactory = _ => defaultValue,
        CustomParser = argument => ParsePositive(argument, name) ?? 0,
    };

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Option<int> Int(string name, string description, int defaultValue) => new(name)
    {
        Description = description,
        HelpName = "n",
        DefaultValueFactory = _ => defaultValue,
    };
}
