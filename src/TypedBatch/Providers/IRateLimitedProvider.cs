namespace TypedBatch;

/// <summary>A provider whose requests pass a <see cref="RateLimitGate"/>, so a batch can set its limits.</summary>
public interface IRateLimitedProvider
{
    /// <summary>The gate requests for <paramref name="model"/> wait at, if any.</summary>
    /// <param name="model">The model or deployment.</param>
    RateLimitGate? GateFor(string model);
}
