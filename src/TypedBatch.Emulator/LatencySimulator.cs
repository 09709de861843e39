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
#pragma warning disable CA5394 // Deterministic by design: the jitter must repeat for a given seed.
        _jitter = new Random(options.Seed);
#pragma warning restore CA5394
    }

    /// <summary>Completes after the delay; at once (synchronously) when there is none.</summary>
    public Task DelayAsync(int extraMilliseconds, CancellationToken cancellationToken)
    {
        var delay = _options.Latency + TimeSpan.FromMilliseconds(extraMilliseconds);
        var jitter = _options.LatencyJitter;
        if (jitter > TimeSpan.Zero)
        {
            double fraction;
            lock (_jitterLock)
            {
#pragma warning disable CA5394 // See the constructor.
                fraction = _jitter.NextDouble();
#pragma warning restore CA5394
            }

            delay += TimeSpan.FromTicks((long)(fraction * jitter.Ticks));
        }

        return delay > TimeSpan.Zero ? Task.Delay(delay, cancellationToken) : Task.CompletedTask;
    }
}
