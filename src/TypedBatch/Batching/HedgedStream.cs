using TypedBatch.Limits;

namespace TypedBatch;

/// <summary>
/// A streamed batch item's answer, hedged on its first update when the batch hedges (<see cref="BatchScope.Hedger"/>):
/// a stream that has handed out nothing after the batch's hedge delay gets one duplicate stream in a concurrency slot of
/// its own; the stream whose first update comes first is read to the end and the other is cancelled. Once a stream has
/// handed out an update nothing is hedged: its text is already the caller's. The latencies the batch learns from are
/// those of first updates. Opened positioned on the first update (<see cref="HasCurrent"/>).
/// </summary>
internal sealed class HedgedStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _cancel;
    private readonly AdaptiveConcurrency? _slot;

    private HedgedStream(IAsyncEnumerator<ChatCompletionUpdate> updates, CancellationTokenSource cancel, AdaptiveConcurrency? slot, bool hedged, bool hasCurrent)
    {
        Updates = updates;
        _cancel = cancel;
        _slot = slot;
        Hedged = hedged;
        HasCurrent = hasCurrent;
    }

    /// <summary>The stream being read, on its first update when <see cref="HasCurrent"/>.</summary>
    public IAsyncEnumerator<ChatCompletionUpdate> Updates { get; }

    /// <summary>Whether a hedge was sent for the item.</summary>
    public bool Hedged { get; }

    /// <summary>Whether the stream has a first update (false: it ended without any).</summary>
    public bool HasCurrent { get; }

    /// <summary>Opens the item's stream, hedged when the batch hedges, and waits for its first update.</summary>
    public static async Task<HedgedStream> OpenAsync(IChatProvider provider, ChatRequest request, CancellationToken cancellationToken)
    {
        BatchScope? scope = BatchScope.Current;
        var primaryCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IAsyncEnumerator<ChatCompletionUpdate> primary;
        Task<bool> primaryFirst;
        try
        {
            primary = provider.StreamAsync(request, primaryCancel.Token).GetAsyncEnumerator(primaryCancel.Token);
            primaryFirst = primary.MoveNextAsync().AsTask();
        }
        catch
        {
            primaryCancel.Dispose();
            throw;
        }

        if (scope?.Hedger is not { } hedger)
        {
            return await SettleAsync(primary, primaryFirst, primaryCancel).ConfigureAwait(false);
        }

        hedger.CallStarted();
        int? maxTokens = request.Settings.MaxTokens;
        TimeProvider time = hedger.Time;
        long started = time.GetTimestamp();
        if (await hedger.HedgeDueAsync(primaryFirst, maxTokens, started, cancellationToken).ConfigureAwait(false))
        {
            return await HedgeAsync(provider, request, scope, hedger, primary, primaryFirst, primaryCancel, started, cancellationToken).ConfigureAwait(false);
        }

        HedgedStream opened = await SettleAsync(primary, primaryFirst, primaryCancel).ConfigureAwait(false);
        hedger.Record(time.GetElapsedTime(started), maxTokens);
        return opened;
    }

    private static async Task<HedgedStream> HedgeAsync(
        IChatProvider provider, ChatRequest request, BatchScope scope, Hedger hedger,
        IAsyncEnumerator<ChatCompletionUpdate> primary, Task<bool> primaryFirst, CancellationTokenSource primaryCancel, long started, CancellationToken cancellationToken)
    {
        TimeProvider time = hedger.Time;
        var hedgeCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        if (!await hedger.EnterHedgeSlotAsync(scope.Concurrency, primaryFirst, hedgeCancel).ConfigureAwait(false))
        {
            hedgeCancel.Dispose();
            HedgedStream alone = await SettleAsync(primary, primaryFirst, primaryCancel).ConfigureAwait(false);
            hedger.Record(time.GetElapsedTime(started), request.Settings.MaxTokens);
            return alone;
        }

        long hedgeStarted = time.GetTimestamp();
        IAsyncEnumerator<ChatCompletionUpdate> hedge;
        Task<bool> hedgeFirst;
        try
        {
            hedge = provider.StreamAsync(request, hedgeCancel.Token).GetAsyncEnumerator(hedgeCancel.Token);
            hedgeFirst = hedge.MoveNextAsync().AsTask();
        }
        catch
        {
            // A provider that throws before it returns a stream: no hedge; the first stream goes on alone.
            scope.Concurrency.Exit();
            hedgeCancel.Dispose();
            hedger.HedgeNotSent();
            return await SettleAsync(primary, primaryFirst, primaryCancel).ConfigureAwait(false);
        }

        Task<bool> first = await Task.WhenAny(primaryFirst, hedgeFirst).ConfigureAwait(false);
        if (!first.IsCompletedSuccessfully)
        {
            // The first to end failed: the other may still answer.
            await (first == primaryFirst ? (Task)hedgeFirst : primaryFirst).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            first = first == primaryFirst ? hedgeFirst : primaryFirst;
        }

        if (first == hedgeFirst && hedgeFirst.IsCompletedSuccessfully)
        {
            Discard(primary, primaryFirst, primaryCancel, null);
            hedger.Record(time.GetElapsedTime(hedgeStarted), request.Settings.MaxTokens);
            hedger.HedgeWon();
            return new HedgedStream(hedge, hedgeCancel, scope.Concurrency, hedged: true, hasCurrent: hedgeFirst.Result);
        }

        Discard(hedge, hedgeFirst, hedgeCancel, scope.Concurrency);
        HedgedStream opened = await SettleAsync(primary, primaryFirst, primaryCancel, hedged: true).ConfigureAwait(false);
        hedger.Record(time.GetElapsedTime(started), request.Settings.MaxTokens);
        return opened;
    }

    /// <summary>The stream once its first step has ended: positioned on its first update, or its failure thrown after it is released.</summary>
    private static async Task<HedgedStream> SettleAsync(IAsyncEnumerator<ChatCompletionUpdate> stream, Task<bool> first, CancellationTokenSource cancel, bool hedged = false)
    {
        try
        {
            return new HedgedStream(stream, cancel, null, hedged, await first.ConfigureAwait(false));
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            cancel.Dispose();
            throw;
        }
    }

    /// <summary>Cancels a stream that lost the race, and releases it (and the hedge's slot) once its pending step has ended.</summary>
    private static void Discard(IAsyncEnumerator<ChatCompletionUpdate> stream, Task<bool> pending, CancellationTokenSource cancel, AdaptiveConcurrency? slot)
    {
        cancel.Cancel();
        Task released = ReleaseAsync(stream, pending, cancel, slot);

        // Its end is of no interest (cancelled, most likely); observed so that it is not reported as unobserved.
        released.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        static async Task ReleaseAsync(IAsyncEnumerator<ChatCompletionUpdate> stream, Task<bool> pending, CancellationTokenSource cancel, AdaptiveConcurrency? slot)
        {
            try
            {
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                cancel.Dispose();
                slot?.Exit();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Updates.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _cancel.Dispose();
            _slot?.Exit();
        }
    }
}
