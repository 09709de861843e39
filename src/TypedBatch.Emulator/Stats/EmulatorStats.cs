using System.Collections.ObjectModel;

namespace TypedBatch.Emulator;

/// <summary>
/// A snapshot of what an <see cref="EmulatorServer"/> received and answered since it started or
/// was last reset. Requests rejected for a missing or wrong key or Copilot token are not counted.
/// </summary>
public sealed record EmulatorStats
{
    /// <summary>Chat completion requests that arrived (OpenAI and Copilot routes together).</summary>
    public long ChatRequestsReceived { get; init; }

    /// <summary>Chat completion requests answered 200 (including <c>[[malformed]]</c> answers).</summary>
    public long ChatRequestsServed { get; init; }

    /// <summary>
    /// Chat completion requests answered with an error status: from validation, quota, rate limits
    /// or injected (connection resets are not answers and are not counted here).
    /// </summary>
    public long ChatRequestsFailed { get; init; }

    /// <summary>Embeddings requests that arrived (OpenAI and Copilot routes together).</summary>
    public long EmbeddingRequestsReceived { get; init; }

    /// <summary>Embeddings requests answered 200.</summary>
    public long EmbeddingRequestsServed { get; init; }

    /// <summary>The number of input strings in the embeddings requests answered 200.</summary>
    public long EmbeddingInputsServed { get; init; }

    /// <summary>Successful Copilot token exchanges.</summary>
    public long TokenExchanges { get; init; }

    /// <summary>Requests to the Copilot token exchange, accepted or rejected (a wrong GitHub token is counted here only).</summary>
    public long TokenExchangeRequests { get; init; }

    /// <summary>
    /// Valid chat completion requests with a <c>response_format</c> of <c>json_schema</c> or
    /// <c>json_object</c>, whether answered or failed by an injected fault.
    /// </summary>
    public long StructuredRequests { get; init; }

    /// <summary>The high-water mark of chat and embeddings requests in flight at the same time.</summary>
    public long MaxConcurrentRequests { get; init; }

    /// <summary>Requests of any route received on the secondary origin (<see cref="EmulatorOptions.SecondaryPort"/>).</summary>
    public long SecondaryOriginRequests { get; init; }

    /// <summary>
    /// Requests received on the secondary origin that carried an <c>Authorization</c> or <c>api-key</c>
    /// header (the values are never recorded): non-zero means a client let a credential cross origins.
    /// </summary>
    public long SecondaryOriginRequestsWithCredentials { get; init; }

    /// <summary>
    /// Chat, embeddings and Anthropic messages requests that reached their endpoint, valid or not:
    /// <see cref="ChatRequestsReceived"/> + <see cref="EmbeddingRequestsReceived"/> + <see cref="AnthropicMessagesReceived"/>.
    /// </summary>
    public long Received { get; init; }

    /// <summary>
    /// Requests the model "ran" for: valid, within quota and rate limits, and met by no injected
    /// fault (a stalled or malformed answer is a fault, not accepted, though it counts as served).
    /// Once nothing is in flight, <see cref="Received"/> = <see cref="Accepted"/> +
    /// <see cref="RejectedInvalid"/> + <see cref="RejectedQuota"/> + <see cref="RejectedRateLimited"/> +
    /// <see cref="InjectedFaults"/>.<see cref="InjectedFaultStats.Total"/>, except for requests whose
    /// client went away during a delay before any of these was decided.
    /// </summary>
    public long Accepted { get; init; }

    /// <summary>Requests answered 400 by validation (including a <c>json_schema</c> with no possible instance).</summary>
    public long RejectedInvalid { get; init; }

    /// <summary>Requests answered 429 <c>rate_limit_exceeded</c> by <see cref="EmulatorOptions.RequestsPerMinute"/> or <see cref="EmulatorOptions.TokensPerMinute"/>.</summary>
    public long RejectedRateLimited { get; init; }

    /// <summary>Requests answered 429 <c>insufficient_quota</c> (<c>[[quota]]</c> or <see cref="EmulatorOptions.QuotaExhausted"/>).</summary>
    public long RejectedQuota { get; init; }

    /// <summary>Injected faults by kind.</summary>
    public InjectedFaultStats InjectedFaults { get; init; } = new();

    /// <summary>Files uploaded to <c>/v1/files</c>.</summary>
    public long FilesUploaded { get; init; }

    /// <summary>Batches created by <c>/v1/batches</c> (including those that then failed validation).</summary>
    public long BatchesCreated { get; init; }

    /// <summary>Batch input lines processed, answered or failed (expired lines were not processed).</summary>
    public long BatchLinesProcessed { get; init; }

    /// <summary>
    /// Batch lines answered 200 (written to an output file) per <see cref="RequestFingerprint"/> of
    /// their body: a fingerprint counted once was answered once across all batches.
    /// </summary>
    public IReadOnlyDictionary<string, long> BatchAnswersByFingerprint { get; init; } =
        ReadOnlyDictionary<string, long>.Empty;

    /// <summary>Anthropic <c>POST /v1/messages</c> requests that arrived (past the <c>x-api-key</c> and <c>anthropic-version</c> checks).</summary>
    public long AnthropicMessagesReceived { get; init; }

    /// <summary>Anthropic messages requests answered 200 (streamed or not, including <c>[[malformed]]</c> answers).</summary>
    public long AnthropicMessagesServed { get; init; }

    /// <summary>Anthropic messages requests answered with an error status (validation, limits, injected faults).</summary>
    public long AnthropicMessagesFailed { get; init; }

    /// <summary>Message Batches created by <c>POST /v1/messages/batches</c>.</summary>
    public long AnthropicBatchesCreated { get; init; }

    /// <summary>Message Batch requests processed, succeeded or errored (canceled and expired ones were not processed).</summary>
    public long AnthropicBatchRequestsProcessed { get; init; }

    /// <summary>Counts per <see cref="RequestFingerprint"/> of the valid chat, embeddings and Anthropic messages requests.</summary>
    public IReadOnlyDictionary<string, FingerprintStats> ByFingerprint { get; init; } =
        ReadOnlyDictionary<string, FingerprintStats>.Empty;
}
