using System.Globalization;

namespace TypedBatch;

/// <summary>
/// A batch was cancelled through its <see cref="CancellationToken"/> before every input had finished. Still an
/// <see cref="OperationCanceledException"/>, so existing cancellation handling keeps working; catch
/// <see cref="BatchCanceledException{T}"/> to keep the work that did finish.
/// </summary>
/// <remarks>
/// Only the batch calls (<c>…BatchAsync</c>) throw it. The as-completed streams (<c>…AsCompletedAsync</c>) throw a plain
/// <see cref="OperationCanceledException"/>: every item that finished was already yielded to the caller.
/// </remarks>
public class BatchCanceledException : OperationCanceledException
{
    private protected BatchCanceledException(int started, int completed, Exception? innerException, CancellationToken cancellationToken)
        : base(BuildMessage(started, completed), innerException, cancellationToken)
    {
        Started = started;
        Completed = completed;
    }

    /// <summary>Inputs taken from the sequence before the cancellation; each has an item in the partial result.</summary>
    public int Started { get; }

    /// <summary>Items that finished (succeeded or failed on their own) before the cancellation.</summary>
    public int Completed { get; }

    private static string BuildMessage(int started, int completed)
        => string.Create(CultureInfo.InvariantCulture,
            $"The batch was cancelled after {completed} of the {started} inputs it had started finished. The finished items are in the exception's Partial result; the others are marked Cancelled.");
}

/// <summary>
/// A batch was cancelled before every input had finished; <see cref="Partial"/> keeps what did finish.
/// </summary>
/// <typeparam name="T">The value type of the batch.</typeparam>
public sealed class BatchCanceledException<T> : BatchCanceledException
{
    internal BatchCanceledException(BatchResult<T> partial, int completed, Exception? innerException, CancellationToken cancellationToken)
        : base(partial.Count, completed, innerException, cancellationToken)
    {
        Partial = partial;
    }

    /// <summary>
    /// One item per input that was taken from the sequence before the cancellation, in input order: the finished ones
    /// as they are (values and their own failures), the unfinished ones failed with <see cref="BatchErrorKind.Cancelled"/>.
    /// Inputs the batch never took are not in it, so <c>Partial.Count</c> is the number of inputs started, which may be
    /// fewer than the inputs given; rerun from index <c>Partial.Count</c> plus the cancelled items to finish the work.
    /// </summary>
    public BatchResult<T> Partial { get; }

    /// <summary>The same exception with every finished value mapped (for entry points that map the runner's values).</summary>
    internal BatchCanceledException<TOut> MapValues<TOut>(Func<T, TOut> map)
        => new(Partial.MapValues(map), Completed, InnerException, CancellationToken);
}
