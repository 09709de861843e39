using Polly.Timeout;
using TypedBatch.Http;

namespace TypedBatch.Resilience;

/// <summary>
/// Inside the retry loop: gives each attempt of a streamed call <see cref="TypedBatchOptions.FirstByteTimeout"/> to bring
/// the response's status and headers (a handler's send returns as soon as they have come; the events are read
/// afterwards). A streaming server starts its response before it writes the answer, so one that accepted the request
/// and says nothing is given up on as a timeout, which the retry loop retries. Whole answers come with their headers,
/// so other calls keep <see cref="TypedBatchOptions.AttemptTimeout"/> alone.
/// </summary>
/// <param name="timeout">The limit; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
/// <param name="time">The clock.</param>
internal sealed class FirstByteTimeoutHandler(TimeSpan timeout, TimeProvider time) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan || CallContext.Of(request) is not { Streamed: true })
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // A source that cancels itself on the clock: disposing it stops its timer safely, whenever the answer comes.
        using var limit = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            return await base.SendAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutRejectedException($"No response within FirstByteTimeout ({timeout.TotalSeconds:0.###} s).", timeout);
        }
    }
}
