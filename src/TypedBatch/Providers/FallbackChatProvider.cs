using System.Net;

namespace TypedBatch.Providers;

/// <summary>
/// An ordered chain of providers. A call goes to the first provider whose circuit is closed; when it fails there with
/// a retryable HTTP status, a rate limit, a timeout or a transport failure (after that provider's own retries), it
/// moves to the next. Errors a different provider would repeat (bad request, bad key, refusals, invalid output) are
/// thrown at once. <see cref="ChatCompletion.Provider"/> says who answered.
/// </summary>
internal sealed class FallbackChatProvider : IChatProvider, IRateLimitedProvider
{
    private readonly IChatProvider[] _providers;
    private readonly CircuitBreaker[] _breakers;

    public FallbackChatProvider(IReadOnlyList<IChatProvider> providers, int breakerThreshold, TimeSpan breakDuration, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(providers.Count, 1);
        _providers = providers.ToArray();
        _breakers = _providers.Select(_ => new CircuitBreaker(breakerThreshold, breakDuration, time)).ToArray();
        Name = string.Join(">", _providers.Select(p => p.Name));
    }

    public string Name { get; }

    public IReadOnlyList<IChatProvider> Providers => _providers;

    /// <summary>Whether the breaker of the provider at <paramref name="index"/> is open now.</summary>
    public bool IsOpen(int index) => _breakers[index].IsOpen;

    public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        => RunAsync((provider, ct) => provider.CompleteAsync(request, ct), cancellationToken);

    public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
        => RunAsync((provider, ct) => provider.EmbedAsync(request, ct), cancellationToken);

    public RateLimitGate? GateFor(string model) => (_providers[0] as IRateLimitedProvider)?.GateFor(model);

    /// <summary>Whether another provider might succeed where this one failed.</summary>
    internal static bool ShouldFallBack(ProviderException failure) => failure.Kind switch
    {
        // A rate limit or an exhausted quota is the provider's (or the account's), not the request's.
        BatchErrorKind.Timeout or BatchErrorKind.Transport or BatchErrorKind.RateLimited => true,
        BatchErrorKind.Http => failure.StatusCode is >= 500 or (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.Conflict or (int)HttpStatusCode.TooManyRequests,
        _ => false,
    };

    private async Task<T> RunAsync<T>(Func<IChatProvider, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ProviderException? last = null;
        int attempts = 0;
        bool tried = false;
        for (int i = 0; i < _providers.Length; i++)
        {
            if (!_breakers[i].TryEnter())
            {
                continue;
            }

            tried = true;
            try
            {
                T result = await call(_providers[i], cancellationToken).ConfigureAwait(false);
                _breakers[i].OnSuccess();
                return result;
            }
            catch (ProviderException failure) when (ShouldFallBack(failure))
            {
                _breakers[i].OnFailure();
                attempts += failure.Attempts;
                last = failure;
            }
            catch
            {
                _breakers[i].OnNeutral();
                throw;
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

        throw new ProviderException(BatchErrorKind.Transport, Name, tried ? "No provider answered." : "Every provider of the chain is skipped by its circuit breaker after repeated failures; retry later.");
    }
}
