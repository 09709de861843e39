using System.Collections.Concurrent;
using TypedBatch.Journaling;

namespace TypedBatch;

/// <summary>
/// Sends each distinct request of a batch once (<see cref="BatchOptions.Deduplicate"/>): the first item with a given
/// fingerprint sends it; every later item with the same fingerprint waits for that answer and gets it, marked
/// <see cref="BatchItem{T}.DuplicateOf"/>, with no tokens, cost or attempts of its own (nothing more was billed). A failure
/// is fanned out the same way, as each duplicate's error. Holds one entry per distinct request for the batch's life.
/// </summary>
internal sealed class Deduplicator<TOut>
{
    private readonly ConcurrentDictionary<JournalFingerprint, First> _sent = new();

    public async ValueTask<BatchWorkResult<TOut>> SendOnceAsync(JournalFingerprint fingerprint, int index, Func<ValueTask<BatchWorkResult<TOut>>> send, CancellationToken cancellationToken)
    {
        var mine = new First(index);
        First first = _sent.GetOrAdd(fingerprint, mine);
        if (ReferenceEquals(first, mine))
        {
            try
            {
                BatchWorkResult<TOut> result = await send().ConfigureAwait(false);
                mine.Outcome.SetResult((result, null));
                return result;
            }
            catch (Exception ex)
            {
                mine.Outcome.SetResult((default, ex));
                throw;
            }
        }

        (BatchWorkResult<TOut> answer, Exception? failure) = await first.Outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (failure is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return failure is null
            ? answer with { Usage = default, Cost = 0m, Attempts = 0, Repairs = 0, DuplicateOf = first.Index }
            : new BatchWorkResult<TOut>(default!, default, 0) { Error = BatchError.FromException(failure), DuplicateOf = first.Index, Cost = 0m };
    }

    private sealed class First(int index)
    {
        public int Index { get; } = index;

        public TaskCompletionSource<(BatchWorkResult<TOut> Result, Exception? Failure)> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
