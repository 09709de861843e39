using System.Globalization;
using System.Text;

namespace TypedBatch;

/// <summary>One item of a batch failed and its value was asked for.</summary>
public sealed class BatchItemFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="index">The item's index.</param>
    /// <param name="error">The item's error.</param>
    public BatchItemFailedException(int index, BatchError error)
        : base($"Batch item #{index.ToString(CultureInfo.InvariantCulture)} failed: {error}. Check BatchItem.Succeeded before reading the value.")
    {
        Index = index;
        Error = error;
    }

    /// <summary>The item's index.</summary>
    public int Index { get; }

    /// <summary>The item's error.</summary>
    public BatchError Error { get; }
}

/// <summary>
/// Thrown by <see cref="BatchResult{T}.GetValuesOrThrow"/> when some items failed: lists every failed index and the
/// first errors.
/// </summary>
public sealed class BatchFailedException : Exception
{
    private const int ErrorsInMessage = 5;

    /// <summary>Creates the exception.</summary>
    /// <param name="total">Items in the batch.</param>
    /// <param name="failures">The failed items' indexes and errors, in input order.</param>
    public BatchFailedException(int total, IReadOnlyList<(int Index, BatchError Error)> failures)
        : base(BuildMessage(total, failures))
    {
        Total = total;
        FailedIndexes = failures.Select(f => f.Index).ToArray();
        Errors = failures.Select(f => f.Error).ToArray();
    }

    /// <summary>Items in the batch.</summary>
    public int Total { get; }

    /// <summary>The indexes of the failed items, in input order.</summary>
    public IReadOnlyList<int> FailedIndexes { get; }

    /// <summary>The errors, matching <see cref="FailedIndexes"/>.</summary>
    public IReadOnlyList<BatchError> Errors { get; }

    private static string BuildMessage(int total, IReadOnlyList<(int Index, BatchError Error)> failures)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{failures.Count} of {total} batch items failed; failed indexes: ");
        sb.AppendJoin(", ", failures.Select(f => f.Index.ToString(CultureInfo.InvariantCulture)));
        sb.Append(". First errors: ");
        for (int i = 0; i < Math.Min(ErrorsInMessage, failures.Count); i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"#{failures[i].Index}: {failures[i].Error}; ");
        }

        sb.Append("Inspect the BatchResult's items for every error, or rerun the failed inputs.");
        return sb.ToString();
    }
}
