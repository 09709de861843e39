namespace TypedBatch.Emulator;

/// <summary>
/// Settings of an <see cref="EmulatorServer"/>. They are validated when the server starts; the
/// server keeps reading this instance, so a test may change faults or latency while it runs
/// (such later changes are not validated again).
/// </summary>
public sealed class EmulatorOptions
{
    /// <summary>The largest vector length the embeddings endpoint produces.</summary>
    internal const int MaxEmbeddingDimensions = 8192;

    /// <summary>The loopback port to listen on; 0 (the default) picks a free ephemeral port.</summary>
    public int Port { get; set; }

    /// <summary>
    /// When set, the server also listens on this loopback port (0 picks a free one): a second origin
    /// serving the same routes, the target of <c>[[redirect:S]]</c>, exposed as
    /// <see cref="EmulatorServer.SecondaryBaseUrl"/>. Requests it receives, and how many carried a
    /// credential header, are counted (<see cref="EmulatorStats.SecondaryOriginRequests"/>).
    /// <see langword="null"/> (the default) is off.
    /// </summary>
    public int? SecondaryPort { get; set; }

    /// <summary>The value that replaces a credential header's value in <see cref="EmulatorServer.CapturedRequests"/>.</summary>
    public const string CapturedCredentialMask = "***";

    /// <summary>
    /// When set, the server keeps every request it receives (except its own <c>/emulator/*</c> routes):
    /// method, path and query, headers and raw body, the last 10,000, as
    /// <see cref="EmulatorServer.CapturedRequests"/>. Off by default.
    /// </summary>
    public bool CaptureRequests { get; set; }

    /// <summary>
    /// When set with <see cref="CaptureRequests"/>, credential headers (<c>Authorization</c>,
    /// <c>api-key</c>, cookies, ...) are kept as sent; otherwise (the default) their values are
    /// <see cref="CapturedCredentialMask"/>, so a test's output never shows a secret unless it asks.
    /// </summary>
    public bool CaptureCredentials { get; set; }

    /// <summary>Delay added before every chat or embeddings answer; zero by default.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>
    /// Extra delay, uniformly random between zero and this value, added to <see cref="Latency"/>;
    /// drawn from a generator seeded with <see cref="Seed"/>.
    /// </summary>
    public TimeSpan LatencyJitter { get; set; }

    /// <summary>Seed of the random generator behind <see cref="LatencyJitter"/>; 42 by default.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>
    /// When set, every <c>/v1/*</c> request must carry <c>Authorization: Bearer &lt;ApiKey&gt;</c>
    /// or is answered 401 <c>invalid_api_key</c>. When <see langword="null"/>, any key is accepted.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// When greater than zero, every Nth chat or embeddings request received (counted from 1 across
    /// both endpoints: N, 2N, ...) fails with <see cref="FailStatus"/>. Zero (the default) turns it off.
    /// </summary>
    public int FailEveryNth { get; set; }

    /// <summary>The status of the failures injected by <see cref="FailEveryNth"/>, 400 to 599; 500 by default.</summary>
    public int FailStatus { get; set; } = 500;

    /// <summary>The GitHub token the Copilot token exchange accepts.</summary>
    public string GitHubToken { get; set; } = "emulator-github-token";

    /// <summary>How long a Copilot token issued by the exchange stays valid (real wall-clock time); 30 minutes by default.</summary>
    public TimeSpan CopilotTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The embedding vector length when a request has no <c>dimensions</c>; 256 by default.</summary>
    public int EmbeddingDimensions { get; set; } = 256;

    /// <summary>
    /// Requests per minute allowed across chat and embeddings (both routes); 0 (the default) is
    /// unlimited. Enforced as a token bucket refilled continuously that holds one second's budget
    /// (<c>max(1, limit / 60)</c>); a request over budget is answered 429 <c>rate_limit_exceeded</c>
    /// with type <c>requests</c>, <c>Retry-After</c> and <c>retry-after-ms</c>, and takes nothing.
    /// </summary>
    public int RequestsPerMinute { get; set; }

