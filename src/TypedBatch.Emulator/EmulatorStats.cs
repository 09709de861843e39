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

    /// <summary>Chat completion requests answered with an error status, injected or from validation.</summary>
    public long ChatRequestsFailed { get; init; }

    /// <summary>Embeddings requests that arrived (OpenAI and Copilot routes together).</summary>
    public long EmbeddingRequestsReceived { get; init; }

    /// <summary>Embeddings requests answered 200.</summary>
    public long EmbeddingRequestsServed { get; init; }

    /// <summary>The number of input strings in the embeddings requests answered 200.</summary>
    public long EmbeddingInputsServed { get; init; }

    /// <summary>Successful Copilot token exchanges.</summary>
    public long TokenExchanges { get; init; }

    /// <summary>
    /// Valid chat completion requests with a <c>response_format</c> of <c>json_schema</c> or
    /// <c>json_object</c>, whether answered or failed by an injected fault.
    /// </summary>
    public long StructuredRequests { get; init; }

    /// <summary>The high-water mark of chat and embeddings requests in flight at the same time.</summary>
    public long MaxConcurrentRequests { get; init; }

    /// <summary>Counts per <see cref="RequestFingerprint"/> of the valid chat and embeddings requests.</summary>
    public IReadOnlyDictionary<string, FingerprintStats> ByFingerprint { get; init; } =
        ReadOnlyDictionary<string, FingerprintStats>.Empty;
}
