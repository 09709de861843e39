using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;

namespace TypedBatch.Emulator;

/// <summary>The outcome of parsing the executable's arguments.</summary>
/// <param name="Result">The parse, which prints the help when invoked with <c>--help</c>.</param>
/// <param name="Options">The settings, when the arguments are valid.</param>
/// <param name="Errors">What is wrong, each naming the flag; empty when <paramref name="Options"/> is set or help was asked for.</param>
internal sealed record ParsedCommandLine(ParseResult Result, EmulatorOptions? Options, IReadOnlyList<string> Errors)
{
    /// <summary>Whether <c>--help</c> (or <c>-h</c>, <c>-?</c>) was given.</summary>
    public bool HelpRequested => Result.Action is HelpAction;
}

/// <summary>
/// Turns the executable's arguments into <see cref="EmulatorOptions"/> with System.CommandLine:
/// it converts the values and names the flag of a value it cannot convert; the ranges are checked
/// by <see cref="EmulatorOptions.FindProblem"/>, the same rules as for <see cref="EmulatorServer.StartAsync"/>,
/// and reported under the flag's name.
/// </summary>
internal static class CommandLineOptions
{
    /// <summary>Parses <paramref name="args"/>.</summary>
    public static ParsedCommandLine Parse(IReadOnlyList<string> args)
    {
        var flags = new Flags();
        ParseResult result = flags.Command.Parse(args);
        if (result.Action is HelpAction)
        {
            return new ParsedCommandLine(result, null, []);
        }

        if (result.Errors.Count > 0)
        {
            return new ParsedCommandLine(result, null, [.. result.Errors.Select(static e => e.Message)]);
        }

        EmulatorOptions options = flags.Bind(result);
        if (options.FindProblem() is { } problem)
        {
            string flag = flags.FlagOf(problem.Property);
            return new ParsedCommandLine(result, null, [$"Invalid value for '{flag}': {problem.Rule}."]);
        }

        return new ParsedCommandLine(result, options, []);
    }

    /// <summary>The options of one parse; a fresh set per parse, so no symbol is shared between parsers.</summary>
    private sealed class Flags
    {
        private static readonly EmulatorOptions Defaults = new();

        private readonly Option<int> _port = Int("--port", "Port on 127.0.0.1; 0 picks a free port.", Defaults.Port);
        private readonly Option<int> _latency = Int("--latency-ms", "Delay before every chat/embeddings answer, in ms.", 0);
        private readonly Option<int> _jitter = Int("--jitter-ms", "Extra random delay, 0..n ms (seeded by --seed).", 0);
        private readonly Option<int> _seed = Int("--seed", "Seed of the jitter.", Defaults.Seed);
        private readonly Option<int> _failEvery = Int("--fail-every", "Fail every nth chat/embeddings request; 0 is off.", Defaults.FailEveryNth);
        private readonly Option<int> _failStatus = Int("--fail-status", "Status of those failures, 400-599.", Defaults.FailStatus);
        private readonly Option<string?> _apiKey = new("--api-key") { Description = "Require \"Authorization: Bearer <key>\" on /v1/*.", HelpName = "key" };
        private readonly Option<string> _gitHubToken = new("--github-token")
        {
            Description = "GitHub token accepted by the Copilot token exchange.",
            HelpName = "token",
            DefaultValueFactory = static _ => Defaults.GitHubToken,
        };

        private readonly Option<int> _copilotLifetime = Int("--copilot-token-lifetime-s", "Lifetime of issued Copilot tokens, in seconds.", (int)Defaults.CopilotTokenLifetime.TotalSeconds);
        private readonly Option<int> _dimensions = Int("--embedding-dimensions", "Default embedding length.", Defaults.EmbeddingDimensions);
        private readonly Option<int> _rpm = Int("--rpm", "Requests per minute, enforced with 429s; 0 is unlimited.", Defaults.RequestsPerMinute);
        private readonly Option<int> _tpm = Int("--tpm", "Tokens per minute, enforced with 429s; 0 is unlimited.", Defaults.TokensPerMinute);
        private readonly Option<int> _faultSeed = Int("--fault-seed", "Seed of the fault rates.", Defaults.FaultSeed);
        private readonly Option<double> _error500 = Rate("--error500-rate", "Share of requests answered 500");
        private readonly Option<double> _error503 = Rate("--error503-rate", "Share answered 503 server_is_overloaded");
        private readonly Option<double> _reset = Rate("--reset-rate", "Share whose connection is aborted");
        private readonly Option<double> _stall = Rate("--stall-rate", "Share that stall before answering");
        private readonly Option<int> _stallMs = Int("--stall-ms", "How long a stall lasts, in ms.", (int)Defaults.StallDuration.TotalMilliseconds);
        private readonly Option<double> _malformed = Rate("--malformed-rate", "Share answered 200 with cut-off JSON");
        private readonly Option<int> _streamChunk = Int("--stream-chunk-chars", "Characters per streamed content chunk; 0 sends each answer in four chunks.", Defaults.StreamChunkCharacters);
        private readonly Option<int?> _secondaryPort = new("--secondary-port")
        {
            Description = "Also listen on this loopback port, a second origin for [[redirect:S]]; 0 picks a free port.",
            HelpName = "n",
        };

