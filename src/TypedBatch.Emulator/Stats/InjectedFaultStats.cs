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

    /// <summary>Slow error bodies, <c>[[drip-error:S]]</c>; counted when the headers go out.</summary>
    public long DripError { get; init; }

    /// <summary>Slow 200 bodies that are not JSON, <c>[[drip-ok]]</c> and <c>[[drip-ok:none]]</c>.</summary>
    public long DripOk { get; init; }

    /// <summary>Errors that echo the caller's credential, <c>[[echo-key]]</c> and <c>[[echo-key-html:N]]</c>.</summary>
    public long EchoKey { get; init; }

    /// <summary>Redirects to the secondary origin, <c>[[redirect:S]]</c>.</summary>
    public long Redirect { get; init; }

    /// <summary>Embeddings answers with an index twice, <c>[[dup-index]]</c>.</summary>
    public long DuplicateIndex { get; init; }

    /// <summary>Embeddings answers with an index missing, <c>[[missing-index]]</c>.</summary>
    public long MissingIndex { get; init; }

    /// <summary>Valid but huge chat completions, <c>[[oversize:MB]]</c>.</summary>
    public long Oversize { get; init; }

    /// <summary>Requests never answered, <c>[[hang]]</c> or <see cref="EmulatorOptions.HangRate"/>; counted when the hang starts.</summary>
    public long Hang { get; init; }

    /// <summary>All injected faults.</summary>
    public long Total =>
        Scripted + Error500 + Error503 + Reset + Stall + Malformed + DripError + DripOk + EchoKey + Redirect + DuplicateIndex + MissingIndex + Oversize + Hang;
}
