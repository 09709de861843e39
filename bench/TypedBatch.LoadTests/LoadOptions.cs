using System.Globalization;

namespace TypedBatch.LoadTests;

/// <summary>The command line.</summary>
internal sealed record LoadOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/TypedBatch.LoadTests -- <limit|overhead> [options]
          limit      throughput at the emulator's RPM/TPM limits: TypedBatch (learned and configured limits),
                     the OpenAI SDK and Microsoft.Extensions.AI at the same concurrency
          overhead   CPU time and allocations per request against an unthrottled emulator without latency:
                     raw HttpClient, TypedBatch, the OpenAI SDK
        Options:
          --cases <list>         limit: rpm3000,rpm12000,tpm (default all)
          --clients <list>       typedbatch,typedbatch-configured,openai,meai,raw (default: per scenario); for
                                 diagnosis also typedbatch-untyped,typedbatch-noretries,typedbatch-nohttplogging
          --scale <x>            limit: multiply the request counts (default 1)
          --concurrency <n>      requests in flight (default 64 for limit, 32 for overhead)
          --requests <n>         overhead: measured requests per run (default 5000)
          --latency-ms <n>       overhead: emulator latency (default 0); with latency every client runs at the same
                                 throughput (in flight ÷ latency), which removes the closed loop's batching effects
          --jit-warmup <n>       overhead: unmeasured requests per client before the first run (default 20000)
          --warmup <n>           overhead: warm-up requests before each run (default 1000)
          --repeat <n>           runs per cell (default 1 for limit, 3 for overhead; the median is reported)
          --profile-allocations  overhead: sample allocations by type (GC AllocationTick events) instead
          --quiet-below <cores>  before each run wait until other processes use fewer cores than this (default 0.3)
          --quiet-wait <s>       ... but at most this long (default 60)
          --top <n>              allocation sampling: types listed per client (default 15)
          --no-pin               do not pin the client to core 0 and the emulator to core 1
          --doc <path>           the Markdown report to update (default docs/benchmarks.md)
          --no-doc               print only
        """;

    public required string Scenario { get; init; }

    public IReadOnlyList<string> Cases { get; init; } = ["rpm3000", "rpm12000", "tpm"];

    public IReadOnlyList<string>? Clients { get; init; }

    public double Scale { get; init; } = 1;

    public int? Concurrency { get; init; }

    public int Requests { get; init; } = 5000;

    public int Warmup { get; init; } = 1000;

    public int JitWarmup { get; init; } = 20_000;

    public int LatencyMs { get; init; }

    public int? Repeat { get; init; }

    public bool ProfileAllocations { get; init; }

    public bool NoPin { get; init; }

    public int Top { get; init; } = 15;

    public double QuietBelow { get; init; } = 0.3;

    public TimeSpan QuietWait { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Waits for a quiet machine as configured; returns the cores others used in the last second.</summary>
    public Task<double> WaitForQuietAsync(CancellationToken cancellationToken) => MachineLoad.WaitForQuietAsync(QuietBelow, QuietWait, cancellationToken);

    public string? Doc { get; init; } = Path.Combine("docs", "benchmarks.md");

    public static bool TryParse(string[] args, out LoadOptions options, out string? error)
    {
        options = new LoadOptions { Scenario = "" };
        error = null;
        if (args.Length == 0 || args[0] is not ("limit" or "overhead"))
        {
            error = args.Length == 0 ? "Name a scenario." : $"Unknown scenario '{args[0]}'.";
            return false;
        }

        options = options with { Scenario = args[0] };
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"'{name}' needs a value.");
            try
            {
                options = name switch
                {
                    "--cases" => options with { Cases = List(Value()) },
                    "--clients" => options with { Clients = List(Value()) },
                    "--scale" => options with { Scale = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--concurrency" => options with { Concurrency = Positive(Value()) },
                    "--requests" => options with { Requests = Positive(Value()) },
                    "--latency-ms" => options with { LatencyMs = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--jit-warmup" => options with { JitWarmup = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--warmup" => options with { Warmup = int.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--repeat" => options with { Repeat = Positive(Value()) },
                    "--profile-allocations" => options with { ProfileAllocations = true },
                    "--quiet-below" => options with { QuietBelow = double.Parse(Value(), CultureInfo.InvariantCulture) },
                    "--quiet-wait" => options with { QuietWait = TimeSpan.FromSeconds(Positive(Value())) },
                    "--top" => options with { Top = Positive(Value()) },
                    "--no-pin" => options with { NoPin = true },
                    "--doc" => options with { Doc = Value() },
                    "--no-doc" => options with { Doc = null },
                    _ => throw new FormatException($"Unknown option '{name}'."),
                };
            }
            catch (FormatException ex)
            {
                error = ex.Message;
                return false;
            }
        }

        return true;
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int Positive(string value)
        => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new FormatException($"Expected a positive integer, got '{value}'.");
}