        private readonly Option<double> _hang = Rate("--hang-rate", "Share accepted and never answered until the client gives up");
        private readonly Option<TimeSpan> _batchStep = new("--batch-step")
        {
            Description = "Pace of /v1/batches: each lifecycle step lasts this long (e.g. 500ms, 2s, 1m; a bare number is ms).",
            HelpName = "duration",
            DefaultValueFactory = static _ => Defaults.BatchStep,
            CustomParser = static argument =>
            {
                string token = argument.Tokens.Count == 1 ? argument.Tokens[0].Value : "";
                if (TryParseDuration(token, out TimeSpan duration))
                {
                    return duration;
                }

                argument.AddError($"Argument '{token}' for option '--batch-step' is not a duration such as 500ms, 2s or 1m.");
                return TimeSpan.Zero;
            },
        };

        private readonly Option<int> _batchLines = Int("--batch-lines-per-step", "Batch lines answered per --batch-step while in_progress.", Defaults.BatchLinesPerStep);
        private readonly Option<int> _batchMaxRequests = Int("--batch-max-requests", "Most requests in a batch input file.", Defaults.BatchMaxRequests);
        private readonly Option<int> _batchMaxFileMb = Int("--batch-max-file-mb", "Largest batch input file, in MiB.", (int)(Defaults.BatchMaxFileBytes / (1024 * 1024)));
        private readonly Option<double> _batchLineFailure = Rate("--batch-line-failure-rate", "Share of batch lines answered 500 in the error file");
        private readonly Option<double> _batchExpiry = Rate("--batch-expiry-rate", "Share of batches that expire half done");

        public Flags()
        {
            Command = new RootCommand("TypedBatch emulator: an OpenAI-compatible HTTP server on 127.0.0.1. The fault rates must add up to at most 1.")
            {
                _port, _latency, _jitter, _seed, _failEvery, _failStatus, _apiKey, _gitHubToken, _copilotLifetime, _dimensions,
                _rpm, _tpm, _faultSeed, _error500, _error503, _reset, _stall, _stallMs, _malformed, _streamChunk, _hang, _secondaryPort,
                _batchStep, _batchLines, _batchMaxRequests, _batchMaxFileMb, _batchLineFailure, _batchExpiry,
            };
        }

        public RootCommand Command { get; }

        public EmulatorOptions Bind(ParseResult result) => new()
        {
            Port = result.GetValue(_port),
            Latency = TimeSpan.FromMilliseconds(result.GetValue(_latency)),
            LatencyJitter = TimeSpan.FromMilliseconds(result.GetValue(_jitter)),
            Seed = result.GetValue(_seed),
            FailEveryNth = result.GetValue(_failEvery),
            FailStatus = result.GetValue(_failStatus),
            ApiKey = result.GetValue(_apiKey),
            GitHubToken = result.GetValue(_gitHubToken)!,
            CopilotTokenLifetime = TimeSpan.FromSeconds(result.GetValue(_copilotLifetime)),
            EmbeddingDimensions = result.GetValue(_dimensions),
            RequestsPerMinute = result.GetValue(_rpm),
            TokensPerMinute = result.GetValue(_tpm),
            FaultSeed = result.GetValue(_faultSeed),
            Error500Rate = result.GetValue(_error500),
            Error503Rate = result.GetValue(_error503),
            ResetRate = result.GetValue(_reset),
            StallRate = result.GetValue(_stall),
            StallDuration = TimeSpan.FromMilliseconds(result.GetValue(_stallMs)),
            MalformedRate = result.GetValue(_malformed),
            StreamChunkCharacters = result.GetValue(_streamChunk),
            HangRate = result.GetValue(_hang),
            SecondaryPort = result.GetValue(_secondaryPort),
            BatchStep = result.GetValue(_batchStep),
            BatchLinesPerStep = result.GetValue(_batchLines),
            BatchMaxRequests = result.GetValue(_batchMaxRequests),
            BatchMaxFileBytes = (long)result.GetValue(_batchMaxFileMb) * 1024 * 1024,
            BatchLineFailureRate = result.GetValue(_batchLineFailure),
            BatchExpiryRate = result.GetValue(_batchExpiry),
        };

