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

    /// <summary>Throws when a setting is out of range, naming the property.</summary>
    internal void Validate()
    {
        if (FindProblem() is not { } problem)
        {
            return;
        }

        var message = $"EmulatorOptions.{problem.Property} {problem.Rule}.";
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

        return null;
    }
}
