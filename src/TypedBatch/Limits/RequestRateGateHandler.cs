namespace TypedBatch;

/// <summary>Makes every HTTP attempt pass the provider's <see cref="RequestRateGate"/> before it is sent.</summary>
internal sealed class RequestRateGateHandler(RequestRateGate gate) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
