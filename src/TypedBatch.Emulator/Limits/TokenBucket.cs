namespace TypedBatch.Emulator.Limits;

/// <summary>
/// One per-minute budget as a token bucket with continuous refill: it holds at most one second's
/// budget (<c>max(1, limit / 60)</c>) and refills at <c>limit / 60</c> per second. A request costing
/// more than the capacity passes once the bucket is full and leaves it in debt, so the average rate
/// still holds. Not thread-safe: <see cref="RateLimiter"/> serialises access.
/// </summary>
internal sealed class TokenBucket
{
    // Guards against floating-point dust: 0.5 s at 2/s must refill exactly one token.
    private const double Epsilon = 1e-9;
    private readonly TimeProvider _time;
    private readonly double _perSecond;
    private double _tokens;
    private long _lastTimestamp;

    /// <summary>Creates a full bucket.</summary>
    /// <param name="perMinute">The per-minute limit, at least 1.</param>
    /// <param name="time">The clock.</param>
    public TokenBucket(int perMinute, TimeProvider time)
    {
        Limit = perMinute;
        _time = time;
        _perSecond = perMinute / 60.0;
        Capacity = Math.Max(1.0, _perSecond);
        _tokens = Capacity;
        _lastTimestamp = time.GetTimestamp();
    }

    /// <summary>The per-minute limit the bucket enforces (the <c>x-ratelimit-limit-*</c> value).</summary>
    public int Limit { get; }

    /// <summary>The most the bucket holds: one second's budget, at least 1.</summary>
    public double Capacity { get; }

    /// <summary>Adds what has refilled since the last call.</summary>
    public void Refill()
    {
        long now = _time.GetTimestamp();
        TimeSpan elapsed = _time.GetElapsedTime(_lastTimestamp, now);
        _lastTimestamp = now;
        if (elapsed > TimeSpan.Zero)
        {
            _tokens = Math.Min(Capacity, _tokens + (elapsed.TotalSeconds * _perSecond));
        }
    }

    /// <summary>How long until a request of <paramref name="cost"/> may pass; zero when it may pass now. Call <see cref="Refill"/> first.</summary>
    public TimeSpan WaitFor(double cost)
    {
        double needed = Math.Min(cost, Capacity) - _tokens;
        return needed <= Epsilon ? TimeSpan.Zero : TimeSpan.FromSeconds(needed / _perSecond);
    }

    /// <summary>Takes <paramref name="cost"/> out of the bucket (possibly into debt).</summary>
    public void Take(double cost) => _tokens -= cost;

    /// <summary>The whole tokens left now (the <c>x-ratelimit-remaining-*</c> value), never negative.</summary>
    public long Remaining => (long)Math.Floor(Math.Max(0, _tokens + Epsilon));

    /// <summary>How long until the bucket is full again (the <c>x-ratelimit-reset-*</c> value).</summary>
    public TimeSpan UntilFull
    {
        get
        {
            double missing = Capacity - _tokens;
            return missing <= Epsilon ? TimeSpan.Zero : TimeSpan.FromSeconds(missing / _perSecond);
        }
    }

    /// <summary>The header values of the bucket as it is now.</summary>
    public BucketState State => new(Limit, Remaining, UntilFull);
}
