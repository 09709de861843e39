using System.Globalization;
using TypedBatch.Emulator.Batches;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>Everything the endpoints of one server share: settings, counters, tokens and id sequences.</summary>
internal sealed class EmulatorState : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private long _requestIds;
    private long _completionIds;
    private long _batchLineIds;
    private long _messageIds;
    private long _toolUseIds;

    public EmulatorState(EmulatorOptions options)
    {
        Options = options;
        Latency = new LatencySimulator(options);
        CopilotTokens = new CopilotTokenStore(options.TimeProvider);
        Limiter = new RateLimiter(options);
        Batches = new BatchesEndpoint(this);
        AnthropicLimiter = new AnthropicRateLimiter(options);
    }

    /// <summary>The per-model RPM, ITPM and OTPM budgets of Anthropic's <c>/v1/messages</c>.</summary>
    public AnthropicRateLimiter AnthropicLimiter { get; }

    /// <summary>The requests- and tokens-per-minute budgets.</summary>
    public RateLimiter Limiter { get; }

    /// <summary>The live settings.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>The counters.</summary>
    public StatsCollector Stats { get; } = new();

    /// <summary>The requests kept when <see cref="EmulatorOptions.CaptureRequests"/> is on.</summary>
    public RequestCapture Capture { get; } = new();

    /// <summary>The files of <c>/v1/files</c>.</summary>
    public FileStore Files { get; } = new();

    /// <summary>The batches of <c>/v1/batches</c>.</summary>
    public BatchesEndpoint Batches { get; }

    /// <summary>The configured delays.</summary>
    public LatencySimulator Latency { get; }

    /// <summary>The Copilot tokens issued so far.</summary>
    public CopilotTokenStore CopilotTokens { get; }

    /// <summary>
    /// Cancelled when the server starts to stop, so that requests held open on purpose (hangs,
    /// drips) end at once instead of holding up the shutdown.
    /// </summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The root of the secondary origin, when <see cref="EmulatorOptions.SecondaryPort"/> is set; set once listening.</summary>
    public Uri? SecondaryRoot { get; private set; }

    /// <summary>The local port of the secondary origin; -1 when there is none.</summary>
    public int SecondaryPort { get; private set; } = -1;

    /// <summary>Records the secondary origin once Kestrel listens on it.</summary>
    public void SetSecondaryOrigin(Uri root)
    {
        SecondaryRoot = root;
        SecondaryPort = root.Port;
    }

    /// <summary>Releases the <see cref="Stopping"/> source once the server has stopped.</summary>
    public void Dispose()
    {
        _stopping.Dispose();
        Batches.Dispose();
        Files.Dispose();
    }

    /// <summary>Signals <see cref="Stopping"/>.</summary>
    public Task StopAsync() => _stopping.CancelAsync();

    /// <summary>A new value for the <c>x-request-id</c> header, unique within this server.</summary>
    public string NextRequestId() =>
        "req_emu_" + Interlocked.Increment(ref _requestIds).ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>A new id of a batch output line, unique within this server.</summary>
    public string NextBatchLineId() =>
        "batch_req_emu" + Interlocked.Increment(ref _batchLineIds).ToString("x19", CultureInfo.InvariantCulture);

    /// <summary>A new Anthropic message id (<c>msg_…</c>), unique within this server.</summary>
    public string NextMessageId() =>
        "msg_emu_" + Interlocked.Increment(ref _messageIds).ToString("x12", CultureInfo.InvariantCulture);

    /// <summary>A new Anthropic <c>tool_use</c> block id (<c>toolu_…</c>), unique within this server.</summary>
    public string NextToolUseId() =>
        "toolu_emu_" + Interlocked.Increment(ref _toolUseIds).ToString("x12", CultureInfo.InvariantCulture);

    /// <summary>A new chat completion id, unique within this server.</summary>
    public string NextCompletionId() =>
        "chatcmpl-emu-" + Interlocked.Increment(ref _completionIds).ToString(CultureInfo.InvariantCulture);
}