    /// <summary>
    /// Tokens per minute allowed, enforced like <see cref="RequestsPerMinute"/> (error type
    /// <c>tokens</c>); 0 (the default) is unlimited. A chat request reserves its prompt estimate plus
    /// <c>max_completion_tokens</c> or <c>max_tokens</c> (16 when neither is given); an embeddings
    /// request its input tokens. A request reserving more than the whole limit is answered 429
    /// "Request too large" with <c>x-should-retry: false</c> and no retry hint.
    /// </summary>
    public int TokensPerMinute { get; set; }

    /// <summary>
    /// The clock of the rate limits, of <see cref="StallDuration"/> and of <c>[[retry-after-date:N]]</c>;
    /// <see cref="TimeProvider.System"/> by default. Tests pass a fake one to control refills.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// When set, every valid chat and embeddings request is answered 429 <c>insufficient_quota</c>
    /// (no <c>Retry-After</c>: retrying does not help), as the <c>[[quota]]</c> marker does for one request.
    /// </summary>
    public bool QuotaExhausted { get; set; }

    /// <summary>
    /// Seed of the faults drawn by the rates below; 0 by default. The draw of a request depends only
    /// on this seed, its fingerprint and how often that fingerprint was received, so the same batch
    /// meets the same faults, and a retry draws again.
    /// </summary>
    public int FaultSeed { get; set; }

    /// <summary>Share of requests answered 500 <c>server_error</c>, 0 to 1; 0 (the default) is off.</summary>
    public double Error500Rate { get; set; }

    /// <summary>
    /// Share of requests answered 503 <c>server_is_overloaded</c>, 0 to 1; 0 (the default) is off.
    /// They carry <c>retry-after-ms: 50</c> (so clients that honour it retry quickly) and no
    /// <c>Retry-After</c>, unless retry-after markers say otherwise.
    /// </summary>
    public double Error503Rate { get; set; }

    /// <summary>Share of requests whose connection is aborted before any answer, 0 to 1; 0 (the default) is off.</summary>
    public double ResetRate { get; set; }

    /// <summary>
    /// Share of requests that wait <see cref="StallDuration"/> (or until the client goes away) before a
    /// normal answer, 0 to 1; 0 (the default) is off.
    /// </summary>
    public double StallRate { get; set; }

    /// <summary>How long a stalled request waits; 30 seconds by default.</summary>
    public TimeSpan StallDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Characters of content per streamed chunk (<c>"stream": true</c>); 0 (the default) sends each answer in four
    /// chunks. A chunk never splits a surrogate pair.
    /// </summary>
    public int StreamChunkCharacters { get; set; }

    /// <summary>Share of requests answered 200 with a body cut off mid-JSON, 0 to 1; 0 (the default) is off.</summary>
    public double MalformedRate { get; set; }

    /// <summary>
    /// Share of requests accepted and never answered (as <c>[[hang]]</c>): the connection stays open
    /// until the client gives up or the server stops; 0 to 1, 0 (the default) is off.
    /// </summary>
    public double HangRate { get; set; }

