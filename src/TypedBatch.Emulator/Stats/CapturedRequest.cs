namespace TypedBatch.Emulator;

/// <summary>
/// One request as the emulator received it, kept when <see cref="EmulatorOptions.CaptureRequests"/>
/// is on (see <see cref="EmulatorServer.CapturedRequests"/>), for tests of what a client puts on the wire.
/// </summary>
/// <param name="Sequence">The 1-based order of arrival among captured requests.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="PathAndQuery">The path and query string, e.g. <c>/v1/chat/completions?x=1</c>.</param>
/// <param name="Headers">
/// The request headers by name (case-insensitive; repeated values joined with <c>", "</c>). The values of
/// credential headers are <see cref="EmulatorOptions.CapturedCredentialMask"/> unless
/// <see cref="EmulatorOptions.CaptureCredentials"/> is on.
/// </param>
/// <param name="Body">The raw body bytes, exactly as received.</param>
/// <param name="SecondaryOrigin">Whether it arrived on the secondary origin (<see cref="EmulatorOptions.SecondaryPort"/>).</param>
public sealed record CapturedRequest(
    long Sequence, string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, ReadOnlyMemory<byte> Body, bool SecondaryOrigin);
