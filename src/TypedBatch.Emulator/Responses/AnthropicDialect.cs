using System.Globalization;
using TypedBatch.Emulator.Faults;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>
/// Anthropic's side of <see cref="ModelRequestGate"/>: per-model RPM/ITPM/OTPM budgets,
/// <c>anthropic-ratelimit-*</c> headers and Anthropic's error shapes. <see cref="GateRequest.TokenCost"/>
/// is the input-token estimate.
/// </summary>
internal sealed class AnthropicDialect(EmulatorState state) : IApiDialect
{
    public RateLimitDecision TryAcquire(GateRequest request) => state.AnthropicLimiter.TryAcquire(request.Model, request.TokenCost, request.MaxOutputTokens);

    public RateLimitSnapshot Peek(string model) => state.AnthropicLimiter.Peek(model);

    public void AddHeaders(HttpResponse response, string? fingerprint, long startTimestamp, RateLimitSnapshot limits) =>
        AnthropicHeaders.Add(response, fingerprint, limits, state.Options.TimeProvider.GetUtcNow());

    /// <summary>
    /// A spend limit: 400 <c>invalid_request_error</c>, which Anthropic's errors reference gives for an
    /// organization or workspace spend limit (the tier's monthly cap is a 429 with no <c>retry-after</c>;
    /// the 400 is the one a client can tell from a rate limit by status alone, so it fails fast).
    /// </summary>
    public Task WriteQuotaAsync(HttpContext context) =>
        AnthropicErrors.WriteAsync(
            context, StatusCodes.Status400BadRequest, AnthropicErrors.InvalidRequest, AnthropicErrors.SpendLimitMessage(state.Options.TimeProvider.GetUtcNow()));

    /// <summary>
    /// 429 <c>rate_limit_error</c> with <c>retry-after</c> in whole seconds (rounded up, at least 1), as
    /// Anthropic's rate-limits reference describes ("a 429 error describing which rate limit was exceeded,
    /// along with a retry-after header"). A request larger than the whole per-minute limit gets
    /// <c>x-should-retry: false</c> and no <c>retry-after</c> instead, as on the OpenAI side.
    /// </summary>
    public Task WriteRateLimitedAsync(HttpContext context, RateLimitRejection rejection, string model)
    {
        IHeaderDictionary headers = context.Response.Headers;
        string unit = rejection.Type switch
        {
            AnthropicRateLimiter.InputTokens => "input tokens",
            AnthropicRateLimiter.OutputTokens => "output tokens",
            _ => "requests",
        };
        string message;
        if (rejection.TooLarge)
        {
            headers["x-should-retry"] = "false";
            message = string.Create(
                CultureInfo.InvariantCulture,
                $"This request ({rejection.Requested} {unit}) exceeds the rate limit for your organization of {rejection.Limit} {unit} per minute for {model}; it can never succeed. Please reduce the prompt length.");
        }
        else
        {
            long milliseconds = Math.Max(1, GoDuration.CeilingMilliseconds(rejection.RetryAfter));
            headers.RetryAfter = Math.Max(1, (milliseconds + 999) / 1000).ToString(CultureInfo.InvariantCulture);
            message = string.Create(
                CultureInfo.InvariantCulture,
                $"This request would exceed the rate limit for your organization of {rejection.Limit} {unit} per minute for {model}. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please try again later.");
        }

        return AnthropicErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, AnthropicErrors.RateLimit, message);
    }

    /// <summary>
    /// A scripted status with its Anthropic type (<see cref="AnthropicErrors.TypeOf"/>); a seeded 500 as
    /// <c>api_error</c>; a seeded 503 as Anthropic's overload, 529 <c>overloaded_error</c>. A 429 gets
    /// <c>retry-after: 1</c> unless a marker set it.
    /// </summary>
    public Task WriteInjectedAsync(HttpContext context, InjectedFault fault, int scriptedStatus, FaultPlan plan)
    {
        int status = fault switch
        {
            InjectedFault.Error500 => StatusCodes.Status500InternalServerError,
            InjectedFault.Error503 => 529,
            _ => scriptedStatus,
        };
        IHeaderDictionary headers = context.Response.Headers;
        if (status == StatusCodes.Status429TooManyRequests && !headers.ContainsKey("Retry-After"))
        {
            headers.RetryAfter = "1";
        }

        return AnthropicErrors.WriteAsync(context, status, AnthropicErrors.TypeOf(status), AnthropicErrors.InjectedMessage(status));
    }

    public Task WriteInvalidAsync(HttpContext context, string message) => AnthropicErrors.WriteInvalidAsync(context, message);
}
