using Polly.Timeout;

namespace TypedBatch.Resilience;

/// <summary>
/// Inside the retry loop: gives each attempt <see cref="TypedBatchOptions.FirstByteTimeout"/> to bring the response's
/// status and headers (a handler's send returns as soon as they have come; the body is read afterwards). A server
/// that accepted the request and says nothing is given up on as a timeout, which the retry loop retries.
/// </summary>
/// <param name="timeout">The limit; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
/// <param name="time">The clock.</param>
internal sealed class FirstByteTimeoutHandler(TimeSpan timeout, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using ITimer timer = time.CreateTimer(static state => ((CancellationTokenSource)state!).Cancel(), limit, timeout, Timeout.InfiniteTimeSpan);
        try
        {
            return await base.SendAsync(request, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutRejectedException($"No response within FirstByteTimeout ({timeout.TotalSeconds:0.###} s).", timeout);
        }
    }
}
