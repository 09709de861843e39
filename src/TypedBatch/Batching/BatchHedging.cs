namespace TypedBatch;

/// <summary>
/// Adaptive hedging of a live batch's slow requests (<see cref="BatchOptions.Hedging"/>). Once the batch has
/// <see cref="MinSamples"/> answered requests, a request still unanswered after <see cref="LatencyMultiple"/> times the
/// batch's observed p95 latency (scaled up for a request allowed more output tokens than the answered ones) and after
/// at least <see cref="Floor"/> gets one duplicate request, a hedge. The first answer wins and the other request is
/// cancelled. A hedge takes a concurrency slot and goes through the rate limits, budget and retry loop like any
/// request; its tokens count in the item's usage and cost when it answered. So a request that hangs holds its item for
/// about the hedge delay instead of the attempt timeout, and a batch's wall time is set by its typical request.
/// </summary>
public sealed record BatchHedging
{
    /// <summary>The defaults: on, 3 × p95, a 5-second floor, 20 samples, at most 5 % of requests hedged.</summary>
    public static BatchHedging Default { get; } = new();

    /// <summary>No hedging.</summary>
    public static BatchHedging Disabled { get; } = new() { Enabled = false };

    /// <summary>Whether slow requests are hedged (on by default).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How many times the batch's observed p95 latency a request may take before it is hedged; at least 1 (default 3).</summary>
    public double LatencyMultiple { get; init; } = 3.0;

    /// <summary>The shortest wait before a hedge, whatever the observed latencies (default 5 seconds; zero or more).</summary>
    public TimeSpan Floor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Answered requests the batch needs before it hedges any, so that its p95 means something; at least 1 (default 20).</summary>
    public int MinSamples { get; init; } = 20;

    /// <summary>
    /// The most hedges as a share of the batch's requests so far (default 0.05; 0 to 1): a provider that is slow for
    /// everyone gets a few hedges, not twice the load. At least one hedge is allowed, unless it is 0 (no hedges).
    /// </summary>
    public double MaxHedgedFraction { get; init; } = 0.05;

    /// <summary>Throws when a value is out of range, naming it.</summary>
    /// <param name="paramName">The argument name to report.</param>
    public void Validate(string paramName = "hedging")
    {
        if (!(LatencyMultiple >= 1) || double.IsInfinity(LatencyMultiple))
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(LatencyMultiple)}", LatencyMultiple, "LatencyMultiple must be a finite number of at least 1.");
        }

        if (Floor < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(Floor)}", Floor, "Floor must not be negative.");
        }

        if (MinSamples < 1)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MinSamples)}", MinSamples, "MinSamples must be at least 1.");
        }

        if (!(MaxHedgedFraction is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MaxHedgedFraction)}", MaxHedgedFraction, "MaxHedgedFraction must be between 0 and 1.");
        }
    }
}
