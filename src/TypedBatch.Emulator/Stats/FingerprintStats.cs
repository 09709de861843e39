namespace TypedBatch.Emulator;

/// <summary>What the emulator did with the requests that share one <see cref="RequestFingerprint"/>.</summary>
/// <param name="Received">How many requests with this fingerprint arrived and were valid.</param>
/// <param name="Served">How many of them were answered 200 (stalled and malformed answers included).</param>
public sealed record FingerprintStats(long Received, long Served)
{
    /// <summary>
    /// How many of them the model "ran" for: they passed quota and rate limits and met no injected
    /// fault (see <see cref="EmulatorStats.Accepted"/>).
    /// </summary>
    public long Accepted { get; init; }
}
