namespace TypedBatch.Emulator.Faults;

/// <summary>The kinds of injected faults, as counted in <see cref="InjectedFaultStats"/>.</summary>
internal enum InjectedFault
{
    /// <summary>No fault: answer normally.</summary>
    None,

    /// <summary>An error status asked for by a <c>[[fail:S]]</c> marker or <see cref="EmulatorOptions.FailEveryNth"/>.</summary>
    Scripted,

    /// <summary>A seeded 500 (<see cref="EmulatorOptions.Error500Rate"/>).</summary>
    Error500,

    /// <summary>A seeded 503 <c>server_is_overloaded</c> (<see cref="EmulatorOptions.Error503Rate"/>).</summary>
    Error503,

    /// <summary>A seeded connection abort (<see cref="EmulatorOptions.ResetRate"/>).</summary>
    Reset,

    /// <summary>A seeded stall before a normal answer (<see cref="EmulatorOptions.StallRate"/>).</summary>
    Stall,

    /// <summary>A 200 cut off mid-JSON, seeded (<see cref="EmulatorOptions.MalformedRate"/>) or asked for by <c>[[malformed]]</c>.</summary>
    Malformed,

    /// <summary>A slow error body, <c>[[drip-error:S]]</c>.</summary>
    DripError,

    /// <summary>A slow 200 body that is not JSON, <c>[[drip-ok]]</c>.</summary>
    DripOk,

    /// <summary>An error that echoes the caller's credential, <c>[[echo-key]]</c> or <c>[[echo-key-html:N]]</c>.</summary>
    EchoKey,

    /// <summary>A redirect to the secondary origin, <c>[[redirect:S]]</c>.</summary>
    Redirect,

    /// <summary>An embeddings answer with an index twice, <c>[[dup-index]]</c>.</summary>
    DuplicateIndex,

    /// <summary>An embeddings answer with an index missing, <c>[[missing-index]]</c>.</summary>
    MissingIndex,

    /// <summary>A valid but huge chat completion, <c>[[oversize:MB]]</c>.</summary>
    Oversize,

    /// <summary>No answer at all, <c>[[hang]]</c> or <see cref="EmulatorOptions.HangRate"/>.</summary>
    Hang,
}
