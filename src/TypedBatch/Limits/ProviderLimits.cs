namespace TypedBatch.Limits;

/// <summary>
/// The rate limits of one provider endpoint: its account key, its configured limits, its shared gate per model, and
/// how its error bodies say "out of quota" (a 429 that is no rate limit, so it must not pause the gate).
/// </summary>
internal sealed class ProviderLimits(RateLimitRegistry registry, string account, int? requestsPerMinute, int? tokensPerMinute, TimeSpan maxRetryAfter,
    Func<string, bool>? isQuotaError = null)
{
    public TimeProvider Time => registry.Time;

    /// <summary>A 429 hint longer than this fails the call instead of pausing everyone for it.</summary>
    public TimeSpan MaxRetryAfter { get; } = maxRetryAfter;

    /// <summary>Whether a 429's error body says the account is out of quota; the provider knows its error shape.</summary>
    public Func<string, bool> IsQuotaError { get; } = isQuotaError ?? (static _ => false);

    public RateLimitGate GateFor(string model) => registry.GateFor(account, model, requestsPerMinute, tokensPerMinute);
}
