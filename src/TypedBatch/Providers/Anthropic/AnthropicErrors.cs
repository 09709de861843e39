using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Providers.Anthropic;

/// <summary>
/// What Anthropic's error answers mean. The body (<c>{"type":"error","error":{"type","message"}}</c>) parses as OpenAI's
/// error envelope does; the kinds differ: 529 <c>overloaded_error</c> is retried like a 503, 402 <c>billing_error</c>
/// and a 400 for a spend limit or a credit balance too low are quota (waiting does not fix them).
/// </summary>
internal static class AnthropicErrors
{
    public static BatchErrorKind KindOf(int status, ErrorDto? error) => status switch
    {
        402 => BatchErrorKind.QuotaExceeded,
        400 when IsSpendLimit(error) => BatchErrorKind.QuotaExceeded,
        429 => BatchErrorKind.RateLimited,
        408 or 504 => BatchErrorKind.Timeout,
        _ => BatchErrorKind.Http,
    };

    /// <summary>Whether a 400's message is a spend limit or an empty credit balance, as Anthropic words them.</summary>
    public static bool IsSpendLimit(ErrorDto? error)
        => error?.Message is { } message
            && (message.Contains("usage limits", StringComparison.OrdinalIgnoreCase)
                || message.Contains("spend limit", StringComparison.OrdinalIgnoreCase)
                || message.Contains("credit balance", StringComparison.OrdinalIgnoreCase));
}
