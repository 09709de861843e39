using TypedBatch.Emulator.Faults;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>The OpenAI (and Copilot) side of <see cref="ModelRequestGate"/>: one RPM/TPM budget, <c>x-ratelimit-*</c> headers, OpenAI error shapes.</summary>
internal sealed class OpenAIDialect(EmulatorState state) : IApiDialect
{
    /// <summary>The <c>retry-after-ms</c> of seeded 503s: short, so clients that honour it retry fast.</summary>
    public const string OverloadedRetryAfterMilliseconds = "50";

    public RateLimitDecision TryAcquire(GateRequest request) => state.Limiter.TryAcquire(request.TokenCost);

    public RateLimitSnapshot Peek(string model) => state.Limiter.Peek();

    public void AddHeaders(HttpResponse response, string? fingerprint, long startTimestamp, RateLimitSnapshot limits) =>
        ResponseHeaders.Add(response, fingerprint, startTimestamp, limits);

    public Task WriteQuotaAsync(HttpContext context) => OpenAIErrors.WriteQuotaAsync(context);

    public Task WriteRateLimitedAsync(HttpContext context, RateLimitRejection rejection, string model) =>
        RateLimitErrors.WriteAsync(context, rejection, model);

    public Task WriteInjectedAsync(HttpContext context, InjectedFault fault, int scriptedStatus, FaultPlan plan)
    {
        if (fault == InjectedFault.Error503 && !plan.HasRetryHint)
        {
            context.Response.Headers["retry-after-ms"] = OverloadedRetryAfterMilliseconds;
        }

        int status = fault switch
        {
            InjectedFault.Error500 => StatusCodes.Status500InternalServerError,
            InjectedFault.Error503 => StatusCodes.Status503ServiceUnavailable,
            _ => scriptedStatus,
        };
        return OpenAIErrors.WriteInjectedAsync(context, status);
    }

    public Task WriteInvalidAsync(HttpContext context, string message) =>
        OpenAIErrors.WriteAsync(context, new RequestError(message, null, null));
}
