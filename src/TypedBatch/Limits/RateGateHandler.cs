using TypedBatch.Providers;

namespace TypedBatch;

/// <summary>
/// Inside the retry loop and outside the per-attempt timeout: every attempt waits for its request and token budget at
/// the call's <see cref="RateLimitGate"/>, so waiting for budget never counts against the attempt's timeout.
/// </summary>
internal sealed class RateGateHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(CallContext.Key, out CallContext? call) && call.Gate is { } gate)
        {
            await gate.WaitAsync(call.Reservation, cancellationToken).ConfigureAwait(false);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
