namespace TypedBatch.Providers;

/// <summary>
/// Skips a provider that keeps failing: after <c>threshold</c> failures in a row it is open (skipped) for
/// <c>breakDuration</c>, then half-open: one trial call decides whether it closes again.
/// </summary>
internal sealed class CircuitBreaker(int threshold, TimeSpan breakDuration, TimeProvider time)
{
    private readonly Lock _lock = new();
    private int _failures;
    private DateTimeOffset _openUntil = DateTimeOffset.MinValue;
    private bool _trialInFlight;

    /// <summary>Whether a call may go to this provider now (and, when half-open, claims the one trial).</summary>
    public bool TryEnter()
    {
        lock (_lock)
        {
            if (_failures < threshold)
            {
                return true;
            }

            if (time.GetUtcNow() < _openUntil || _trialInFlight)
            {
                return false;
            }

            _trialInFlight = true;
            return true;
        }
    }

    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _failures >= threshold && time.GetUtcNow() < _openUntil;
            }
        }
    }

    public void OnSuccess()
    {
        lock (_lock)
        {
            _failures = 0;
            _trialInFlight = false;
        }
    }

    public void OnFailure()
    {
        lock (_lock)
        {
            _failures++;
            _trialInFlight = false;
            if (_failures >= threshold)
            {
                _openUntil = time.GetUtcNow() + breakDuration;
            }
        }
    }

    /// <summary>A call that was neither a success nor a provider failure (cancelled, or the caller's mistake).</summary>
    public void OnNeutral()
    {
        lock (_lock)
        {
            _trialInFlight = false;
        }
    }
}
