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
    RequestKind Kind, string Model, string Fingerprint, long Received, long Arrival, FaultPlan Plan, int TokenCost, long StartTimestamp)
{
    /// <summary>An Anthropic request's <c>max_tokens</c>: its output estimate on arrival, adjusted when the answer is known.</summary>
    public int MaxOutputTokens { get; init; }
}

/// <summary>What <see cref="ModelRequestGate"/> decided.</summary>
/// <param name="Handled">The answer is already given (an error or an aborted connection): the endpoint stops.</param>
/// <param name="Malformed">Answer 200 cut off mid-JSON.</param>
/// <param name="Faulted">A fault was injected (stall or malformed): the answer is not counted as accepted.</param>
/// <param name="Limits">The rate-limit headers of the answer.</param>
internal readonly record struct GateOutcome(bool Handled, bool Malformed, bool Faulted, RateLimitSnapshot Limits)
{
    /// <summary>The fault injected, if any; the endpoint shapes its answer for <see cref="InjectedFault.Oversize"/> and the index faults.</summary>
    public InjectedFault Fault { get; init; }
}

/// <summary>
/// What happens to a valid chat or embeddings request before the model "runs", in order: quota
/// (<c>[[quota]]</c>, <see cref="EmulatorOptions.QuotaExhausted"/>), the rate limits, the configured
/// latency and <c>[[delay:ms]]</c>, the hostile-server markers (<c>[[hang]]</c>, drips, echoed
/// credentials, redirects; see <see cref="HostileAnswers"/>), scripted failures (<c>[[fail:S]]</c>,
/// <see cref="EmulatorOptions.FailEveryNth"/>), the seeded faults of <see cref="SeededFaults"/>, then
/// the answer-shaping markers (<c>[[malformed]]</c>, <c>[[oversize:MB]]</c>, the index faults).
/// At most one fault is injected per request.
/// </summary>
internal sealed class ModelRequestGate(EmulatorState state, IApiDialect dialect)
{
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
            dialect.AddHeaders(response, request.Fingerprint, request.StartTimestamp, dialect.Peek(request.Model));
            // Real quota answers may carry Retry-After too: [[quota]][[retry-after:N]] lets a client prove it ignores it.
            RetryHints.ApplyOverrides(response, plan, options.TimeProvider.GetUtcNow());
            await dialect.WriteQuotaAsync(context);
            return new(Handled: true, false, false, default);
        }

        RateLimitDecision decision = dialect.TryAcquire(request);
        if (decision.Rejection is { } rejection)
        {
            stats.RejectedRateLimited(request.Kind);
            dialect.AddHeaders(response, request.Fingerprint, request.StartTimestamp, decision.Snapshot);
            await dialect.WriteRateLimitedAsync(context, rejection, request.Model);
            return new(Handled: true, false, false, decision.Snapshot);
        }

        await state.Latency.DelayAsync(plan.DelayMilliseconds, context.RequestAborted);

        if (await TryAnswerHostileAsync(context, request, decision.Snapshot) is { } hostile)
        {
            return hostile;
        }

        int failStatus = FaultInjection.ChooseFailureStatus(plan, request.Received, request.Arrival, options);
        InjectedFault fault = failStatus != 0 ? InjectedFault.Scripted : SeededFaults.Draw(options, request.Fingerprint, request.Received);
        if (fault == InjectedFault.None)
        {
            fault = plan.Malformed ? InjectedFault.Malformed
                : plan.OversizeMegabytes > 0 && request.Kind == RequestKind.Chat ? InjectedFault.Oversize
                : plan.DuplicateIndex && request.Kind == RequestKind.Embeddings ? InjectedFault.DuplicateIndex
                : plan.MissingIndex && request.Kind == RequestKind.Embeddings ? InjectedFault.MissingIndex
                : InjectedFault.None;
        }

        if (fault != InjectedFault.None)
        {
            stats.Injected(request.Kind, fault);
        }

        switch (fault)
        {
            case InjectedFault.Scripted or InjectedFault.Error500 or InjectedFault.Error503:
                dialect.AddHeaders(response, request.Fingerprint, request.StartTimestamp, decision.Snapshot);
                RetryHints.ApplyOverrides(response, plan, options.TimeProvider.GetUtcNow());
                await dialect.WriteInjectedAsync(context, fault, failStatus, plan);
                return new(Handled: true, false, true, decision.Snapshot);

            case InjectedFault.Reset:
                context.Abort();
                return new(Handled: true, false, true, decision.Snapshot);

            case InjectedFault.Hang:
                await HostileAnswers.HangAsync(context, state.Stopping);
                return new(Handled: true, false, true, decision.Snapshot) { Fault = fault };

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
                return new(Handled: false, fault == InjectedFault.Malformed, fault != InjectedFault.None, decision.Snapshot) { Fault = fault };
        }
    }

    /// <summary>Answers the hostile-server markers that replace the whole answer; <see langword="null"/> when there is none.</summary>
    private async Task<GateOutcome?> TryAnswerHostileAsync(HttpContext context, GateRequest request, RateLimitSnapshot limits)
    {
        FaultPlan plan = request.Plan;
        bool onPrimaryOrigin = context.Connection.LocalPort != state.SecondaryPort;
        InjectedFault fault = plan.Hang ? InjectedFault.Hang
            : plan.DripStatus >= 400 ? InjectedFault.DripError
            : plan.DripStatus != 0 ? InjectedFault.DripOk
            : plan.EchoKey || plan.EchoKeyHtmlOffset is not null ? InjectedFault.EchoKey
            // The redirected request repeats the marker: the other origin answers it normally.
            : plan.RedirectStatus != 0 && onPrimaryOrigin ? InjectedFault.Redirect
            : InjectedFault.None;
        if (fault == InjectedFault.None)
        {
            return null;
        }

        if (fault == InjectedFault.Redirect && state.SecondaryRoot is null)
        {
            state.Stats.RejectedInvalid(request.Kind);
            await dialect.WriteInvalidAsync(
                context, "[[redirect:S]] needs a second origin: start the emulator with EmulatorOptions.SecondaryPort (--secondary-port).");
            return new GateOutcome(Handled: true, false, false, limits);
        }

        state.Stats.Injected(request.Kind, fault);
        dialect.AddHeaders(context.Response, request.Fingerprint, request.StartTimestamp, limits);
        switch (fault)
        {
            case InjectedFault.Hang:
                await HostileAnswers.HangAsync(context, state.Stopping);
                break;
            case InjectedFault.DripError or InjectedFault.DripOk:
                await HostileAnswers.DripAsync(context, plan.DripStatus, plan.DripContentType, state.Options.TimeProvider, state.Stopping);
                break;
            case InjectedFault.EchoKey when plan.EchoKeyHtmlOffset is { } offset:
                await HostileAnswers.EchoKeyHtmlAsync(context, offset);
                break;
            case InjectedFault.EchoKey:
                await HostileAnswers.EchoKeyAsync(context);
                break;
            default:
                HostileAnswers.Redirect(context, plan.RedirectStatus, state.SecondaryRoot!);
                break;
        }

        return new GateOutcome(Handled: true, false, true, limits) { Fault = fault };
    }
}
