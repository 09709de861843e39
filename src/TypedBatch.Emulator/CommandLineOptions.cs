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
    };

    /// <summary>Parses <paramref name="args"/>; on failure <paramref name="error"/> names the offending argument.</summary>
    /// <returns><see langword="true"/> with options, or <see langword="false"/> with an error (or neither when help was asked for).</returns>
    public static bool TryParse(IReadOnlyList<string> args, out EmulatorOptions options, out string? error, out bool helpRequested)
    {
        options = new EmulatorOptions();
        error = null;
        helpRequested = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string? value = null;
            var equals = name.IndexOf('=', StringComparison.Ordinal);
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
            var argument = ArgumentOf.GetValueOrDefault(problem.Property, problem.Property);
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

        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
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
            default:
                return $"Unknown argument '{name}'.";
        }

        return null;
    }

    private static bool IsKnown(string name) => name == "--seed" || ArgumentOf.ContainsValue(name);
}
