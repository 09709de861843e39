using TypedBatch.Emulator.Faults;

namespace TypedBatch.Emulator.Limits;

/// <summary>
/// What differs between the APIs the emulator speaks once a request is valid: which rate limits
/// apply, the headers that report them, and the shape of the errors <see cref="ModelRequestGate"/>
/// answers with. The gate's order of checks, its markers and its seeded faults are shared.
/// </summary>
internal interface IApiDialect
{
    /// <summary>Takes the request's cost from the limits when they all have room.</summary>
    RateLimitDecision TryAcquire(GateRequest request);

    /// <summary>The limits of <paramref name="model"/> as they are now, taking nothing.</summary>
    RateLimitSnapshot Peek(string model);

    /// <summary>Adds the rate-limit headers (and the API's other per-answer headers) before the body is written.</summary>
    void AddHeaders(HttpResponse response, string? fingerprint, long startTimestamp, RateLimitSnapshot limits);

    /// <summary>Answers a request refused for quota or spend limit (<c>[[quota]]</c>, <see cref="EmulatorOptions.QuotaExhausted"/>).</summary>
    Task WriteQuotaAsync(HttpContext context);

    /// <summary>Answers a request the rate limiter refused, with its retry hints.</summary>
    Task WriteRateLimitedAsync(HttpContext context, RateLimitRejection rejection, string model);

    /// <summary>
    /// Answers an injected error: <see cref="InjectedFault.Scripted"/> with <paramref name="scriptedStatus"/>,
    /// or the seeded <see cref="InjectedFault.Error500"/> and <see cref="InjectedFault.Error503"/>.
    /// Retry-after markers were already applied.
    /// </summary>
    Task WriteInjectedAsync(HttpContext context, InjectedFault fault, int scriptedStatus, FaultPlan plan);

    /// <summary>Answers 400 for a request that cannot be served as asked.</summary>
    Task WriteInvalidAsync(HttpContext context, string message);
}
