namespace TypedBatch.Providers;

/// <summary>
/// Innermost handler: sits inside the retry loop, so it sees every attempt. Counts attempts and records the request
/// id and rate-limit headers of each response on the call's <see cref="CallContext"/> and on the provider's
/// <see cref="RateLimitObserver"/>.
/// </summary>
internal sealed class AttemptObserverHandler(RateLimitObserver observer, Resilience.RetryPolicy? retryPolicy = null) : DelegatingHandler
{
    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(1);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.TryGetValue(CallContext.Key, out CallContext? call);
        call?.OnAttempt();
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            call?.Gate?.OnAnswer(null); // a failed first attempt must not hold the requests queued behind it
            throw;
        }

        var limits = RateLimitInfo.FromHeaders(response.Headers);
        if (limits is not null)
        {
            observer.Observe(limits);
        }

        if (call is not null)
        {
            call.RateLimit = limits;
            call.RequestId = response.Headers.TryGetValues("x-request-id", out IEnumerable<string>? ids) ? ids.FirstOrDefault() : null;
            call.Gate?.OnAnswer(limits);
        }

        if (response.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            // A rate-limit 429 carries a retry hint; a quota 429 does not, and waiting would not help it.
            TimeSpan? hint = retryPolicy?.ServerDelay(response);
            if (hint is not null || limits is not null)
            {
                call?.Gate?.Pause(hint is { } wait && wait <= (retryPolicy?.MaxRetryAfter ?? wait) ? wait : DefaultPause);
            }

            AdaptiveConcurrency.Current?.OnThrottled();

            if (call is not null)
            {
                call.Throttled++;
            }
        }
        else if (response.IsSuccessStatusCode)
        {
            AdaptiveConcurrency.Current?.OnSuccess();
        }
        else if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
        {
            call?.Endpoint?.OnUnauthorized();
        }

        return response;
    }
}
