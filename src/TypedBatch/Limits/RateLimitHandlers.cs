using System.Net;
using TypedBatch.Http;

namespace TypedBatch.Limits;

/// <summary>
/// The rate-limit feedback loop of one provider endpoint, as two handlers around its resilience pipeline:
/// <list type="bullet">
/// <item><see cref="Admission"/>, outside the pipeline: the first attempt waits for its budget before the total and
/// attempt timeouts start, so queueing behind the limit is never a timeout.</item>
/// <item><see cref="Attempt"/>, innermost: every retry waits for its budget; every answer is learned from
/// (<c>x-ratelimit-*</c> limits and remaining budget, prompt-token usage), a rate-limit 429 pauses the gate for its hint
/// and cuts the batch's adaptive concurrency (a quota 429 does neither), a success grows it back.</item>
/// </list>
/// Each attempt is charged at the batch's own gate (when its options set limits) and at the account's shared gate.
/// </summary>
internal static class RateLimitHandlers
{
    private static readonly TimeSpan DefaultPause = TimeSpan.FromSeconds(1);

    public sealed class Admission(ProviderLimits limits) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (CallContext.Of(request) is { } call)
            {
                await WaitAsync(limits, call, cancellationToken).ConfigureAwait(false);
                call.Admitted = true;
            }

            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    public sealed class Attempt(ProviderLimits limits) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var call = CallContext.Of(request);
            if (call is null)
            {
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }

            if (call.OnAttempt() > 1 || !call.Admitted)
            {
                await WaitAsync(limits, call, cancellationToken).ConfigureAwait(false);
            }

            RateLimitGate gate = limits.GateFor(call.Model);
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                gate.OnAnswer(null); // a failed first attempt must not hold the requests queued behind it
                ReleaseOutput(gate, call);
                throw;
            }

            if (!response.IsSuccessStatusCode)
            {
                ReleaseOutput(gate, call); // no answer, no output: the estimate goes back
            }

            call.RequestId = response.Headers.TryGetValues("x-request-id", out IEnumerable<string>? ids) || response.Headers.TryGetValues("request-id", out ids)
                ? ids.FirstOrDefault()
                : null; // OpenAI's x-request-id, Anthropic's request-id

            // A quota 429 is no rate limit, whatever headers it carries: waiting does not fix it, so it must neither
            // pause every request of the account nor cut the batch's concurrency. The runner fails the batch fast.
            bool quota;
            try
            {
                quota = response.StatusCode == HttpStatusCode.TooManyRequests && await IsQuotaAsync(response, cancellationToken).ConfigureAwait(false);
                call.QuotaExceeded = response.StatusCode == HttpStatusCode.TooManyRequests ? quota : null;
            }
            catch
            {
                gate.OnAnswer(null); // as for a failed attempt: the requests queued behind this one must not be held
                response.Dispose();
                throw;
            }

            if (quota)
            {
                gate.OnAnswer(null);
                return response;
            }

            var info = RateLimitInfo.FromHeaders(response.Headers, limits.Time);
            gate.OnAnswer(info);
            AdaptiveConcurrency? concurrency = BatchScope.Current?.Concurrency;
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // A rate-limit 429 carries a hint or the limit headers; one with neither is paused for briefly.
                TimeSpan? hint = RetryHints.Read(response, limits.Time);
                if (hint is not null || info is not null)
                {
                    gate.Pause(hint is { } wait && wait <= limits.MaxRetryAfter ? wait : DefaultPause);
                }

                concurrency?.OnThrottled();
            }
            else if (response.IsSuccessStatusCode)
            {
                concurrency?.OnSuccess();
            }

            return response;
        }

        private async ValueTask<bool> IsQuotaAsync(HttpResponseMessage response, CancellationToken cancellationToken)
        {
            // Buffered, so the retry policy and the provider read the same body after this.
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return limits.IsQuotaError(body);
        }
    }

    /// <summary>An attempt without an answer gives back the output tokens it reserved, once.</summary>
    private static void ReleaseOutput(RateLimitGate gate, CallContext call)
    {
        gate.ReleaseOutput(call.OutputReservation);
        call.OutputReservation = 0;
    }

    /// <summary>The server counted the prompt: later estimates for this model are corrected by it.</summary>
    public static void LearnUsage(ProviderLimits? limits, CallContext call, long promptTokens)
        => limits?.GateFor(call.Model).LearnPromptTokens(call.PromptEstimate, promptTokens);

    /// <summary>
    /// The server counted the prompt and the output: later estimates are corrected by the prompt, and where the server
    /// meters output apart, the output bucket is charged what the answer produced (less what its attempt reserved).
    /// </summary>
    public static void LearnUsage(ProviderLimits? limits, CallContext call, long promptTokens, long outputTokens)
    {
        if (limits is null)
        {
            return;
        }

        RateLimitGate gate = limits.GateFor(call.Model);
        gate.LearnPromptTokens(call.PromptEstimate, promptTokens);
        gate.SettleOutput(call.OutputReservation, outputTokens);
    }

    internal static async ValueTask WaitAsync(ProviderLimits limits, CallContext call, CancellationToken cancellationToken)
    {
        RateLimitGate shared = limits.GateFor(call.Model);
        if (call.Reservation < 0)
        {
            call.Reservation = TokenEstimator.Reservation(call.PromptEstimate, call.MaxOutputTokens, shared.PromptCorrection);
            call.InputReservation = TokenEstimator.Reservation(call.PromptEstimate, null, shared.PromptCorrection);
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (BatchScope.Current?.Gate is { } batch)
        {
            await batch.WaitAsync(call.Reservation, cancellationToken).ConfigureAwait(false);
        }

        // Only the shared gate hears the server, so only it can meter output apart: its reservation is the one settled.
        call.OutputReservation = await shared.WaitAsync(new TokenDemand(call.Reservation, call.InputReservation, call.MaxOutputTokens), cancellationToken).ConfigureAwait(false);
        if (TypedBatchTelemetry.RateLimitWait.Enabled)
        {
            TypedBatchTelemetry.RateLimitWait.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("gen_ai.request.model", call.Model));
        }
    }
}
