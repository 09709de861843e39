using TypedBatch.Emulator.Faults;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>A valid chat or embeddings request as <see cref="ModelRequestGate"/> sees it.</summary>
/// <param name="Kind">Which endpoint.</param>
/// <param name="Model">The requested model.</param>
/// <param name="Fingerprint">The request's <see cref="RequestFingerprint"/>.</param>
/// <param name="Received">How often the fingerprint has been received, this time included.</param>
/// <param name="Arrival">The 1-based arrival number across chat and embeddings.</param>
/// <param name="Plan">The markers of the request.</param>
/// <param name="TokenCost">The tokens-per-minute reservation (<see cref="RequestCost"/>).</param>
/// <param name="StartTimestamp">The <see cref="System.Diagnostics.Stopwatch"/> timestamp of arrival.</param>
internal readonly record struct GateRequest(
    RequestKind Kind, string Model, string Fingerprint, long Received, long Arrival, FaultPlan Plan, int TokenCost, long StartTimestamp);

/// <summary>What <see cref="ModelRequestGate"/> decided.</summary>
/// <param name="Handled">The answer is already given (an error or an aborted connection): the endpoint stops.</param>
/// <param name="Malformed">Answer 200 cut off mid-JSON.</param>
/// <param name="Faulted">A fault was injected (stall or malformed): the answer is not counted as accepted.</param>
/// <param name="Limits">The rate-limit headers of the answer.</param>
internal readonly record struct GateOutcome(bool Handled, bool Malformed, bool Faulted, RateLimitSnapshot Limits);

/// <summary>
/// What happens to a valid chat or embeddings request before the model "runs", in order: quota
/// (<c>[[quota]]</c>, <see cref="EmulatorOptions.QuotaExhausted"/>), the rate limits, the configured
/// latency and <c>[[delay:ms]]</c>, scripted failures (<c>[[fail:S]]</c>,
/// <see cref="EmulatorOptions.FailEveryNth"/>), then the seeded faults of <see cref="SeededFaults"/>.
/// At most one fault is injected per request.
/// </summary>
internal sealed class ModelRequestGate(EmulatorState state)
{
    /// <summary>The <c>retry-after-ms</c> of seeded 503s: short, so clients that honour it retry fast.</summary>
    public const string OverloadedRetryAfterMilliseconds = "50";

    /// <summary>Runs the checks; answers the request itself when one of them fails it.</summary>
    public async Task<GateOutcome> PassAsync(HttpContext context, GateRequest request)
    {
        HttpResponse response = context.Response;
        StatsCollector stats = state.Stats;
        EmulatorOptions options = state.Options;
        FaultPlan plan = request.Plan;
        RetryHints.AddShouldRetryOnError(response, plan);

        if (plan.Quota || options.QuotaExhausted)
        {
            stats.RejectedQuota(request.Kind);
            ResponseHeaders.Add(response, request.Fingerprint, request.StartTimestamp, state.Limiter.Peek());
            await OpenAIErrors.WriteQuotaAsync(context);
            return new(Handled: true, false, false, default);
        }

        RateLimitDecision decision = state.Limiter.TryAcquire(request.TokenCost);
        if (decision.Rejection is { } rejection)
        {
            stats.RejectedRateLimited(request.Kind);
            ResponseHeaders.Add(response, request.Fingerprint, request.StartTimestamp, decision.Snapshot);
            await RateLimitErrors.WriteAsync(context, rejection, request.Model);
            return new(Handled: true, false, false, decision.Snapshot);
        }

        await state.Latency.DelayAsync(plan.DelayMilliseconds, context.RequestAborted);

        int failStatus = FaultInjection.ChooseFailureStatus(plan, request.Received, request.Arrival, options);
        InjectedFault fault = failStatus != 0 ? InjectedFault.Scripted : SeededFaults.Draw(options, request.Fingerprint, request.Received);
        if (fault == InjectedFault.None && plan.Malformed)
        {
            fault = InjectedFault.Malformed;
        }

        if (fault != InjectedFault.None)
        {
            stats.Injected(request.Kind, fault);
        }

        switch (fault)
        {
            case InjectedFault.Scripted or InjectedFault.Error500 or InjectedFault.Error503:
                ResponseHeaders.Add(response, request.Fingerprint, request.StartTimestamp, decision.Snapshot);
                RetryHints.ApplyOverrides(response, plan, options.TimeProvider.GetUtcNow());
                if (fault == InjectedFault.Error503 && !plan.HasRetryHint)
                {
                    response.Headers["retry-after-ms"] = OverloadedRetryAfterMilliseconds;
                }

                int status = fault switch
                {
                    InjectedFault.Error500 => StatusCodes.Status500InternalServerError,
                    InjectedFault.Error503 => StatusCodes.Status503ServiceUnavailable,
                    _ => failStatus,
                };
                await OpenAIErrors.WriteInjectedAsync(context, status);
                return new(Handled: true, false, true, decision.Snapshot);

            case InjectedFault.Reset:
                context.Abort();
                return new(Handled: true, false, true, decision.Snapshot);

            case InjectedFault.Stall:
                try
                {
                    await Task.Delay(options.StallDuration, options.TimeProvider, context.RequestAborted);
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    return new(Handled: true, false, true, decision.Snapshot); // the client gave up
                }

                return new(Handled: false, plan.Malformed, true, decision.Snapshot);

            default:
                return new(Handled: false, fault == InjectedFault.Malformed, fault != InjectedFault.None, decision.Snapshot);
        }
    }
}
