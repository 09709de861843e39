namespace TypedBatch.Limits;

/// <summary>
/// What the rate-limit handlers need to know about the batch a call runs for: its adaptive concurrency (fed by 429s
/// and successes) and its own limits, which apply under the shared gate of the account without changing it. Carried
/// by the runner's workers as an ambient value, since a provider call does not know which batch it serves.
/// </summary>
internal sealed class BatchScope(AdaptiveConcurrency concurrency, RateLimitGate? gate, CostBudget? budget = null, Hedger? hedger = null)
{
    private static readonly AsyncLocal<BatchScope?> Ambient = new();

    /// <summary>The scope of the batch the current code runs for, if any.</summary>
    public static BatchScope? Current
    {
        get => Ambient.Value;
        set => Ambient.Value = value;
    }

    /// <summary>Counts 429s; cut by them and grown by successes unless the batch turned adaptive concurrency off.</summary>
    public AdaptiveConcurrency Concurrency { get; } = concurrency;

    /// <summary>The batch's own requests/tokens-per-minute budget, when its options set one.</summary>
    public RateLimitGate? Gate { get; } = gate;

    /// <summary>The batch's hard budget (<see cref="BatchOptions.MaxCost"/>), which every request reserves its worst case from.</summary>
    public CostBudget? Budget { get; } = budget;

    /// <summary>The batch's hedging of slow requests (<see cref="BatchOptions.Hedging"/>), when it hedges.</summary>
    public Hedger? Hedger { get; } = hedger;
}
