namespace TypedBatch;

/// <summary>What a resumed batch does with an input whose request differs from the one journaled at its index.</summary>
public enum JournalMismatch
{
    /// <summary>Stop the batch with a <see cref="JournalMismatchException"/> naming the index and what differs.</summary>
    Throw,

    /// <summary>Send the input again and journal its new result; the old entry is ignored.</summary>
    Resend,
}

/// <summary>When journaled items reach the disk.</summary>
public enum Durability
{
    /// <summary>
    /// Every item is written to the operating system before it is reported, so it survives the process being killed;
    /// the file is flushed to the disk within about 100 ms or 64 items, whichever comes first, and when the batch ends.
    /// </summary>
    Batched,

    /// <summary>Every item is flushed to the disk (fsync) before it is reported; survives a power cut, costs a disk flush per item.</summary>
    EveryItem,
}

/// <summary>
/// Where a batch keeps its finished items so that a rerun after a crash sends only what is missing. Set it on
/// <see cref="BatchOptions.Journal"/>; run the same batch again with the same journal to resume.
/// </summary>
public sealed class BatchJournal
{
    private BatchJournal(string path, JournalMismatch onMismatch, Durability durability)
    {
        Path = path;
        OnMismatch = onMismatch;
        Durability = durability;
    }

    /// <summary>The journal file's full path.</summary>
    public string Path { get; }

    /// <summary>What a rerun does with an input whose request differs from the journaled one.</summary>
    public JournalMismatch OnMismatch { get; }

    /// <summary>When journaled items reach the disk.</summary>
    public Durability Durability { get; }

    /// <summary>
    /// A journal in a JSON Lines file, created if missing (owner-only permissions on Unix) and locked for the batch's
    /// lifetime, so two batches or processes never write one journal.
    /// </summary>
    /// <param name="path">The file; its directory must exist.</param>
    /// <param name="onMismatch">What a rerun does with an input whose request differs from the journaled one.</param>
    /// <param name="durability">When journaled items reach the disk.</param>
    public static BatchJournal File(string path, JournalMismatch onMismatch = JournalMismatch.Throw, Durability durability = Durability.Batched)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Enum.IsDefined(onMismatch))
        {
            throw new ArgumentOutOfRangeException(nameof(onMismatch), onMismatch, "Unknown JournalMismatch value.");
        }

        if (!Enum.IsDefined(durability))
        {
            throw new ArgumentOutOfRangeException(nameof(durability), durability, "Unknown Durability value.");
        }

        return new BatchJournal(System.IO.Path.GetFullPath(path), onMismatch, durability);
    }

    /// <inheritdoc />
    public override string ToString() => $"journal {Path}";
}

/// <summary>A journal could not be used: locked by another batch or process, unreadable, or not writable.</summary>
public class BatchJournalException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BatchJournalException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    public BatchJournalException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public BatchJournalException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The journal file.</summary>
    public string? Path { get; init; }
}

/// <summary>
/// A resumed batch does not match its journal: the batch's definition (model, settings, schema) or an input's request
/// differs from what was journaled. Nothing is sent for an input that mismatches.
/// </summary>
public sealed class JournalMismatchException : BatchJournalException
{
    /// <summary>Creates the exception.</summary>
    public JournalMismatchException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What differs.</param>
    public JournalMismatchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What differs.</param>
    /// <param name="innerException">The cause.</param>
    public JournalMismatchException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The input whose request differs, or <see langword="null"/> when the whole batch's definition differs.</summary>
    public int? Index { get; init; }

    /// <summary>What differs, for example <c>model: the journal has 'gpt-4o-mini', this batch 'gpt-4o'</c>.</summary>
    public string? Difference { get; init; }
}
