using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using TypedBatch.Http;

namespace TypedBatch.Resilience;

/// <summary>
/// Which HTTP outcomes are retried and how long to wait: the rules of the one retry loop.
/// Retried: 408, 409, 429 (rate limits, not quota), 500, 502, 503, 504, timeouts, transport failures and 2xx bodies
/// that are cut off or not JSON. Never retried: 400, 401, 403, 404, 422 and quota 429s. <c>x-should-retry</c> overrides
/// the status rule. The server's hint wins over backoff (<see cref="RetryHints"/>); a hint longer than
/// <see cref="MaxRetryAfter"/> is not waited for: the call fails at once with <see cref="CallContext.RetryAfterRefused"/>
/// set, so a "try again in 114h" cannot hang a batch.
/// </summary>
/// <param name="maxRetryAfter">The longest server hint honoured.</param>
/// <param name="time">The clock, for <c>Retry-After</c> dates.</param>
/// <param name="isQuotaError">Whether a 429's error body says the account is out of quota; the provider knows its error shape.</param>
internal sealed class RetryPolicy(TimeSpan maxRetryAfter, TimeProvider time, Func<string, bool> isQuotaError)
{
    public TimeSpan MaxRetryAfter { get; } = maxRetryAfter;

    /// <summary>Configures a retry strategy with these rules.</summary>
    public RetryStrategyOptions<HttpResponseMessage> CreateOptions(int maxRetries, TimeSpan baseDelay) => new()
    {
        MaxRetryAttempts = maxRetries,
        Delay = baseDelay,
        BackoffType = DelayBackoffType.Exponential,
        UseJitter = true,
        MaxDelay = TimeSpan.FromSeconds(30),
        ShouldHandle = args => ShouldRetryAsync(args.Outcome, args.Context.CancellationToken),
        DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? ServerDelay(response) : null),
        OnRetry = static args =>
        {
            ProviderSpan.Retried(args.AttemptNumber + 1, args.RetryDelay, (int?)args.Outcome.Result?.StatusCode, args.Outcome.Exception);
            return ValueTask.CompletedTask;
        },
    };

    /// <summary>Whether this outcome is worth another attempt.</summary>
    public async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome, CancellationToken cancellationToken = default)
    {
        if (outcome.Exception is { } exception)
        {
            return exception is HttpRequestException or TimeoutRejectedException or IOException or MalformedResponseException;
        }

        HttpResponseMessage response = outcome.Result!;
        if (response.IsSuccessStatusCode)
        {
            return false;
        }

        if (response.Headers.TryGetValues("x-should-retry", out IEnumerable<string>? shouldRetry) && bool.TryParse(shouldRetry.FirstOrDefault(), out bool serverSays))
        {
            return serverSays && WithinCap(response);
        }

        bool retryable = response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests
            or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout
            or (HttpStatusCode)529; // Anthropic's overloaded_error: the service is busy, not the account limited
        if (!retryable)
        {
            return false;
        }

        if (response.StatusCode == HttpStatusCode.TooManyRequests && await IsQuotaErrorAsync(response, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        return WithinCap(response);
    }

    /// <summary>The wait the server asked for, if any.</summary>
    public TimeSpan? ServerDelay(HttpResponseMessage response) => RetryHints.Read(response, time);

    /// <summary>Whether a 429 says the account is out of quota (read from the error body, which stays readable).</summary>
    private async ValueTask<bool> IsQuotaErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // The rate-limit handler below already read the body and said; parse it here only without that verdict.
        if (response.RequestMessage is { } request && CallContext.Of(request)?.QuotaExceeded is { } verdict)
        {
            return verdict;
        }

        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return isQuotaError(body);
    }

    private bool WithinCap(HttpResponseMessage response)
    {
        if (ServerDelay(response) is { } wait && wait > MaxRetryAfter)
        {
            if (response.RequestMessage is { } request && CallContext.Of(request) is { } call)
            {
                call.RetryAfterRefused = wait;
            }

            return false;
        }

        return true;
    }
}

/// <summary>A 2xx response whose body is cut off or is not JSON: retried like a transport failure.</summary>
internal sealed class MalformedResponseException(string message) : Exception(message);
