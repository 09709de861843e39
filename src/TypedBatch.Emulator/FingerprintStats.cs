namespace TypedBatch.Emulator;

/// <summary>What the emulator did with the requests that share one <see cref="RequestFingerprint"/>.</summary>
/// <param name="Received">How many requests with this fingerprint arrived and were valid.</param>
/// <param name="Served">How many of them were answered 200.</param>
public sealed record FingerprintStats(long Received, long Served);
