using System.Text;

namespace TypedBatch;

/// <summary>
/// A provider call failed after the HTTP pipeline's retries: an error status, a timeout, a transport failure or an
/// unusable answer. Inside a batch it becomes a <see cref="BatchError"/>; a single call throws it.
/// Its message never contains API keys or tokens.
/// </summary>
public sealed class ProviderException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="provider">The provider's name.</param>
    /// <param name="providerMessage">What the provider (or the transport) said, secrets removed.</param>
    /// <param name="statusCode">The HTTP status, when there was a response.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public ProviderException(BatchErrorKind kind, string provider, string providerMessage, int? statusCode = null, Exception? innerException = null)
        : base(BuildMessage(kind, provider, providerMessage, statusCode), innerException)
    {
        Kind = kind;
        Provider = provider;
        ProviderMessage = providerMessage;
        StatusCode = statusCode;
    }

    /// <summary>The kind of failure.</summary>
    public BatchErrorKind Kind { get; }

    /// <summary>The provider's name.</summary>
    public string Provider { get; }

    /// <summary>What the provider (or the transport) said, secrets removed.</summary>
    public string ProviderMessage { get; }

    /// <summary>The HTTP status of the last attempt, when there was a response.</summary>
    public int? StatusCode { get; }

    /// <summary>The provider's error type.</summary>
    public string? ErrorType { get; init; }

    /// <summary>The provider's error code; integer codes (vLLM) are given as text.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The parameter the provider blamed, if any.</summary>
    public string? Param { get; init; }

    /// <summary>The provider's request id (<c>x-request-id</c>).</summary>
    public string? RequestId { get; init; }

    /// <summary>HTTP attempts made, retries included.</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>Tokens spent before the call failed (for example on answers that could not be parsed).</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>What the answers before the failure cost, in USD (see <see cref="BatchItem{T}.Cost"/>).</summary>
    public decimal? Cost { get; init; } = 0m;

    /// <summary>Repair re-asks made after answers that did not parse.</summary>
    public int Repairs { get; init; }

    /// <summary>The model's last answer, when the failure is about its content.</summary>
    public string? RawOutput { get; init; }

    private static string BuildMessage(BatchErrorKind kind, string provider, string message, int? statusCode)
    {
        var sb = new StringBuilder();
        sb.Append(provider).Append(": ");
        sb.Append(kind switch
        {
            BatchErrorKind.Http or BatchErrorKind.RateLimited => $"HTTP {statusCode}",
            BatchErrorKind.Timeout => "timed out",
            BatchErrorKind.Transport => "transport failure",
            BatchErrorKind.InvalidOutput => "unusable answer",
            BatchErrorKind.Refused => "the model refused",
            BatchErrorKind.Truncated => "answer cut off at the token limit",
            BatchErrorKind.QuotaExceeded => $"HTTP {statusCode}, out of quota",
            _ => kind.ToString(),
        });
        sb.Append(": ").Append(message);
        string? hint = kind == BatchErrorKind.QuotaExceeded
            ? " The account is out of quota or over its spend limit: add credit or raise the limit; retrying does not help."
            : statusCode switch
            {
                401 => " Check the API key or token for this provider.",
                403 => " The key lacks permission for this model or region.",
                404 => " Check the model name and the base URL.",
                429 => " Lower MaxConcurrency or set RequestsPerMinute to stay under the provider's rate limit.",
                _ => null,
            };
        sb.Append(hint);
        return sb.ToString();
    }
}
