using System.Text.Json;

namespace TypedBatch.Providers.OpenAI;

/// <summary>Reading the OpenAI-compatible error body (<c>{"error":{"message","type","param","code"}}</c>) and its quota codes.</summary>
internal static class OpenAIErrors
{
    /// <summary>Error codes of 429s that no retry can fix: the account is out of quota or over its spend limit.</summary>
    private static readonly string[] QuotaCodes = ["insufficient_quota", "credit_balance_exhausted", "billing_hard_limit_reached", "spend_limit_reached", "quota_exceeded"];

    public static ErrorDto? Parse(string? body, out string? bareMessage)
    {
        bareMessage = null;
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            ErrorEnvelopeDto? envelope = JsonSerializer.Deserialize(body, WireJsonContext.Default.ErrorEnvelopeDto);
            bareMessage = envelope?.Message;
            return envelope?.Error;
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): report a bounded prefix of the text itself.
            bareMessage = body.Length > 200 ? body[..200] : body;
            return null;
        }
    }

    /// <summary>What an error status (with its parsed body) is: a quota or rate limit for 429, a timeout for 408 and 504, else HTTP.</summary>
    public static BatchErrorKind KindOf(int status, ErrorDto? error) => status switch
    {
        429 => IsQuota(error) ? BatchErrorKind.QuotaExceeded : BatchErrorKind.RateLimited,
        408 or 504 => BatchErrorKind.Timeout,
        _ => BatchErrorKind.Http,
    };

    /// <summary>Whether an error body says the account is out of quota, which waiting does not fix.</summary>
    public static bool IsQuotaError(string body) => IsQuota(Parse(body, out _));

    /// <summary>Whether a parsed error says the account is out of quota; the one place quota codes are recognised.</summary>
    public static bool IsQuota(ErrorDto? error)
    {
        string? code = error?.CodeText ?? error?.Type;
        return code is not null && QuotaCodes.Contains(code, StringComparer.OrdinalIgnoreCase);
    }
}
