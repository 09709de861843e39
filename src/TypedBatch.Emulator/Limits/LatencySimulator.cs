namespace TypedBatch.Emulator;

/// <summary>Waits the configured latency, a seeded random jitter and any <c>[[delay:ms]]</c> before an answer.</summary>
internal sealed class LatencySimulator
{
    private readonly EmulatorOptions _options;
    private readonly Random _jitter;
    private readonly Lock _jitterLock = new();

    public LatencySimulator(EmulatorOptions options)
    {
        _options = options;
        _jitter = new Random(options.Seed); // seeded on purpose: the same seed gives the same jitter
    }

    /// <summary>Completes after the delay; at once (synchronously) when there is none.</summary>
    public Task DelayAsync(int extraMilliseconds, CancellationToken cancellationToken)
    {
        TimeSpan delay = _options.Latency + TimeSpan.FromMilliseconds(extraMilliseconds);
        TimeSpan jitter = _options.LatencyJitter;
        if (jitter > TimeSpan.Zero)
        {
            double fraction;
            lock (_jitterLock)
            {
                fraction = _jitter.NextDouble();
            }

            delay += TimeSpan.FromTicks((long)(fraction * jitter.Ticks));
        }

        return delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;
    }
}
