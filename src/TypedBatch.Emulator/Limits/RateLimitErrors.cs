using System.Globalization;

namespace TypedBatch.Emulator.Limits;

/// <summary>Writes the 429 <c>rate_limit_exceeded</c> answers of the <see cref="RateLimiter"/>, worded as the real service words them.</summary>
internal static class RateLimitErrors
{
    private const string Organization = "org-emulator";
    private const string LearnMore = "Visit https://platform.openai.com/account/rate-limits to learn more.";

    /// <summary>
    /// Writes the 429 with type <c>requests</c> or <c>tokens</c>. A request that merely has to wait gets
    /// <c>Retry-After</c> (whole seconds, rounded up, at least 1) and <c>retry-after-ms</c> (the exact
    /// wait); one larger than the whole per-minute limit gets <c>x-should-retry: false</c> instead.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <param name="rejection">Why the limiter refused it.</param>
    /// <param name="model">The requested model, named in the message.</param>
    public static Task WriteAsync(HttpContext context, RateLimitRejection rejection, string model)
    {
        IHeaderDictionary headers = context.Response.Headers;
        string unit = rejection.Type == "requests" ? "requests per min (RPM)" : "tokens per min (TPM)";
        string message;
        if (rejection.TooLarge)
        {
            headers["x-should-retry"] = "false";
            message = string.Create(
                CultureInfo.InvariantCulture,
                $"Request too large for {model} in organization {Organization} on {unit}: Limit {rejection.Limit}, Requested {rejection.Requested}. The input or output tokens must be reduced in order to run successfully. {LearnMore}");
        }
        else
        {
            long milliseconds = Math.Max(1, GoDuration.CeilingMilliseconds(rejection.RetryAfter));
            headers.RetryAfter = Math.Max(1, (milliseconds + 999) / 1000).ToString(CultureInfo.InvariantCulture);
            headers["retry-after-ms"] = milliseconds.ToString(CultureInfo.InvariantCulture);
            message = string.Create(
                CultureInfo.InvariantCulture,
                $"Rate limit reached for {model} in organization {Organization} on {unit}: Limit {rejection.Limit}, Requested {rejection.Requested}. Please try again in {GoDuration.Format(rejection.RetryAfter)}. {LearnMore}");
        }

        return OpenAIErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, message, rejection.Type, null, "rate_limit_exceeded");
    }
}
