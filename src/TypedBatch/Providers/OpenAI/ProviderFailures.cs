using System.Net;
using System.Text.Json;
using Polly.Timeout;
using Refit;
using TypedBatch.Http;
using TypedBatch.Resilience;

namespace TypedBatch.Providers.OpenAI;

/// <summary>
/// Turns what went wrong with an OpenAI-shaped call (an error answer, a body that could not be read, an answer the
/// pipeline refused, a transport failure) into the <see cref="ProviderException"/> the caller sees, every text masked by
/// the <see cref="SecretRedactor"/>. Shared by the chat and embeddings calls and the Batch API's management calls.
/// </summary>
internal sealed class ProviderFailures(string provider, SecretRedactor redactor, Func<int, ErrorDto?, BatchErrorKind>? kindOf = null)
{
    public string Provider { get; } = provider;

    public SecretRedactor Redactor { get; } = redactor;

    /// <summary>A non-2xx answer: kind by status (a quota 429 is <see cref="BatchErrorKind.QuotaExceeded"/>), the provider's message, type, code and param.</summary>
    /// <param name="status">The answer's status.</param>
    /// <param name="reasonPhrase">The status line's text, used when the body says nothing.</param>
    /// <param name="errorBody">The raw error body; masked here before anything cuts it short.</param>
    /// <param name="requestId">The answer's <c>x-request-id</c>, raw.</param>
    /// <param name="attempts">HTTP attempts made.</param>
    /// <param name="retryAfterRefused">A server hint longer than <c>MaxRetryAfter</c>, when that is why the call stopped.</param>
    public ProviderException ErrorAnswer(HttpStatusCode? status, string? reasonPhrase, string? errorBody, string? requestId, int attempts, TimeSpan? retryAfterRefused = null)
    {
        // Masked before parsing, which cuts a non-JSON body short: a cut must not leave half a key unmasked.
        ErrorDto? error = OpenAIErrors.Parse(Redactor.RedactOrNull(errorBody), out string? bareMessage);
        string message = Redactor.Redact(error?.Message ?? bareMessage ?? reasonPhrase ?? "no error message");
        if (retryAfterRefused is { } wait)
        {
            message += $" The server asked to wait {wait}, longer than MaxRetryAfter allows; failing now instead of holding the batch.";
        }

        BatchErrorKind kind = (kindOf ?? OpenAIErrors.KindOf)((int?)status ?? 0, error);
        return new ProviderException(kind, Provider, message, (int?)status)
        {
            // Masked again once parsed: JSON escapes can hide a secret from the raw-text pass.
            ErrorType = Redactor.RedactOrNull(error?.Type),
            ErrorCode = Redactor.RedactOrNull(error?.CodeText),
            Param = Redactor.RedactOrNull(error?.Param),
            RequestId = Redactor.RedactOrNull(requestId),
            Attempts = attempts,
        };
    }

    /// <summary>A 2xx whose body was cut off or is not the expected JSON: the provider may have acted on (and billed) the call.</summary>
    public ProviderException UnreadableBody(int? status, Exception? error, string? requestId, int attempts)
    {
        string detail = error?.InnerException is JsonException json ? json.Message : error is JsonException direct ? direct.Message : "empty or unreadable body";
        return new ProviderException(BatchErrorKind.Transport, Provider, $"The response body could not be read ({Redactor.Redact(detail)}).", status)
        {
            RequestId = Redactor.RedactOrNull(requestId),
            Attempts = attempts,
        };
    }

    /// <summary>
    /// A failure before any answer (Refit's request error, or the exception itself): an answer the pipeline refused,
    /// described; else a transport failure or timeout. A failure a handler already described (the Copilot token
    /// exchange) is thrown from here as it was, with its own stack trace.
    /// </summary>
    public ProviderException NoAnswer(Exception ex, string? requestId, int attempts)
    {
        Exception cause = ex is ApiExceptionBase { InnerException: { } inner } ? inner : ex;
        if (cause is ProviderException described)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(described);
        }

