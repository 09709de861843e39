using System.Globalization;
using System.Net.Http.Headers;

namespace TypedBatch.Http;

/// <summary>
/// How long a response asks the client to wait: <c>retry-after-ms</c> (OpenAI), <c>x-ms-retry-after-ms</c> (Azure),
/// then <c>Retry-After</c> in seconds or as an HTTP date. Read by the retry rules and by the rate-limit gate's pause.
/// </summary>
internal static class RetryHints
{
    public static TimeSpan? Read(HttpResponseMessage response, TimeProvider time)
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

    private static TimeSpan? ReadMilliseconds(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out IEnumerable<string>? values)
           && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out double ms)
           && double.IsFinite(ms) && ms >= 0 && ms < TimeSpan.MaxValue.TotalMilliseconds
            ? TimeSpan.FromMilliseconds(ms)
            : null;
}
