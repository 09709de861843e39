using TypedBatch.Providers;

namespace TypedBatch;

/// <summary>
/// Inside the retry loop and outside the per-attempt timeout: every retry waits for its request and token budget at the
/// call's <see cref="RateLimitGate"/>. The first attempt's budget is taken by the provider before the call enters the
/// pipeline, so queueing behind the limit counts against neither the attempt nor the total timeout.
/// </summary>
internal sealed class RateGateHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(CallContext.Key, out CallContext? call) && call.Gate is { } gate)
        {
            if (call.FirstAttemptPrepaid)
            {
                call.FirstAttemptPrepaid = false;
            }
            else
            {
                await gate.WaitAsync(call.Reservation, cancellationToken).ConfigureAwait(false);
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
