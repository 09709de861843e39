namespace TypedBatch;

/// <summary>
/// A requests-per-minute budget: a token bucket that refills continuously and holds at most one second's budget
/// (at least one request), the way providers meter. Every HTTP attempt, retries included, takes one token.
/// Waiters are served in arrival order by reserving future tokens.
/// </summary>
public sealed class RequestRateGate
{
    private readonly TimeProvider _time;
    private readonly double _perTick;
    private readonly double _capacity;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _last;

    /// <summary>Creates a gate.</summary>
    /// <param name="requestsPerMinute">The budget; at least 1.</param>
    /// <param name="timeProvider">The clock.</param>
    public RequestRateGate(int requestsPerMinute, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerMinute, 1);
        RequestsPerMinute = requestsPerMinute;
        _time = timeProvider ?? TimeProvider.System;
        double perSecond = requestsPerMinute / 60.0;
        _perTick = perSecond / _time.TimestampFrequency;
        _capacity = Math.Max(1.0, perSecond);
        _tokens = _capacity;
        _last = _time.GetTimestamp();
    }

    /// <summary>The budget.</summary>
    public int RequestsPerMinute { get; }

    /// <summary>Waits until a request may be sent, then takes its token.</summary>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait gives its token back.</param>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        TimeSpan wait;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + ((now - _last) * _perTick));
            _last = now;
            _tokens -= 1;
            if (_tokens >= 0)
            {
                return ValueTask.CompletedTask;
            }

            wait = TimeSpan.FromSeconds(-_tokens / (_perTick * _time.TimestampFrequency));
        }

        return new ValueTask(DelayAsync(wait, cancellationToken));
    }

    private async Task DelayAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _tokens += 1;
            }

            throw;
        }
    }
}