        /// <summary>The flag that sets an <see cref="EmulatorOptions"/> property named by <see cref="EmulatorOptions.FindProblem"/>.</summary>
        public string FlagOf(string property) => property switch
        {
            nameof(EmulatorOptions.Port) => _port.Name,
            nameof(EmulatorOptions.Latency) => _latency.Name,
            nameof(EmulatorOptions.LatencyJitter) => _jitter.Name,
            nameof(EmulatorOptions.FailEveryNth) => _failEvery.Name,
            nameof(EmulatorOptions.FailStatus) => _failStatus.Name,
            nameof(EmulatorOptions.ApiKey) => _apiKey.Name,
            nameof(EmulatorOptions.GitHubToken) => _gitHubToken.Name,
            nameof(EmulatorOptions.CopilotTokenLifetime) => _copilotLifetime.Name,
            nameof(EmulatorOptions.EmbeddingDimensions) => _dimensions.Name,
            nameof(EmulatorOptions.RequestsPerMinute) => _rpm.Name,
            nameof(EmulatorOptions.TokensPerMinute) => _tpm.Name,
            nameof(EmulatorOptions.Error500Rate) => _error500.Name,
            nameof(EmulatorOptions.Error503Rate) => _error503.Name,
            nameof(EmulatorOptions.ResetRate) => _reset.Name,
            nameof(EmulatorOptions.StallRate) => _stall.Name,
            nameof(EmulatorOptions.StallDuration) => _stallMs.Name,
            nameof(EmulatorOptions.MalformedRate) => _malformed.Name,
            nameof(EmulatorOptions.StreamChunkCharacters) => _streamChunk.Name,
            nameof(EmulatorOptions.HangRate) => _hang.Name,
            nameof(EmulatorOptions.SecondaryPort) => _secondaryPort.Name,
            nameof(EmulatorOptions.BatchStep) => _batchStep.Name,
            nameof(EmulatorOptions.BatchLinesPerStep) => _batchLines.Name,
            nameof(EmulatorOptions.BatchMaxRequests) => _batchMaxRequests.Name,
            nameof(EmulatorOptions.BatchMaxFileBytes) => _batchMaxFileMb.Name,
            nameof(EmulatorOptions.BatchLineFailureRate) => _batchLineFailure.Name,
            nameof(EmulatorOptions.BatchExpiryRate) => _batchExpiry.Name,
            EmulatorOptions.FaultRatesSum => string.Join(" + ", new[] { _error500, _error503, _reset, _stall, _malformed, _hang }.Select(static o => o.Name)),
            _ => property,
        };

        // "500ms", "2s", "1m", "1h" or a bare number of milliseconds.
        private static bool TryParseDuration(string text, out TimeSpan duration)
        {
            (string number, double scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
                : text.EndsWith('s') ? (text[..^1], 1000.0)
                : text.EndsWith('m') ? (text[..^1], 60_000.0)
                : text.EndsWith('h') ? (text[..^1], 3_600_000.0)
                : (text, 1.0);
            bool parsed = double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value);
            duration = parsed ? TimeSpan.FromMilliseconds(value * scale) : TimeSpan.Zero;
            return parsed;
        }

        private static Option<int> Int(string name, string description, int defaultValue) => new(name)
        {
            Description = description,
            HelpName = "n",
            DefaultValueFactory = _ => defaultValue,
        };

        private static Option<double> Rate(string name, string description) => new(name)
        {
            Description = description + " (0 to 1).",
            HelpName = "x",
            DefaultValueFactory = static _ => 0.0,

            // Invariant, like every number in an API: "0.5" means a half whatever the machine's culture.
            CustomParser = argument =>
            {
                string token = argument.Tokens.Count == 1 ? argument.Tokens[0].Value : "";
                if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate))
                {
                    return rate;
                }

                argument.AddError($"Argument '{token}' for option '{name}' is not a number between 0 and 1.");
                return 0.0;
            },
        };
    }
}
