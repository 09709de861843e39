using System.Net;
using Polly;
using Polly.CircuitBreaker;

namespace TypedBatch.Providers;

/// <summary>
/// An ordered chain of providers. A call goes to the first provider whose circuit is closed; when it fails there with
/// a retryable HTTP status, a rate limit, a timeout or a transport failure (after that provider's own retries), it
/// moves to the next. Errors a different provider would repeat (bad request, bad key, refusals, invalid output) are
/// thrown at once. <see cref="ChatCompletion.Provider"/> says who answered.
/// </summary>
/// <remarks>
/// Each provider has Polly's circuit breaker: after <c>failures</c> fallback-worthy failures with no success in
/// between (within a minute) it opens for <c>breakDuration</c>; then one trial call is let through (concurrent callers
/// skip the provider while the trial runs) and its outcome closes or re-opens the circuit.
/// </remarks>
internal sealed class FallbackChatProvider : IChatProvider
{
    private static readonly TimeSpan SamplingDuration = TimeSpan.FromMinutes(1);

    private readonly IChatProvider[] _providers;
    private readonly ResiliencePipeline[] _breakers;

    public FallbackChatProvider(IReadOnlyList<IChatProvider> providers, int failures, TimeSpan breakDuration, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(providers.Count, 1);
        _providers = providers.ToArray();
        _breakers = _providers.Select(_ => new ResiliencePipelineBuilder { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = failures,
                SamplingDuration = SamplingDuration,
                BreakDuration = breakDuration,
                ShouldHandle = new PredicateBuilder().Handle<ProviderException>(ShouldFallBack),
            })
            .Build()).ToArray();
        Name = string.Join(">", _providers.Select(p => p.Name));
    }

    public string Name { get; }

    public IReadOnlyList<IChatProvider> Providers => _providers;

    public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        => RunAsync(static (provider, request, ct) => provider.CompleteAsync(request, ct), request, cancellationToken);

    /// <summary>
    /// Streams from the first provider; when its stream fails before its first update with a failure another provider
    /// might not repeat, the next one is tried. Once an update was handed out, a failure is the call's: part of the
    /// answer is already the caller's. Streams neither consult nor feed the circuit breakers.
    /// </summary>
    public async IAsyncEnumerable<ChatCompletionUpdate> StreamAsync(ChatRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (int i = 0; ; i++)
        {
            IAsyncEnumerator<ChatCompletionUpdate> stream = _providers[i].StreamAsync(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                bool any;
                try
                {
                    any = await stream.MoveNextAsync().ConfigureAwait(false);
                }
                catch (ProviderException failure) when (ShouldFallBack(failure) && i < _providers.Length - 1)
                {
                    continue;
                }

                if (!any)
                {
                    yield break;
                }

                yield return stream.Current;
                while (await stream.MoveNextAsync().ConfigureAwait(false))
                {
                    yield return stream.Current;
                }

                yield break;
            }
            finally
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
        => RunAsync(static (provider, request, ct) => provider.EmbedAsync(request, ct), request, cancellationToken);

    /// <summary>Whether another provider might succeed where this one failed.</summary>
    internal static bool ShouldFallBack(ProviderException failure) => failure.Kind switch
    {
        // A rate limit or an exhausted quota is the provider's (or the account's), not the request's.
        BatchErrorKind.Timeout or BatchErrorKind.Transport or BatchErrorKind.RateLimited => true,
        BatchErrorKind.Http => failure.StatusCode is >= 500 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.Conflict or (int)HttpStatusCode.TooManyRequests,
        _ => false,
    };

    private async Task<T> RunAsync<T, TRequest>(Func<IChatProvider, TRequest, CancellationToken, Task<T>> call, TRequest request, CancellationToken cancellationToken)
    {
        ProviderException? last = null;
        int attempts = 0;
        for (int i = 0; i < _providers.Length; i++)
        {
            try
            {
                return await _breakers[i].ExecuteAsync(
                    static async (state, ct) => await state.call(state.provider, state.request, ct).ConfigureAwait(false),
                    (call, provider: _providers[i], request),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (BrokenCircuitException)
            {
                // Open, or half-open with its one trial already running: skip it.
            }
            catch (ProviderException failure) when (ShouldFallBack(failure))
            {
                attempts += failure.Attempts;
                last = failure;
            }
        }

        if (last is not null)
        {
            throw new ProviderException(last.Kind, last.Provider, $"{last.ProviderMessage} (every provider of the chain failed: {Name})", last.StatusCode, last)
            {
                ErrorType = last.ErrorType,
                ErrorCode = last.ErrorCode,
                RequestId = last.RequestId,
                Attempts = attempts,
            };
        }

        throw new ProviderException(BatchErrorKind.Transport, Name, "Every provider of the chain is skipped by its circuit breaker after repeated failures; retry later.");
    }
}
