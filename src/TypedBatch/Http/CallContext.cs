namespace TypedBatch.Http;

/// <summary>
/// The state of one provider call as it travels through its <see cref="HttpClient"/> pipeline, in the request's
/// options: what the rate-limit handlers need to charge it (model, token reservation), and what the provider reads
/// back after the last attempt (attempts, request id, throttles, a refused retry hint).
/// </summary>
internal sealed class CallContext
{
    public const string OptionKey = "TypedBatch.CallContext";

    public static readonly HttpRequestOptionsKey<CallContext> Key = new(OptionKey);

    private int _attempts;

    /// <summary>The model (for Azure classic deployments, the deployment) the call is for; its rate-limit gate's key.</summary>
    public required string Model { get; init; }

    /// <summary>The uncorrected prompt-token estimate, compared with the server's usage to correct later estimates.</summary>
    public int PromptEstimate { get; init; }

    /// <summary>The requested maximum output tokens, reserved in full at the tokens-per-minute gate.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Whether the answer is streamed: its response starts before the answer is written, so <see cref="TypedBatchOptions.FirstByteTimeout"/> applies.</summary>
    public bool Streamed { get; init; }

    /// <summary>HTTP attempts made so far.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>The last response's <c>x-request-id</c>.</summary>
    public string? RequestId { get; set; }

    /// <summary>
    /// Whether the last 429 said the account is out of quota, as the rate-limit handler found when it read the body;
    /// the retry rules read this verdict instead of parsing the body again.
    /// </summary>
    public bool? QuotaExceeded { get; set; }

    /// <summary>Set when the server asked for a longer wait than <c>MaxRetryAfter</c> allows and the call failed instead.</summary>
    public TimeSpan? RetryAfterRefused { get; set; }

    /// <summary>Tokens each attempt reserves at the gates; set by the rate-limit handlers.</summary>
    internal int Reservation { get; set; } = -1;

    /// <summary>The corrected prompt estimate each attempt reserves where the server meters input tokens apart.</summary>
    internal int InputReservation { get; set; }

    /// <summary>The output tokens the last attempt reserved where the server meters output apart; settled against the answer's usage.</summary>
    internal int OutputReservation { get; set; }

    /// <summary>The first attempt's budget was taken before the resilience pipeline started its timeouts.</summary>
    internal bool Admitted { get; set; }

    public int OnAttempt() => Interlocked.Increment(ref _attempts);

    public static CallContext? Of(HttpRequestMessage request)
        => request.Options.TryGetValue(Key, out CallContext? call) ? call : null;
}
