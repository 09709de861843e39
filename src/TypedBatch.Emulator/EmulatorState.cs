using System.Globalization;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>Everything the endpoints of one server share: settings, counters, tokens and id sequences.</summary>
internal sealed class EmulatorState
{
    private long _requestIds;
    private long _completionIds;

    public EmulatorState(EmulatorOptions options)
    {
        Options = options;
        Latency = new LatencySimulator(options);
        CopilotTokens = new CopilotTokenStore(TimeProvider.System);
        Limiter = new RateLimiter(options);
    }

    /// <summary>The requests- and tokens-per-minute budgets.</summary>
    public RateLimiter Limiter { get; }

    /// <summary>The live settings.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>The counters.</summary>
    public StatsCollector Stats { get; } = new();

    /// <summary>The configured delays.</summary>
    public LatencySimulator Latency { get; }

    /// <summary>The Copilot tokens issued so far.</summary>
    public CopilotTokenStore CopilotTokens { get; }

    /// <summary>A new value for the <c>x-request-id</c> header, unique within this server.</summary>
    public string NextRequestId() =>
        "req_emu_" + Interlocked.Increment(ref _requestIds).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>A new chat completion id, unique within this server.</summary>
    public string NextCompletionId() =>
        "chatcmpl-emu-" + Interlocked.Increment(ref _completionIds).ToString(CultureInfo.InvariantCulture);
}
