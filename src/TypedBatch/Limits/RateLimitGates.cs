using System.Collections.Concurrent;

namespace TypedBatch;

/// <summary>
/// The process-wide gates, one per provider endpoint and model, so that every batch and every client calling the same
/// deployment shares one budget, as the provider enforces it.
/// </summary>
public static class RateLimitGates
{
    private static readonly ConcurrentDictionary<(string Endpoint, string Model), RateLimitGate> Gates = new();

    /// <summary>The gate of an endpoint and model, created on first use.</summary>
    /// <param name="endpoint">The provider's base URL.</param>
    /// <param name="model">The model or deployment.</param>
    /// <param name="timeProvider">The clock, used when the gate is created.</param>
    public static RateLimitGate For(Uri endpoint, string model, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrEmpty(model);
        return Gates.GetOrAdd((endpoint.AbsoluteUri.TrimEnd('/'), model), static (_, time) => new RateLimitGate(timeProvider: time), timeProvider);
    }
}
