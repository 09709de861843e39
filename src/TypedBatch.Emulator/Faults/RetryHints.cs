using System.Globalization;

namespace TypedBatch.Emulator.Faults;

/// <summary>
/// The retry headers markers ask for: <c>x-should-retry</c> on any error answer, and
/// <c>Retry-After</c> / <c>retry-after-ms</c> overrides on injected errors.
/// </summary>
internal static class RetryHints
{
    /// <summary>Arranges for <c>x-should-retry</c> to be sent when the answer turns out to be an error (status 400 or more).</summary>
    public static void AddShouldRetryOnError(HttpResponse response, FaultPlan plan)
    {
        if (plan.ShouldRetry is not { } shouldRetry)
        {
            return;
        }

        response.OnStarting(() =>
        {
            if (response.StatusCode >= StatusCodes.Status400BadRequest)
            {
                response.Headers["x-should-retry"] = shouldRetry ? "true" : "false";
            }

            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Sets the retry-after headers the markers ask for. When there is any, the error's default hints
    /// are left out (see <see cref="OpenAIErrors.WriteInjectedAsync"/>); <c>[[retry-after-date:N]]</c>
    /// wins over <c>[[retry-after:N]]</c>.
    /// </summary>
    /// <param name="response">The error answer, before its body.</param>
    /// <param name="plan">The request's markers.</param>
    /// <param name="now">The current time, for <c>[[retry-after-date:N]]</c>.</param>
    public static void ApplyOverrides(HttpResponse response, FaultPlan plan, DateTimeOffset now)
    {
        IHeaderDictionary headers = response.Headers;
        if (plan.RetryAfterSeconds is { } seconds)
        {
            headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (plan.RetryAfterDateSeconds is { } dateSeconds)
        {
            // An HTTP date has whole seconds: round up so the date is at least N seconds ahead.
            long wholeSecond = now.ToUnixTimeSeconds() + (now.UtcTicks % TimeSpan.TicksPerSecond == 0 ? 0 : 1);
            var when = DateTimeOffset.FromUnixTimeSeconds(wholeSecond + dateSeconds);
            headers.RetryAfter = when.ToString("R", CultureInfo.InvariantCulture);
        }

        if (plan.RetryAfterMilliseconds is { } milliseconds)
        {
            headers["retry-after-ms"] = milliseconds.ToString(CultureInfo.InvariantCulture);
        }
    }
}
