using TypedBatch.Limits;

namespace TypedBatch;

/// <summary>
/// The provider as a live batch's items call it: when the batch hedges (<see cref="BatchScope.Hedger"/>), a chat request
/// still unanswered after the batch's hedge delay gets one duplicate in a concurrency slot of its own; the first answer
/// wins and the other request is cancelled. Outside a hedging batch it is the provider itself. Hedging here, around the
/// whole call, rather than with Polly's hedging strategy inside the <see cref="HttpClient"/> pipeline, keeps one retry
/// loop (a hedge inside it would multiply with retries, outside it would be a second loop) and lets the delay come from
/// the batch's own latencies and the hedge take a slot of the batch's concurrency.
/// </summary>
internal sealed class HedgingChatProvider(IChatProvider inner) : IChatProvider
{
    public IChatProvider Inner => inner;

    public string Name => inner.Name;

    public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
        => inner.EmbedAsync(request, cancellationToken);

    public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        => BatchScope.Current is { Hedger: { } hedger } scope
            ? CompleteHedgedAsync(scope, hedger, request, cancellationToken)
            : inner.CompleteAsync(request, cancellationToken);

    private async Task<ChatCompletion> CompleteHedgedAsync(BatchScope scope, Hedger hedger, ChatRequest request, CancellationToken cancellationToken)
    {
        hedger.CallStarted();
        int? maxTokens = request.Settings.MaxTokens;
        TimeProvider time = hedger.Time;
        long started = time.GetTimestamp();
        using var primaryCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<ChatCompletion> primary = inner.CompleteAsync(request, primaryCancel.Token);
        if (!await hedger.HedgeDueAsync(primary, maxTokens, started, cancellationToken).ConfigureAwait(false))
        {
            return await AnsweredAsync(hedger, primary, started, maxTokens).ConfigureAwait(false);
        }

        using var hedgeCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!await hedger.EnterHedgeSlotAsync(scope.Concurrency, primary, hedgeCancel).ConfigureAwait(false))
        {
            return await AnsweredAsync(hedger, primary, started, maxTokens).ConfigureAwait(false);
        }

        long hedgeStarted = time.GetTimestamp();
        Task<ChatCompletion> hedge = SendInSlotAsync(scope, request, hedgeCancel.Token);
        Task<ChatCompletion> first = await Task.WhenAny(primary, hedge).ConfigureAwait(false);
        Task<ChatCompletion> other = first == primary ? hedge : primary;
        if (first.IsCompletedSuccessfully)
        {
            (first == primary ? hedgeCancel : primaryCancel).Cancel();
            return Won(hedger, first, other, first == primary ? started : hedgeStarted, first == hedge, maxTokens);
        }

        // The first to end failed: the other, in flight, may still answer. If it does not, the item fails as the
        // request it sent first.
        await ((Task)other).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (other.IsCompletedSuccessfully)
        {
            return Won(hedger, other, first, other == primary ? started : hedgeStarted, other == hedge, maxTokens);
        }

        Observe(hedge);
        return await primary.ConfigureAwait(false);
    }

    private static async Task<ChatCompletion> AnsweredAsync(Hedger hedger, Task<ChatCompletion> primary, long started, int? maxTokens)
    {
        ChatCompletion answer = await primary.ConfigureAwait(false);
        hedger.Record(hedger.Time.GetElapsedTime(started), maxTokens);
        return answer;
    }

    /// <summary>The hedge, in the slot it was given: the slot is freed when it ends.</summary>
    private async Task<ChatCompletion> SendInSlotAsync(BatchScope scope, ChatRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            scope.Concurrency.Exit();
        }
    }

    private static ChatCompletion Won(Hedger hedger, Task<ChatCompletion> winner, Task<ChatCompletion> loser, long started, bool hedgeWon, int? maxTokens)
    {
        ChatCompletion answer = winner.Result;
        hedger.Record(hedger.Time.GetElapsedTime(started), maxTokens);
        if (hedgeWon)
        {
            hedger.HedgeWon();
        }

        // The loser was cancelled; if it had answered by then, its tokens were spent too and count in the item.
        if (loser.IsCompletedSuccessfully)
        {
            ChatCompletion spent = loser.Result;
            return answer with { Usage = answer.Usage + spent.Usage, Cost = Pricing.Add(answer.Cost, spent.Cost), Hedged = true };
        }

        Observe(loser);
        return answer with { Hedged = true };
    }

    /// <summary>A request whose end (cancelled, or a failure) is of no interest, observed so it is not reported as unobserved.</summary>
    private static void Observe(Task task)
        => task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
