namespace TypedBatch.Limits;

/// <summary>
/// The concurrency limit of one batch, adjusted by what the provider says (AIMD, as TCP does): a 429 cuts it to 70 %
/// (once per cooldown, so one burst of 429s counts once), each success adds <c>1/limit</c> so it grows back by one per
/// round of requests, never above the batch's <c>MaxConcurrency</c> or below 1. The rate-limit handlers report to the
/// batch a call runs for through <see cref="BatchScope"/>.
/// </summary>
internal sealed class AdaptiveConcurrency
{
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private double _limit;
    private int _active;
    private int _minimum;
    private long _lastCut;
    private int _throttles;
    private readonly bool _adaptive;

    /// <summary>Creates a controller.</summary>
    /// <param name="maxConcurrency">The start and the ceiling.</param>
    /// <param name="timeProvider">The clock for the cooldown.</param>
    /// <param name="adaptive">Whether 429s cut the limit; when off, they are only counted.</param>
    public AdaptiveConcurrency(int maxConcurrency, TimeProvider? timeProvider = null, bool adaptive = true)
    {
        _adaptive = adaptive;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        Max = maxConcurrency;
        _limit = maxConcurrency;
        _minimum = maxConcurrency;
        _time = timeProvider ?? TimeProvider.System;
        _lastCut = long.MinValue / 2;
    }

    /// <summary>The ceiling.</summary>
    public int Max { get; }

    /// <summary>The limit now.</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return (int)_limit;
            }
        }
    }

    /// <summary>The lowest the limit went.</summary>
    public int Minimum => Volatile.Read(ref _minimum);

    /// <summary>429 responses seen.</summary>
    public int Throttles => Volatile.Read(ref _throttles);

    /// <summary>Waits for a free slot under the current limit.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_active < (int)_limit)
            {
                _active++;
                return ValueTask.CompletedTask;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        return new ValueTask(WaitAsync(waiter, cancellationToken));
    }

    private static async Task WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        // Cancelling the source itself (not just the wait) makes Release skip it, so a cancelled waiter never holds a slot.
        using (cancellationToken.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), waiter))
        {
            await waiter.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Frees a slot.</summary>
    public void Exit()
    {
        lock (_lock)
        {
            _active--;
            Release();
        }
    }

    /// <summary>The provider answered 429: count it, and cut the limit once per cooldown.</summary>
    public void OnThrottled()
    {
        Interlocked.Increment(ref _throttles);
        if (!_adaptive)
        {
            return;
        }

        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_lastCut, now) < Cooldown)
            {
                return;
            }

            _lastCut = now;
            _limit = Math.Max(1, Math.Floor(_limit * 0.7));
            _minimum = Math.Min(_minimum, (int)_limit);
        }
    }

    /// <summary>A request succeeded: grow by one per round of requests.</summary>
    public void OnSuccess()
    {
        if (!_adaptive)
        {
            return;
        }

        lock (_lock)
        {
            if (_limit < Max)
            {
                _limit = Math.Min(Max, _limit + (1.0 / _limit));
                Release();
            }
        }
    }

    private void Release()
    {
        while (_active < (int)_limit && _waiters.Count > 0)
        {
            TaskCompletionSource next = _waiters.Dequeue();
            if (next.TrySetResult())
            {
                _active++;
            }
        }
    }
}
