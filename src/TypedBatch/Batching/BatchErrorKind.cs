namespace TypedBatch;

/// <summary>What kind of failure a <see cref="BatchError"/> describes, to decide what to do about it.</summary>
public enum BatchErrorKind
{
    /// <summary>An unexpected failure, such as an exception thrown by user code in the pipeline.</summary>
    Unknown,

    /// <summary>The server answered with an HTTP error status (after retries, where the status is retryable).</summary>
    Http,

    /// <summary>The server kept answering 429 Too Many Requests until retries ran out.</summary>
    RateLimited,

    /// <summary>An attempt or the whole call ran past its timeout.</summary>
    Timeout,

    /// <summary>The connection failed, was reset, or the response body was cut off or not the expected JSON.</summary>
    Transport,

    /// <summary>
    /// The server answered, but not with something usable: no choices or content, or (for typed results) JSON that does
    /// not parse or fit the type after every repair attempt; <see cref="BatchError.RawOutput"/> keeps the last answer.
    /// </summary>
    InvalidOutput,

    /// <summary>The input itself was invalid (a null or empty conversation in a lazily enumerated batch); nothing was sent.</summary>
    InvalidInput,

    /// <summary>The item was cancelled before it finished.</summary>
    Cancelled,

    /// <summary>The model declined to answer; <see cref="BatchError.Message"/> holds its refusal.</summary>
    Refused,

    /// <summary>The answer was cut off at the token limit (<c>finish_reason: length</c>) before it was complete.</summary>
    Truncated,

    /// <summary>
    /// The account is out of quota or over its spend limit (OpenAI's 429 <c>insufficient_quota</c> and its kin): no retry
    /// or wait fixes it, so it is never retried and never pauses the rate limits. The first such answer in a batch fails
    /// every item not yet sent with this kind and no attempt, at once. Anthropic's spend-limit errors will map here too.
    /// </summary>
    QuotaExceeded,

    /// <summary>
    /// A deferred item the provider's Batch API did not answer: its batch expired (<c>batch_expired</c>), failed or was
    /// cancelled, and the item was still unanswered after <see cref="DeferredOptions.MaxResubmits"/> follow-up batches.
    /// </summary>
    Expired,

    /// <summary>
    /// Not sent (or a repair not sent): the request's worst case did not fit in what was left of the batch's
    /// <see cref="BatchOptions.MaxCost"/>. Every item after it fails the same way, with no attempt.
    /// </summary>
    BudgetExceeded,
}