    /// <summary>
    /// The pace of <c>/v1/batches</c> on <see cref="TimeProvider"/>: <c>validating</c>, <c>finalizing</c>
    /// and <c>cancelling</c> last one step each, and <c>in_progress</c> answers
    /// <see cref="BatchLinesPerStep"/> lines per step; 1 second by default.
    /// </summary>
    public TimeSpan BatchStep { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Batch lines answered per <see cref="BatchStep"/> while <c>in_progress</c>; 1,000 by default.</summary>
    public int BatchLinesPerStep { get; set; } = 1000;

    /// <summary>
    /// The most requests a batch input file may have (and, for <c>/v1/embeddings</c>, inputs across
    /// the batch); more fail the batch with <c>too_many_tasks</c>. 50,000 by default, as OpenAI's.
    /// </summary>
    public int BatchMaxRequests { get; set; } = 50_000;

    /// <summary>The largest <c>batch</c> file accepted, in bytes; 200 MB by default, as OpenAI's.</summary>
    public long BatchMaxFileBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>The most bytes all uploaded files may hold together (a temporary directory); 1 GiB by default.</summary>
    public long FileStorageLimitBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>
    /// Share of batch lines answered with a 500 in the error file, 0 to 1, drawn with
    /// <see cref="FaultSeed"/> from the line's fingerprint and how often a batch line with it was
    /// answered (so a resubmission draws again); 0 (the default) is off.
    /// </summary>
    public double BatchLineFailureRate { get; set; }

    /// <summary>
    /// Share of batches that expire once half their lines are done (seeded by <see cref="FaultSeed"/>
    /// and the batch id): the output file keeps the lines done, the error file lists the rest as
    /// <c>batch_expired</c>; 0 to 1, 0 (the default) is off.
    /// </summary>
    public double BatchExpiryRate { get; set; }

    /// <summary>
    /// Requests per minute on Anthropic's <c>/v1/messages</c>, enforced for each model separately (as
    /// Anthropic applies its limits per model); 0 (the default) is unlimited. Same token bucket as
    /// <see cref="RequestsPerMinute"/>; a request over budget is answered 429 <c>rate_limit_error</c>
    /// with <c>retry-after</c> in whole seconds.
    /// </summary>
    public int AnthropicRequestsPerMinute { get; set; }

    /// <summary>
    /// Input tokens per minute (ITPM) on <c>/v1/messages</c>, per model; 0 (the default) is unlimited.
    /// A request reserves its input-token estimate (system prompt and messages) when it arrives.
    /// </summary>
    public int AnthropicInputTokensPerMinute { get; set; }

    /// <summary>
    /// Output tokens per minute (OTPM) on <c>/v1/messages</c>, per model; 0 (the default) is unlimited.
    /// As Anthropic documents it, OTPM counts only the output tokens actually produced (<c>max_tokens</c>
    /// reserves nothing): a request is admitted while the bucket is not empty and its answer's output
    /// tokens are taken afterwards (possibly into debt), so the next request waits.
    /// </summary>
    public int AnthropicOutputTokensPerMinute { get; set; }

    /// <summary>The most requests one Message Batch may have; 100,000 by default, as Anthropic's.</summary>
    public int AnthropicBatchMaxRequests { get; set; } = 100_000;

    /// <summary>The largest Message Batch body accepted, in bytes (larger: 413 <c>request_too_large</c>); 256 MB by default, as Anthropic's.</summary>
    public long AnthropicBatchMaxBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The pseudo-property named when the fault rates add up to more than 1.</summary>
    internal const string FaultRatesSum = "Error500Rate+Error503Rate+ResetRate+StallRate+MalformedRate+HangRate";

    /// <summary>Throws when a setting is out of range, naming the property.</summary>
    internal void Validate()
    {
        if (FindProblem() is not { } problem)
        {
            return;
        }

        string message = $"EmulatorOptions.{problem.Property} {problem.Rule}.";
        throw problem.Value is null
            ? new ArgumentException(message, problem.Property)
            : new ArgumentOutOfRangeException(problem.Property, problem.Value, message);
    }

    /// <summary>The first invalid setting: its name, its value (null for blank strings) and the rule it breaks.</summary>
    internal (string Property, object? Value, string Rule)? FindProblem()
    {
        if (Port is < 0 or > 65535)
        {
            return (nameof(Port), Port, "must be between 0 and 65535");
        }

        if (SecondaryPort is < 0 or > 65535)
        {
            return (nameof(SecondaryPort), SecondaryPort, "must be null (off) or between 0 and 65535");
        }

        if (Latency < TimeSpan.Zero)
        {
            return (nameof(Latency), Latency, "must not be negative");
        }

        if (LatencyJitter < TimeSpan.Zero)
        {
            return (nameof(LatencyJitter), LatencyJitter, "must not be negative");
        }

        if (FailEveryNth < 0)
        {
            return (nameof(FailEveryNth), FailEveryNth, "must be zero (off) or positive");
        }

        if (FailStatus is < 400 or > 599)
        {
            return (nameof(FailStatus), FailStatus, "must be an HTTP error status between 400 and 599");
        }

        if (ApiKey is not null && string.IsNullOrWhiteSpace(ApiKey))
        {
            return (nameof(ApiKey), null, "must be null (no key required) or a non-blank key");
        }

        if (string.IsNullOrWhiteSpace(GitHubToken))
        {
            return (nameof(GitHubToken), null, "must not be blank");
        }

        if (CopilotTokenLifetime <= TimeSpan.Zero)
        {
            return (nameof(CopilotTokenLifetime), CopilotTokenLifetime, "must be positive");
        }

        if (EmbeddingDimensions is < 1 or > MaxEmbeddingDimensions)
        {
            return (nameof(EmbeddingDimensions), EmbeddingDimensions, $"must be between 1 and {MaxEmbeddingDimensions}");
        }

        if (RequestsPerMinute < 0)
        {
            return (nameof(RequestsPerMinute), RequestsPerMinute, "must be zero (unlimited) or positive");
        }

        if (TokensPerMinute < 0)
        {
            return (nameof(TokensPerMinute), TokensPerMinute, "must be zero (unlimited) or positive");
        }

        if (TimeProvider is null)
        {
            return (nameof(TimeProvider), null, "must not be null");
        }

        if (StallDuration < TimeSpan.Zero)
        {
            return (nameof(StallDuration), StallDuration, "must not be negative");
        }

        if (StreamChunkCharacters < 0)
        {
            return (nameof(StreamChunkCharacters), StreamChunkCharacters, "must be zero (four chunks) or positive");
        }

        return FindBatchProblem() ?? FindAnthropicProblem() ?? FindRateProblem();
    }

    private (string Property, object? Value, string Rule)? FindAnthropicProblem()
    {
        if (AnthropicRequestsPerMinute < 0)
        {
            return (nameof(AnthropicRequestsPerMinute), AnthropicRequestsPerMinute, "must be zero (unlimited) or positive");
        }

        if (AnthropicInputTokensPerMinute < 0)
        {
            return (nameof(AnthropicInputTokensPerMinute), AnthropicInputTokensPerMinute, "must be zero (unlimited) or positive");
        }

        if (AnthropicOutputTokensPerMinute < 0)
        {
            return (nameof(AnthropicOutputTokensPerMinute), AnthropicOutputTokensPerMinute, "must be zero (unlimited) or positive");
        }

        if (AnthropicBatchMaxRequests < 1)
        {
            return (nameof(AnthropicBatchMaxRequests), AnthropicBatchMaxRequests, "must be positive");
        }

        return AnthropicBatchMaxBytes < 1 ? (nameof(AnthropicBatchMaxBytes), AnthropicBatchMaxBytes, "must be positive") : null;
    }

    private (string Property, object? Value, string Rule)? FindBatchProblem()
    {
        if (BatchStep <= TimeSpan.Zero)
        {
            return (nameof(BatchStep), BatchStep, "must be positive");
        }

        if (BatchLinesPerStep < 1)
        {
            return (nameof(BatchLinesPerStep), BatchLinesPerStep, "must be positive");
        }

        if (BatchMaxRequests < 1)
        {
            return (nameof(BatchMaxRequests), BatchMaxRequests, "must be positive");
        }

        if (BatchMaxFileBytes < 1)
        {
            return (nameof(BatchMaxFileBytes), BatchMaxFileBytes, "must be positive");
        }

        if (FileStorageLimitBytes < 1)
        {
            return (nameof(FileStorageLimitBytes), FileStorageLimitBytes, "must be positive");
        }

        if (!(BatchLineFailureRate is >= 0 and <= 1))
        {
            return (nameof(BatchLineFailureRate), BatchLineFailureRate, "must be between 0 and 1");
        }

        return !(BatchExpiryRate is >= 0 and <= 1) ? (nameof(BatchExpiryRate), BatchExpiryRate, "must be between 0 and 1") : null;
    }

    private (string Property, object? Value, string Rule)? FindRateProblem()
    {
        var rates = new (string Name, double Value)[]
        {
            (nameof(Error500Rate), Error500Rate),
            (nameof(Error503Rate), Error503Rate),
            (nameof(ResetRate), ResetRate),
            (nameof(StallRate), StallRate),
            (nameof(MalformedRate), MalformedRate),
            (nameof(HangRate), HangRate),
        };

        double sum = 0.0;
        foreach ((string? name, double value) in rates)
        {
            if (!(value is >= 0 and <= 1))
            {
                return (name, value, "must be between 0 and 1");
            }

            sum += value;
        }

        return sum > 1 + 1e-9 ? (FaultRatesSum, sum, "must add up to at most 1") : null;
    }
}
