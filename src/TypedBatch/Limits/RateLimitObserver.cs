namespace TypedBatch;

/// <summary>Keeps the most recent rate-limit headers a provider sent, for progress displays and limiters.</summary>
public sealed class RateLimitObserver
{
    private RateLimitInfo? _latest;

    /// <summary>The most recent rate-limit headers, or <see langword="null"/> before any response carried them.</summary>
    public RateLimitInfo? Latest => Volatile.Read(ref _latest);

    /// <summary>Records what a response said.</summary>
    /// <param name="info">The parsed headers.</param>
    public void Observe(RateLimitInfo info) => Volatile.Write(ref _latest, info);
}
