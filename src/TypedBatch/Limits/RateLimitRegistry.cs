using System.Collections.Concurrent;

namespace TypedBatch.Limits;

/// <summary>
/// The shared gates, one per provider account (endpoint and credential) and model, so that every batch of every client
/// resolved from one service provider shares one budget, as the provider enforces it. A DI singleton: no static
/// state, and the gates run on the container's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class RateLimitRegistry(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Account, string Model), RateLimitGate> _gates = new();

    public TimeProvider Time { get; } = time;

    /// <summary>The gate of an account and model, created on first use with the account's configured limits.</summary>
    public RateLimitGate GateFor(string account, string model, int? requestsPerMinute, int? tokensPerMinute)
        => _gates.GetOrAdd((account, model), static (_, state) => new RateLimitGate(state.Rpm, state.Tpm, state.Time),
            (Rpm: requestsPerMinute, Tpm: tokensPerMinute, Time));
}
