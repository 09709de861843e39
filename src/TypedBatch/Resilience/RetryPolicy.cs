using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Resilience;

/// <summary>
/// Which HTTP outcomes are retried and how long to wait: the rules of the one retry loop.
/// Retried: 408, 409, 429 (rate limits, not quota), 500, 502, 503, 504, timeouts, transport failures and 2xx bodies
/// that are cut off or not JSON. Never retried: 400, 401, 403, 404, 422 and quota 429s. <c>x-should-retry</c> overrides
/// the status rule. The server's hint wins over backoff (<c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c>, then
/// <c>Retry-After</c> in seconds or as an HTTP date); a hint longer than <see cref="MaxRetryAfter"/> is not waited for:
/// the call fails at once with <see cref="RetryAfterTooLong"/> set, so a "try again in 114h" cannot hang a batch.
/// </summary>
internal sealed class RetryPolicy(TimeSpan maxRetryAfter, TimeProvider time)
{
    /// <summary>Set on the request when the server asked for a longer wait than allowed.</summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> RetryAfterTooLong = new("TypedBatch.RetryAfterTooLong");

    /// <summary>Error codes of 429s that no retry can fix: the account is out of quota or over its spend limit.</summary>
    private static readonly string[] QuotaCodes = ["insufficient_quota", "credit_balance_exhausted", "billing_hard_limit_reached", "spend_limit_reached", "quota_exceeded"];

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
            or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
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
    public TimeSpan? ServerDelay(HttpResponseMessage response)
    {
        HttpResponseHeaders headers = response.Headers;
        if (ReadMilliseconds(headers, "retry-after-ms") is { } ms)
        {
            return ms;
        }

        if (ReadMilliseconds(headers, "x-ms-retry-after-ms") is { } azure)
        {
            return azure;
        }

        if (headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta;
            }

            if (retryAfter.Date is { } date)
            {
                TimeSpan wait = date - time.GetUtcNow();
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return null;
    }

    /// <summary>Whether a 429 says the account is out of quota (read from the error body, which stays readable).</summary>
    public static async ValueTask<bool> IsQuotaErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken = default)
    {
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        ErrorDto? error = OpenAICompatibleProvider.ParseError(body, out _);
        string? code = error?.CodeText ?? error?.Type;
        return code is not null && QuotaCodes.Contains(code, StringComparer.OrdinalIgnoreCase);
    }

    private bool WithinCap(HttpResponseMessage response)
    {
        if (ServerDelay(response) is { } wait && wait > MaxRetryAfter)
        {
            response.RequestMessage?.Options.Set(RetryAfterTooLong, wait);
            return false;
        }

        return true;
    }

    private static TimeSpan? ReadMilliseconds(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out IEnumerable<string>? values)
           && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out double ms)
           && double.IsFinite(ms) && ms >= 0 && ms < TimeSpan.MaxValue.TotalMilliseconds
            ? TimeSpan.FromMilliseconds(ms)
            : null;
}

/// <summary>A 2xx response whose body is cut off or is not JSON: retried like a transport failure.</summary>
internal sealed class MalformedResponseException(string message) : Exception(message);
