using TypedBatch.Limits;

namespace TypedBatch;

/// <summary>
/// One live batch's hedging state (<see cref="BatchHedging"/>): the latencies of its answered requests (the last 256),
/// the hedge delay they give, and the hedges sent and won. Read on every request; the p95 is recomputed under a lock
/// only as samples arrive (each of the first 64, then every 16th), so a request reads one field.
/// </summary>
internal sealed class Hedger
{
    private const int Window = 256;

    private readonly BatchHedging _options;
    private readonly Lock _lock = new();
    private readonly double[] _samples = new double[Window];
    private readonly double[] _sorted = new double[Window];
    private int _recorded;
    private int _referenceMaxTokens;
    private long _delayTicks = -1;
    private int _calls;
    private int _hedges;
    private int _wins;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Hedger(BatchHedging options, TimeProvider time)
    {
        _options = options;
        Time = time;
    }

    /// <summary>The batch's clock, for the delays and the latencies.</summary>
    public TimeProvider Time { get; }

    /// <summary>Whether the batch has samples enough to hedge.</summary>
    public bool IsReady => Volatile.Read(ref _delayTicks) >= 0;

    /// <summary>Completes when the batch has samples enough to hedge (never, if it does not get them).</summary>
    public Task Ready => _ready.Task;

    /// <summary>Hedges sent.</summary>
    public int Hedges => Volatile.Read(ref _hedges);

    /// <summary>Hedges that answered before the request they duplicated.</summary>
    public int Wins => Volatile.Read(ref _wins);

    /// <summary>Counts a request of the batch (the base of <see cref="BatchHedging.MaxHedgedFraction"/>).</summary>
    public void CallStarted() => Interlocked.Increment(ref _calls);

    /// <summary>How long a request allowed <paramref name="maxTokens"/> output tokens may take before it is hedged; false until the batch has enough samples.</summary>
    public bool TryGetDelay(int? maxTokens, out TimeSpan delay)
    {
        long ticks = Volatile.Read(ref _delayTicks);
        if (ticks < 0)
        {
            delay = default;
            return false;
        }

        // A request allowed more output than the answered ones may rightly take longer.
        int reference = Volatile.Read(ref _referenceMaxTokens);
        double scale = maxTokens is { } max && reference > 0 && max > reference ? (double)max / reference : 1;
        delay = TimeSpan.FromTicks(Math.Max(_options.Floor.Ticks, (long)Math.Min(ticks * scale, TimeSpan.MaxValue.Ticks / 2)));
        return true;
    }

    /// <summary>Records an answered request's latency.</summary>
    public void Record(TimeSpan latency, int? maxTokens)
    {
        lock (_lock)
        {
            if (_recorded == 0 && maxTokens is { } first)
            {
                Volatile.Write(ref _referenceMaxTokens, first);
            }

            _samples[_recorded % Window] = latency.Ticks;
            _recorded++;
            if (_recorded < _options.MinSamples || (_recorded > 64 && _recorded != _options.MinSamples && _recorded % 16 != 0))
            {
                return;
            }

            int n = Math.Min(_recorded, Window);
            Array.Copy(_samples, _sorted, n);
            Array.Sort(_sorted, 0, n);
            double p95 = _sorted[Math.Max(0, (int)Math.Ceiling(0.95 * n) - 1)];
            Volatile.Write(ref _delayTicks, (long)Math.Min(p95 * _options.LatencyMultiple, TimeSpan.MaxValue.Ticks / 2));
            _ready.TrySetResult();
        }
    }

    /// <summary>Whether one more hedge fits <see cref="BatchHedging.MaxHedgedFraction"/>; counts it when it does.</summary>
    public bool TryStartHedge()
    {
        while (true)
        {
            int hedges = Volatile.Read(ref _hedges);
            if (_options.MaxHedgedFraction == 0 || hedges >= Math.Max(1, (int)(_options.MaxHedgedFraction * Volatile.Read(ref _calls))))
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _hedges, hedges + 1, hedges) == hedges)
            {
                return true;
            }
        }
    }

    /// <summary>Takes back a hedge <see cref="TryStartHedge"/> counted but that was not sent (the request ended while it waited for a slot).</summary>
    public void HedgeNotSent() => Interlocked.Decrement(ref _hedges);

    /// <summary>
    /// Waits until a request (its <paramref name="pending"/> step) is due for a hedge: for the batch's samples if it has
    /// too few, then for the rest of the delay since <paramref name="started"/>. True (the hedge counted) when the
    /// request is still pending then and the hedge budget allows one; false when it ended, was cancelled, or no hedge fits.
    /// </summary>
    public async Task<bool> HedgeDueAsync(Task pending, int? maxTokens, long started, CancellationToken cancellationToken)
    {
        if (!pending.IsCompleted && !IsReady)
        {
            // Sent before the batch had samples enough: it may still be hedged once it has (WhenAny never throws).
            await Task.WhenAny(pending, Ready).ConfigureAwait(false);
        }

        if (pending.IsCompleted || cancellationToken.IsCancellationRequested || !TryGetDelay(maxTokens, out TimeSpan delay))
        {
            return false;
        }

        TimeSpan left = delay - Time.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            await pending.WaitAsync(left, Time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return !pending.IsCompleted && !cancellationToken.IsCancellationRequested && TryStartHedge();
    }

    /// <summary>
    /// Takes a slot of the batch's concurrency for a counted hedge, unless the request it duplicates (<paramref name="pending"/>)
    /// ends first: the item's own worker holds a slot, so waiting regardless could wait forever. False when the hedge is
    /// not sent: its wait is cancelled through <paramref name="hedgeCancel"/>, a slot granted meanwhile is freed, and the
    /// hedge is no longer counted.
    /// </summary>
    public async Task<bool> EnterHedgeSlotAsync(AdaptiveConcurrency concurrency, Task pending, CancellationTokenSource hedgeCancel)
    {
        Task entered = concurrency.EnterAsync(hedgeCancel.Token).AsTask();
        await Task.WhenAny(pending, entered).ConfigureAwait(false);
        if (!pending.IsCompleted && entered.IsCompletedSuccessfully)
        {
            return true;
        }

        await hedgeCancel.CancelAsync().ConfigureAwait(false);
        await entered.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (entered.IsCompletedSuccessfully)
        {
            concurrency.Exit();
        }

        HedgeNotSent();
        return false;
    }

    /// <summary>Counts a hedge that answered first.</summary>
    public void HedgeWon() => Interlocked.Increment(ref _wins);
}
