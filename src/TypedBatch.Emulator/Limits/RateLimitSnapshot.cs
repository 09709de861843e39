namespace TypedBatch.Emulator.Limits;

/// <summary>The values of one dimension's <c>x-ratelimit-limit/remaining/reset-*</c> headers.</summary>
/// <param name="Limit">The per-minute limit.</param>
/// <param name="Remaining">Whole tokens left in the bucket.</param>
/// <param name="Reset">How long until the bucket is full again.</param>
internal readonly record struct BucketState(long Limit, long Remaining, TimeSpan Reset);

/// <summary>The rate-limit header values of an answer; a <see langword="null"/> dimension is unlimited.</summary>
/// <param name="Requests">The requests-per-minute bucket, or <see langword="null"/> when unlimited.</param>
/// <param name="Tokens">The tokens-per-minute bucket, or <see langword="null"/> when unlimited.</param>
internal readonly record struct RateLimitSnapshot(BucketState? Requests, BucketState? Tokens)
{
    /// <summary>No limits: the constant headers.</summary>
    public static RateLimitSnapshot Unlimited => default;

    /// <summary>Anthropic's input-tokens-per-minute bucket (ITPM), or <see langword="null"/> when unlimited or not Anthropic.</summary>
    public BucketState? InputTokens { get; init; }

    /// <summary>Anthropic's output-tokens-per-minute bucket (OTPM), or <see langword="null"/> when unlimited or not Anthropic.</summary>
    public BucketState? OutputTokens { get; init; }
}

/// <summary>Why a request was refused by the rate limiter.</summary>
/// <param name="Type">The dimension: <c>requests</c> or <c>tokens</c> (OpenAI's error <c>type</c>), <c>input_tokens</c> or <c>output_tokens</c> (Anthropic).</param>
/// <param name="Limit">The per-minute limit that was hit.</param>
/// <param name="Requested">What the request costs in that dimension.</param>
/// <param name="RetryAfter">How long until enough budget is back; zero when <paramref name="TooLarge"/>.</param>
/// <param name="TooLarge">The request costs more than the whole per-minute limit: retrying never helps.</param>
internal sealed record RateLimitRejection(string Type, long Limit, long Requested, TimeSpan RetryAfter, bool TooLarge);

/// <summary>The outcome of <see cref="RateLimiter.TryAcquire"/>.</summary>
/// <param name="Rejection">Why the request was refused, or <see langword="null"/> when it passed.</param>
/// <param name="Snapshot">The header values: after this request when it passed, unchanged when refused.</param>
internal readonly record struct RateLimitDecision(RateLimitRejection? Rejection, RateLimitSnapshot Snapshot);
