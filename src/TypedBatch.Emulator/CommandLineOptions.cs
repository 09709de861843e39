using System.Globalization;

namespace TypedBatch.Emulator;

/// <summary>Turns the executable's arguments into <see cref="EmulatorOptions"/>.</summary>
internal static class CommandLineOptions
{
    /// <summary>The help text.</summary>
    public const string Usage = """
        Usage: TypedBatch.Emulator [options]
          --port <n>                    port on 127.0.0.1 (default 0: a free port)
          --latency-ms <n>              delay before every chat/embeddings answer
          --jitter-ms <n>               extra random delay, 0..n ms (seeded)
          --seed <n>                    seed of the jitter (default 42)
          --fail-every <n>              fail every nth chat/embeddings request (default 0: off)
          --fail-status <n>             status of those failures, 400-599 (default 500)
          --api-key <key>               require "Authorization: Bearer <key>" on /v1/*
          --github-token <token>        GitHub token accepted by the Copilot token exchange
          --copilot-token-lifetime-s <n> lifetime of issued Copilot tokens (default 1800)
          --embedding-dimensions <n>    default embedding length (default 256)
          --rpm <n>                     requests per minute, enforced with 429s (default 0: unlimited)
          --tpm <n>                     tokens per minute, enforced with 429s (default 0: unlimited)
          --fault-seed <n>              seed of the fault rates below (default 0)
          --error500-rate <x>           share of requests answered 500, 0-1 (default 0)
          --error503-rate <x>           share answered 503 server_is_overloaded, 0-1 (default 0)
          --reset-rate <x>              share whose connection is aborted, 0-1 (default 0)
          --stall-rate <x>              share that stall before answering, 0-1 (default 0)
          --stall-ms <n>                how long a stall lasts (default 30000)
          --malformed-rate <x>          share answered 200 with cut-off JSON, 0-1 (default 0)
                                        (the five rates must add up to at most 1)
          --help                        show this text
        """;

    private static readonly Dictionary<string, string> ArgumentOf = new(StringComparer.Ordinal)
    {
        [nameof(EmulatorOptions.Port)] = "--port",
        [nameof(EmulatorOptions.Latency)] = "--latency-ms",
        [nameof(EmulatorOptions.LatencyJitter)] = "--jitter-ms",
        [nameof(EmulatorOptions.FailEveryNth)] = "--fail-every",
        [nameof(EmulatorOptions.FailStatus)] = "--fail-status",
        [nameof(EmulatorOptions.ApiKey)] = "--api-key",
        [nameof(EmulatorOptions.GitHubToken)] = "--github-token",
        [nameof(EmulatorOptions.CopilotTokenLifetime)] = "--copilot-token-lifetime-s",
        [nameof(EmulatorOptions.EmbeddingDimensions)] = "--embedding-dimensions",
        [nameof(EmulatorOptions.RequestsPerMinute)] = "--rpm",
        [nameof(EmulatorOptions.TokensPerMinute)] = "--tpm",
        [nameof(EmulatorOptions.FaultSeed)] = "--fault-seed",
        [nameof(EmulatorOptions.Error500Rate)] = "--error500-rate",
        [nameof(EmulatorOptions.Error503Rate)] = "--error503-rate",
        [nameof(EmulatorOptions.ResetRate)] = "--reset-rate",
        [nameof(EmulatorOptions.StallRate)] = "--stall-rate",
        [nameof(EmulatorOptions.StallDuration)] = "--stall-ms",
        [nameof(EmulatorOptions.MalformedRate)] = "--malformed-rate",
        [EmulatorOptions.FaultRatesSum] = "--error500-rate + --error503-rate + --reset-rate + --stall-rate + --malformed-rate",
    };

    private static readonly Dictionary<string, Action<EmulatorOptions, double>> Rates = new(StringComparer.Ordinal)
    {
        ["--error500-rate"] = static (o, v) => o.Error500Rate = v,
        ["--error503-rate"] = static (o, v) => o.Error503Rate = v,
        ["--reset-rate"] = static (o, v) => o.ResetRate = v,
        ["--stall-rate"] = static (o, v) => o.StallRate = v,
        ["--malformed-rate"] = static (o, v) => o.MalformedRate = v,
    };

    /// <summary>Parses <paramref name="args"/>; on failure <paramref name="error"/> names the offending argument.</summary>
    /// <returns><see langword="true"/> with options, or <see langword="false"/> with an error (or neither when help was asked for).</returns>
    public static bool TryParse(IReadOnlyList<string> args, out EmulatorOptions options, out string? error, out bool helpRequested)
    {
        options = new EmulatorOptions();
        error = null;
        helpRequested = false;
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i];
            string? value = null;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (name.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }

            if (name is "--help" or "-h" or "-?")
            {
                helpRequested = true;
                return false;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    error = $"Argument '{name}' needs a value.";
                    return false;
                }

                value = args[++i];
            }

            error = Apply(options, name, value);
            if (error is not null)
            {
                return false;
            }
        }

        if (options.FindProblem() is { } problem)
        {
            string argument = ArgumentOf.GetValueOrDefault(problem.Property, problem.Property);
            error = $"Invalid value for '{argument}': {problem.Rule}.";
            return false;
        }

        return true;
    }

    private static string? Apply(EmulatorOptions options, string name, string value)
    {
        switch (name)
        {
            case "--api-key":
                options.ApiKey = value;
                return null;
            case "--github-token":
                options.GitHubToken = value;
                return null;
        }

        if (Rates.TryGetValue(name, out Action<EmulatorOptions, double>? setRate))
        {
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
            {
                return $"Argument '{name}' expects a number between 0 and 1, got '{value}'.";
            }

            setRate(options, rate);
            return null;
        }

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number))
        {
            return IsKnown(name)
                ? $"Argument '{name}' expects an integer, got '{value}'."
                : $"Unknown argument '{name}'.";
        }

        switch (name)
        {
            case "--port":
                options.Port = number;
                break;
            case "--latency-ms":
                options.Latency = TimeSpan.FromMilliseconds(number);
                break;
            case "--jitter-ms":
                options.LatencyJitter = TimeSpan.FromMilliseconds(number);
                break;
            case "--seed":
                options.Seed = number;
                break;
            case "--fail-every":
                options.FailEveryNth = number;
                break;
            case "--fail-status":
                options.FailStatus = number;
                break;
            case "--copilot-token-lifetime-s":
                options.CopilotTokenLifetime = TimeSpan.FromSeconds(number);
                break;
            case "--embedding-dimensions":
                options.EmbeddingDimensions = number;
                break;
            case "--rpm":
                options.RequestsPerMinute = number;
                break;
            case "--tpm":
                options.TokensPerMinute = number;
                break;
            case "--fault-seed":
                options.FaultSeed = number;
                break;
            case "--stall-ms":
                options.StallDuration = TimeSpan.FromMilliseconds(number);
                break;
            default:
                return $"Unknown argument '{name}'.";
        }

        return null;
    }

    private static bool IsKnown(string name) => name == "--seed" || ArgumentOf.ContainsValue(name);
}
