namespace TypedBatch.Emulator;

/// <summary>
/// Injected faults by kind, part of <see cref="EmulatorStats"/>. Each request meets at most one
/// fault, so <see cref="Total"/> counts requests.
/// </summary>
public sealed record InjectedFaultStats
{
    /// <summary>Error statuses asked for by <c>[[fail:S]]</c> markers or <see cref="EmulatorOptions.FailEveryNth"/>.</summary>
    public long Scripted { get; init; }

    /// <summary>Seeded 500s (<see cref="EmulatorOptions.Error500Rate"/>).</summary>
    public long Error500 { get; init; }

    /// <summary>Seeded 503s (<see cref="EmulatorOptions.Error503Rate"/>).</summary>
    public long Error503 { get; init; }

    /// <summary>Seeded connection aborts (<see cref="EmulatorOptions.ResetRate"/>).</summary>
    public long Reset { get; init; }

    /// <summary>Seeded stalls (<see cref="EmulatorOptions.StallRate"/>); counted when the stall starts.</summary>
    public long Stall { get; init; }

    /// <summary>200s cut off mid-JSON, seeded or asked for by <c>[[malformed]]</c>.</summary>
    public long Malformed { get; init; }

    /// <summary>All injected faults.</summary>
    public long Total => Scripted + Error500 + Error503 + Reset + Stall + Malformed;
}