        return Refused(cause, requestId, attempts) ?? Transport(cause, requestId, attempts);
    }

    /// <summary>An answer the pipeline refused to take in (too large, a redirect it does not follow), described for the caller; otherwise null.</summary>
    public ProviderException? Refused(Exception? ex, string? requestId, int attempts) => ex switch
    {
        ResponseTooLargeException tooLarge => new ProviderException(BatchErrorKind.InvalidOutput, Provider, tooLarge.Message, tooLarge.StatusCode)
        {
            RequestId = Redactor.RedactOrNull(requestId),
            Attempts = attempts,
        },
        RedirectRefusedException redirect => new ProviderException(BatchErrorKind.Http, Provider, redirect.Message, redirect.StatusCode)
        {
            RequestId = Redactor.RedactOrNull(requestId),
            Attempts = attempts,
        },
        _ => null,
    };

    /// <summary>A timeout or a failure of the connection; the message masked, Refit's exceptions (which hold the request and its headers) never attached.</summary>
    public ProviderException Transport(Exception ex, string? requestId, int attempts)
    {
        bool timeout = ex is TimeoutRejectedException or OperationCanceledException;
        Exception? inner = ex is ApiExceptionBase ? null : ex;
        return new ProviderException(timeout ? BatchErrorKind.Timeout : BatchErrorKind.Transport, Provider, Redactor.Redact(ex.Message), null, inner)
        {
            RequestId = Redactor.RedactOrNull(requestId),
            Attempts = attempts,
        };
    }

    /// <summary>Whether an exception thrown by a send is a failure to describe (rather than the caller's cancellation or a bug).</summary>
    public static bool IsSendFailure(Exception ex)
        => ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException or IOException
            or ResponseTooLargeException or RedirectRefusedException or ApiExceptionBase;

    /// <summary>A Refit call's answer, or its send failure (after the pipeline's retries) as the call's error.</summary>
    public async Task<IApiResponse<T>> SendAsync<T>(Task<IApiResponse<T>> send, CallContext call, CancellationToken cancellationToken)
    {
        try
        {
            return await send.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (ProviderException)
        {
            throw;
        }
        catch (Exception ex) when (IsSendFailure(ex))
        {
            throw NoAnswer(ex, call.RequestId, call.Attempts);
        }
    }

    /// <summary>A successful answer's body, or what went wrong as the call's error: no answer, an unreadable body, an error status.</summary>
    public T EnsureSuccess<T>(IApiResponse<T> response, CallContext call, CancellationToken cancellationToken)
        where T : class
    {
        if (response.IsSuccessful && response.Content is { } content)
        {
            return content;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (response.HasRequestError(out ApiRequestException? requestError))
        {
            throw NoAnswer(requestError, call.RequestId, call.Attempts);
        }

        if (response.IsSuccessStatusCode)
        {
            throw UnreadableBody((int?)response.StatusCode, response.Error, call.RequestId, call.Attempts);
        }

        string? errorBody = response.Error is ApiException api ? api.Content : null;
        throw ErrorAnswer(response.StatusCode, response.ReasonPhrase, errorBody, call.RequestId, call.Attempts, call.RetryAfterRefused);
    }

    /// <summary>
    /// A streamed call's response with a success status, or its failure as the call's error: the send failing after the
    /// pipeline's retries, or an error status with its (already read, bounded) body.
    /// </summary>
    public async Task<HttpResponseMessage> OpenStreamAsync(Task<HttpResponseMessage> send, CallContext call, int attemptsBefore, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await send.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (IsSendFailure(ex))
        {
            throw NoAnswer(ex, call.RequestId, attemptsBefore + call.Attempts);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw ErrorAnswer(response.StatusCode, response.ReasonPhrase, body, call.RequestId, attemptsBefore + Math.Max(1, call.Attempts), call.RetryAfterRefused);
        }
    }
}
