using System.Text;

namespace TypedBatch;

/// <summary>Why one item of a batch failed. Never contains secrets.</summary>
public sealed record BatchError
{
    /// <summary>Creates an error.</summary>
    /// <param name="kind">The kind of failure.</param>
    /// <param name="message">What went wrong, in words.</param>
    public BatchError(BatchErrorKind kind, string message)
    {
        Kind = kind;
        Message = message ?? string.Empty;
    }

    /// <summary>The kind of failure.</summary>
    public BatchErrorKind Kind { get; }

    /// <summary>What went wrong, in words.</summary>
    public string Message { get; }

    /// <summary>The HTTP status of the last attempt, when there was a response.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The provider's error code (<c>rate_limit_exceeded</c>, <c>invalid_api_key</c>, …); integers are given as text.</summary>
    public string? ProviderCode { get; init; }

    /// <summary>The provider's error type (<c>invalid_request_error</c>, <c>server_error</c>, …).</summary>
    public string? ErrorType { get; init; }

    /// <summary>The provider's request id (<c>x-request-id</c>), to quote to its support.</summary>
    public string? RequestId { get; init; }

    /// <summary>The provider that failed.</summary>
    public string? Provider { get; init; }

    /// <summary>The model's last answer, for <see cref="BatchErrorKind.InvalidOutput"/> and <see cref="BatchErrorKind.Truncated"/>.</summary>
    public string? RawOutput { get; init; }

    /// <summary>
    /// The original exception of an unexpected failure (<see cref="BatchErrorKind.Unknown"/>, such as a bug in a
    /// mapping or progress callback), with its stack trace; <see langword="null"/> for the failures TypedBatch describes.
    /// </summary>
    public Exception? Exception { get; init; }

    /// <summary>Maps an exception from the pipeline to an error value.</summary>
    /// <param name="exception">The exception.</param>
    public static BatchError FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            ProviderException p => new BatchError(p.Kind, p.ProviderMessage)
            {
                StatusCode = p.StatusCode,
                ProviderCode = p.ErrorCode,
                ErrorType = p.ErrorType,
                RequestId = p.RequestId,
                Provider = p.Provider,
                RawOutput = p.RawOutput,
            },
            ArgumentException a => new BatchError(BatchErrorKind.InvalidInput, a.Message),
            OperationCanceledException => new BatchError(BatchErrorKind.Cancelled, "The operation was cancelled."),
            _ => new BatchError(BatchErrorKind.Unknown, $"{exception.GetType().Name}: {exception.Message}") { Exception = exception },
        };
    }

    /// <summary>A one-line description: kind, status, code and message.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Kind);
        if (StatusCode is { } status)
        {
            sb.Append(' ').Append(status);
        }

        if (ProviderCode is not null)
        {
            sb.Append(" (").Append(ProviderCode).Append(')');
        }

        sb.Append(": ").Append(Message);
        return sb.ToString();
    }
}
