namespace TypedBatch.Limits;

/// <summary>
/// The rate limits of one provider endpoint: its account key, its configured limits, and its shared gate per model.
/// </summary>
internal sealed class ProviderLimits(RateLimitRegistry registry, string account, int? requestsPerMinute, int? tokensPerMinute, TimeSpan maxRetryAfter)
{
    /// <summary>A provider that limits nothing (a fake, or a provider whose limits are someone else's).</summary>
    public static ProviderLimits? None => null;

    public TimeProvider Time => registry.Time;

    /// <summary>A 429 hint longer than this fails the call instead of pausing everyone for it.</summary>
    public TimeSpan MaxRetryAfter { get; } = maxRetryAfter;

    public RateLimitGate GateFor(string model) => registry.GateFor(account, model, requestsPerMinute, tokensPerMinute);
}
