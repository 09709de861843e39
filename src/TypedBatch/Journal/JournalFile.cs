using System.Buffers;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TypedBatch.Providers;

namespace TypedBatch.Journaling;

/// <summary>Where a journal lookup sends an input: to the provider, or back from the journal.</summary>
internal readonly record struct JournalLookup(bool Replay, long Offset, int Length)
{
    public static JournalLookup Send => default;
}

/// <summary>
/// One open journal file for one batch run. The file is JSON Lines: a header line (format version, library version,
/// created, the batch's definition), then one line per finished item (input index, fingerprint, outcome). It is opened
/// with an exclusive lock for the run; on open it is indexed (input index → fingerprint, outcome and the line's place,
/// about 32 bytes per item, nothing of the answers), a torn last line from a crash is cut off, and the header is
/// checked against the batch. Every finished item is written to the operating system before it is reported, so a
/// killed process loses nothing it reported; the disk flush is batched (about 100 ms or 64 items) or per item.
/// </summary>
/// <remarks>
/// Writes are grouped (group commit): a worker serializes and masks its line outside any lock, into a buffer of its
/// thread, then copies it into the queue under a short lock and waits (asynchronously) for its group to be written.
/// The first line queued schedules one writer on the thread pool, behind the work already queued there, so the lines
/// of every item that finishes meanwhile go out with one <c>pwrite</c>; the writer writes until the queue is empty.
/// Lines that must be written before their caller goes on (header, remote batches, embeddings, which are unpacked
/// synchronously) are written by their caller at once when no write is under way, else with the running writer's group.
/// </remarks>
internal sealed partial class JournalFile : IDisposable
{
    public const int FormatVersion = 1;
    private const int FlushEveryItems = 64;
    private const string HeaderMarker = "typedbatch_journal";
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    private readonly BatchJournal _journal;
    private readonly JournalDefinition _definition;
    private readonly bool _retryFailures;
    private readonly SecretRedactor _redactor;
    private readonly FileStream _stream;
    private readonly SafeFileHandle _handle;
    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private readonly List<JournalDefinition> _headers = [];
    private bool[] _headerMatches = [];
    private Entry[] _entries = [];
    private int _entryCount;
    private long _length;

    // The group commit, under _lock: lines queued for the writer, the buffer it writes from, whether a write is under
    // way, and the task the queued lines' workers wait for (the flush each waits for next, with Durability.EveryItem).
    [ThreadStatic]
    private static LineBuffer? t_line;

    private ArrayBufferWriter<byte> _queued = new(16 * 1024);
    private ArrayBufferWriter<byte> _writing = new(16 * 1024);
    private int _queuedItems;
    private bool _writerActive;
    private bool _writeScheduled;
    private WriteGroup? _queuedGroup;
    private volatile Exception? _writeFailure;
    private readonly SemaphoreSlim _flushSignal = new(0);
    private readonly Thread _flusher;
    private TaskCompletionSource _nextFlush = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;
    private int _flushes;
    private bool _timerArmed;
    private bool _flushRequested;
    private bool _disposed;
    private volatile Exception? _flushFailure;

    private JournalFile(BatchJournal journal, JournalDefinition definition, bool retryFailures, SecretRedactor redactor, TimeProvider time, FileStream stream)
    {
        _journal = journal;
        _definition = definition;
        _retryFailures = retryFailures;
        _redactor = redactor;
        _stream = stream;
        _handle = stream.SafeFileHandle;
        _timer = time.CreateTimer(static state => ((JournalFile)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // Disk flushes run on a thread of their own: a worker never blocks on fsync (one would hold a thread-pool
        // thread for milliseconds), and items that finish together share one flush.
        _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "TypedBatch journal flush" };
        _flusher.Start();
    }

    public string Path => _journal.Path;

    /// <summary>The batch's definition, which every fingerprint covers.</summary>
    public JournalDefinition Definition => _definition;

    /// <summary>Journaled items found on open (the latest line per input index).</summary>
    public int EntryCount => _entryCount;

    /// <summary>Disk flushes (fsync) made for appended items so far.</summary>
    public int Flushes => Volatile.Read(ref _flushes);

    /// <summary>Bytes of a torn last line cut off on open.</summary>
    public long TornBytes { get; private set; }

    /// <summary>Opens (or creates) the journal for a batch, locks it, indexes it and checks its header.</summary>
    public static JournalFile Open(BatchJournal journal, JournalDefinition definition, bool retryFailures, SecretRedactor redactor, TimeProvider time)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            BufferSize = 0,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(journal.Path, options);
        }
        catch (DirectoryNotFoundException missing)
        {
            throw new BatchJournalException($"The journal's directory does not exist: '{journal.Path}'.", missing) { Path = journal.Path };
        }
        catch (UnauthorizedAccessException denied)
        {
            throw new BatchJournalException($"The journal '{journal.Path}' cannot be opened for writing: access is denied.", denied) { Path = journal.Path };
        }
        catch (IOException locked) when (IsLockConflict(locked))
        {
            throw new BatchJournalException($"The journal '{journal.Path}' is in use: another batch or process has it open (a journal is locked while its batch runs). Wait for that batch to finish, or give this one another file.", locked) { Path = journal.Path };
        }
        catch (IOException failed)
        {
            throw new BatchJournalException($"The journal '{journal.Path}' cannot be opened: {failed.Message}", failed) { Path = journal.Path };
        }

        var file = new JournalFile(journal, definition, retryFailures, redactor, time, stream);
        try
        {
            file.Load();
            file.Begin();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The lock is taken: EWOULDBLOCK from <c>flock</c> on Linux (11) and macOS (35), a sharing or lock violation on Windows.</summary>
    private static bool IsLockConflict(IOException exception)
        => exception.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    /// <summary>
    /// Whether an input is replayed from the journal or sent: its latest entry, under the batch's definition, with the
    /// same fingerprint, that succeeded (or failed, when journaled failures are not retried). A different fingerprint
    /// throws <see cref="JournalMismatchException"/>, or sends again with <see cref="JournalMismatch.Resend"/>.
    /// </summary>
    public JournalLookup Lookup(int index, JournalFingerprint fingerprint)
    {
        Entry[] entries = _entries;
        if ((uint)index >= (uint)entries.Length || entries[index].State == EntryState.None)
        {
            return JournalLookup.Send;
        }

        Entry entry = entries[index];
        if (!_headerMatches[entry.Header])
        {
            // Journaled under an earlier definition that a Resend run has since replaced.
            return JournalLookup.Send;
        }

        if (entry.High != fingerprint.High || entry.Low != fingerprint.Low)
        {
            if (_journal.OnMismatch == JournalMismatch.Resend)
            {
                return JournalLookup.Send;
            }

            string difference = _definition.Kind == "embeddings" ? "the input text differs" : "the rendered request differs (its messages)";
            throw new JournalMismatchException($"Input {index} does not match the journal '{Path}': {difference} from the one journaled at that index. Pass the same inputs in the same order to resume, use BatchJournal.File(path, onMismatch: JournalMismatch.Resend) to send changed inputs again, or use another journal file.")
            {
                Path = Path,
                Index = index,
                Difference = difference,
            };
        }

        return entry.State == EntryState.Failed && _retryFailures ? JournalLookup.Send : new JournalLookup(true, entry.Offset, entry.Length);
    }

    /// <summary>Reads a journaled item back.</summary>
    public JournalEntry Read(int index, JournalLookup lookup)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(lookup.Length);
        try
        {
            int read = RandomAccess.Read(_handle, rented.AsSpan(0, lookup.Length), lookup.Offset);
            JournalEntry entry = read == lookup.Length ? JournalEntry.Parse(rented.AsSpan(0, read)) : throw new BatchJournalException($"The journal '{Path}' was shortened while its batch ran.") { Path = Path };
            return entry.Index == index ? entry : throw new BatchJournalException($"The journal '{Path}' changed while its batch ran: the entry for input {index} is gone.") { Path = Path };
        }
        catch (JsonException invalid)
        {
            throw new BatchJournalException($"The journal '{Path}' changed while its batch ran: the entry for input {index} no longer parses.", invalid) { Path = Path };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Journals a chat item that succeeded: the completion it was built from, masked of the providers' secrets.</summary>
    public Task AppendCompletion(int index, JournalFingerprint fingerprint, ChatCompletion completion, TokenUsage usage, int attempts, int repairs, bool deferred = false)
    {
        ThrowIfUnusable();
        string? content = _redactor.RedactOrNull(completion.Content);
        string? refusal = _redactor.RedactOrNull(completion.Refusal);
        Utf8JsonWriter w = Start(index, fingerprint, true, usage, attempts, repairs, completion.Provider, deferred);
        WriteIfSet(w, "c"u8, content);
        WriteIfSet(w, "rf"u8, refusal);
        WriteIfSet(w, "fr"u8, completion.FinishReason);
        WriteIfSet(w, "m"u8, completion.Model);
        WriteIfSet(w, "id"u8, completion.Id);
        return Enqueue(EndLine(w), items: 1, wait: false);
    }

    /// <summary>Journals an embedding that succeeded: its vector as little-endian float32, base64.</summary>
    public Task AppendEmbedding(int index, JournalFingerprint fingerprint, EmbeddingVector embedding, TokenUsage usage, int attempts, string? provider, bool deferred = false)
    {
        ThrowIfUnusable();
        Utf8JsonWriter w = Start(index, fingerprint, true, usage, attempts, 0, provider, deferred);
        WriteIfSet(w, "m"u8, embedding.Model);
        w.WriteBase64String("v"u8, MemoryMarshal.AsBytes(embedding.Vector.Span));

        // Unpacking an embeddings request is synchronous and waits for this: written by this thread unless a write is under way.
        return Enqueue(EndLine(w), items: 1, wait: true);
    }

    /// <summary>Journals an item's final error (its kind, masked message and codes; never a raw answer).</summary>
    public Task AppendFailure(int index, JournalFingerprint fingerprint, BatchError error, TokenUsage usage, int attempts, int repairs, bool deferred = false)
    {
        ThrowIfUnusable();
        string message = _redactor.Redact(error.Message);
        Utf8JsonWriter w = Start(index, fingerprint, false, usage, attempts, repairs, error.Provider, deferred);
        w.WriteString("k"u8, error.Kind.ToString());
        w.WriteString("msg"u8, message);
        if (error.StatusCode is { } status)
        {
            w.WriteNumber("st"u8, status);
        }

        WriteIfSet(w, "pc"u8, error.ProviderCode);
        WriteIfSet(w, "et"u8, error.ErrorType);
        return Enqueue(EndLine(w), items: 1, wait: false);
    }

    /// <summary>Flushes what is pending to the disk and releases the file and its lock.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        // A cancelled batch does not wait for its workers: a writer may still be writing, and lines may be queued for a
        // writer not yet run. Those are written here; the scheduled writer then finds nothing to do.
        WriteRemaining();
        _timer.Dispose();
        _flushSignal.Release();
        _flusher.Join();
        try
        {
            // The last flush, for whatever the flusher had not taken yet; then every waiter is released.
            FlushOnce();
        }
        finally
        {
            _flushSignal.Dispose();
            _stream.Dispose();
        }
    }

    private static void WriteIfSet(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    /// <summary>Throws when the journal can take no more lines: disposed, or a write or flush failed.</summary>
    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((_writeFailure ?? _flushFailure) is { } failed)
        {
            throw failed;
        }
    }

    /// <summary>Starts a line in this thread's buffer: <c>{</c>, nothing else.</summary>
    private static Utf8JsonWriter StartLine()
    {
        LineBuffer line = t_line ??= new LineBuffer();
        line.Buffer.ResetWrittenCount();
        line.Writer.Reset(line.Buffer);
        line.Writer.WriteStartObject();
        return line.Writer;
    }

    /// <summary>Ends the line in this thread's buffer; the bytes are valid until the thread starts its next line.</summary>
    private static ReadOnlySpan<byte> EndLine(Utf8JsonWriter writer)
    {
        LineBuffer line = t_line!;
        writer.WriteEndObject();
        writer.Flush();
        line.Buffer.GetSpan(1)[0] = (byte)'\n';
        line.Buffer.Advance(1);
        if (line.Buffer.Capacity > LineBuffer.MaxKeptBytes)
        {
            // A huge line (a long embedding) is not kept alive by its thread: the next line starts a new buffer.
            t_line = null;
        }

        return line.Buffer.WrittenSpan;
    }

    private static Utf8JsonWriter Start(int index, JournalFingerprint fingerprint, bool ok, TokenUsage usage, int attempts, int repairs, string? provider, bool deferred)
    {
        Utf8JsonWriter writer = StartLine();
        writer.WriteNumber("i"u8, index);
        Span<byte> hex = stackalloc byte[JournalFingerprint.HexLength];
        fingerprint.Format(hex);
        writer.WriteString("f"u8, hex);
        writer.WriteBoolean("ok"u8, ok);
        writer.WriteNumber("a"u8, attempts);
        if (repairs != 0)
        {
            writer.WriteNumber("r"u8, repairs);
        }

        if (usage != default)
        {
            writer.WriteStartArray("u"u8);
            writer.WriteNumberValue(usage.PromptTokens);
            writer.WriteNumberValue(usage.CompletionTokens);
            writer.WriteNumberValue(usage.TotalTokens);
            writer.WriteNumberValue(usage.CachedTokens);
            writer.WriteNumberValue(usage.ReasoningTokens);
            writer.WriteEndArray();
        }

        WriteIfSet(writer, "p"u8, provider);
        if (deferred)
        {
            writer.WriteBoolean("d"u8, true);
        }

        return writer;
    }

    /// <summary>
    /// Queues a line (copied); the task completes once the line is written to the operating system (with
    /// <see cref="Durability.EveryItem"/>, after the flush that follows the write). With <paramref name="wait"/> the
    /// caller writes the queue itself when no write is under way (the task is then complete but for EveryItem's
    /// flush); else the first line of a group schedules the writer. <paramref name="items"/> is 1 for an item, 0 for a
    /// line that is not one (header, remote batch).
    /// </summary>
    private Task Enqueue(ReadOnlySpan<byte> line, int items, bool wait)
    {
        WriteGroup? group = null;
        bool schedule = false;
        lock (_lock)
        {
            ThrowIfUnusable();
            line.CopyTo(_queued.GetSpan(line.Length));
            _queued.Advance(line.Length);
            _queuedItems += items;
            if (wait && !_writerActive)
            {
                _writerActive = true;
            }
            else
            {
                group = _queuedGroup ??= new WriteGroup();
                schedule = !_writerActive && !_writeScheduled;
                _writeScheduled |= schedule;
            }
        }

        if (group is null)
        {
            return WriteQueue();
        }

        if (schedule)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static journal => journal.RunScheduledWrite(), this, preferLocal: false);
        }

        return items == 0 || _journal.Durability != Durability.EveryItem ? group.Written.Task : group.WrittenAndFlushedAsync();
    }

    /// <summary>The scheduled writer: writes the queue unless a write is already under way (that one writes until the queue is empty).</summary>
    private void RunScheduledWrite()
    {
        lock (_lock)
        {
            _writeScheduled = false;
            if (_writerActive || _queued.WrittenCount == 0)
            {
                return;
            }

            _writerActive = true;
        }

        try
        {
            WriteQueue();
        }
        catch (BatchJournalException failed) when (ReferenceEquals(failed, _writeFailure))
        {
            // Not lost: the items waiting for this write got the exception, and every later append throws it.
        }
    }

    /// <summary>On dispose: waits for a write under way, then writes what is still queued.</summary>
    private void WriteRemaining()
    {
        while (true)
        {
            SpinWait.SpinUntil(() => !Volatile.Read(ref _writerActive));
            lock (_lock)
            {
                if (_writerActive)
                {
                    continue;
                }

                if (_queued.WrittenCount == 0)
                {
                    return;
                }

                _writerActive = true;
            }

            try
            {
                WriteQueue();
            }
            catch (BatchJournalException failed) when (ReferenceEquals(failed, _writeFailure))
            {
                // The items waiting for this write got the exception; closing goes on.
                return;
            }
        }
    }

    /// <summary>
    /// The writer: writes the queue with one <c>pwrite</c>, and again while workers queued more meanwhile; returns the
    /// flush its own line waits for (a completed task unless every item is flushed).
    /// </summary>
    private Task WriteQueue()
    {
        Task? own = null;
        while (true)
        {
            ArrayBufferWriter<byte> writing;
            int items;
            WriteGroup? group;
            long offset;
            lock (_lock)
            {
                if (_queued.WrittenCount == 0)
                {
                    _writerActive = false;
                    return own ?? Task.CompletedTask;
                }

                writing = _queued;
                _queued = _writing;
                _writing = writing;
                items = _queuedItems;
                _queuedItems = 0;
                group = _queuedGroup;
                _queuedGroup = null;
                offset = _length;
            }

            try
            {
                RandomAccess.Write(_handle, writing.WrittenSpan, offset);
            }
            catch (IOException failed)
            {
                Exception error = new BatchJournalException($"Writing to the journal '{Path}' failed: {failed.Message}", failed) { Path = Path };
                WriteGroup? queued;
                lock (_lock)
                {
                    // Nothing more is written: a journal with a hole in it must stop the batch.
                    error = _writeFailure ??= error;
                    _queued.ResetWrittenCount();
                    _queuedItems = 0;
                    queued = _queuedGroup;
                    _queuedGroup = null;
                    _writerActive = false;
                }

                writing.ResetWrittenCount();
                group?.Written.TrySetException(error);
                queued?.Written.TrySetException(error);
                throw error;
            }

            Task flushed;
            bool signal;
            lock (_lock)
            {
                _length = offset + writing.WrittenCount;
                flushed = NoteWritten(items, out signal);
            }

            writing.ResetWrittenCount();
            Signal(signal);
            own ??= flushed;
            if (group is not null)
            {
                group.Flushed = flushed;
                group.Written.TrySetResult();
            }
        }
    }

    /// <summary>Writes a line that is not an item (header, remote batch) and returns once it is written to the operating system.</summary>
    private void WriteThrough(ReadOnlySpan<byte> line) => Enqueue(line, items: 0, wait: true).GetAwaiter().GetResult();

    /// <summary>
    /// Under the lock, after items were written: whether the flusher is to be woken (after 64 items, or for every item
    /// with <see cref="Durability.EveryItem"/>, which also returns the flush to wait for), else arms the 100 ms timer.
    /// </summary>
    private Task NoteWritten(int items, out bool signal)
    {
        Task flushed = Task.CompletedTask;
        signal = false;
        if (items == 0)
        {
            return flushed;
        }

        _pending += items;
        if (_journal.Durability == Durability.EveryItem || _pending >= FlushEveryItems)
        {
            if (_journal.Durability == Durability.EveryItem)
            {
                flushed = _nextFlush.Task;
            }

            signal = !_flushRequested;
            _flushRequested = true;
        }
        else if (!_timerArmed)
        {
            _timerArmed = true;
            _timer.Change(FlushInterval, Timeout.InfiniteTimeSpan);
        }

        return flushed;
    }

    /// <summary>Out of the lock: wakes the flusher if asked.</summary>
    private void Signal(bool signal)
    {
        if (signal)
        {
            _flushSignal.Release();
        }
    }

    private void OnTimer()
    {
        bool signal;
        lock (_lock)
        {
            _timerArmed = false;
            signal = !_disposed && _pending > 0 && !_flushRequested;
            _flushRequested |= signal;
        }

        if (signal)
        {
            _flushSignal.Release();
        }
    }

    private void FlushLoop()
    {
        while (true)
        {
            _flushSignal.Wait();
            if (Volatile.Read(ref _disposed))
            {
                return;
            }

            FlushOnce();
        }
    }

    /// <summary>One fsync for everything written so far; releases the items waiting for it.</summary>
    private void FlushOnce()
    {
        TaskCompletionSource done;
        bool anything;
        lock (_lock)
        {
            anything = _pending > 0;
            _pending = 0;
            _flushRequested = false;
            done = _nextFlush;
            _nextFlush = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        try
        {
            if (anything)
            {
                RandomAccess.FlushToDisk(_handle);
                Interlocked.Increment(ref _flushes);
            }

            done.TrySetResult();
        }
        catch (Exception failed) when (failed is IOException or ObjectDisposedException)
        {
            // Surfaces on the next append and to the items waiting for this flush: a journal that cannot reach the
            // disk must stop the batch, not a background thread.
            var error = new BatchJournalException($"Flushing the journal '{Path}' to the disk failed: {failed.Message}", failed) { Path = Path };
            _flushFailure ??= error;
            done.TrySetException(error);
        }
    }

    /// <summary>Writes the header of a new journal, or of a new definition that a Resend run replaces the old one with.</summary>
    private void Begin()
    {
        if (_headers.Count > 0)
        {
            JournalDefinition last = _headers[^1];
            string? difference = _definition.DescribeDifference(last);
            if (difference is null)
            {
                return;
            }

            if (_journal.OnMismatch == JournalMismatch.Throw)
            {
                throw new JournalMismatchException($"The journal '{Path}' belongs to another batch: {difference}. Resume with the batch that wrote it, use BatchJournal.File(path, onMismatch: JournalMismatch.Resend) to send everything again under this definition, or use another journal file.")
                {
                    Path = Path,
                    Difference = difference,
                };
            }
        }

        if (_headers.Count >= ushort.MaxValue)
        {
            throw new BatchJournalException($"The journal '{Path}' holds too many batch definitions; use another file.") { Path = Path };
        }

        Utf8JsonWriter w = StartLine();
        w.WriteNumber(HeaderMarker, FormatVersion);
        string version = typeof(JournalFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        w.WriteString("library", plus < 0 ? version : version[..plus]);
        w.WriteString("created", DateTimeOffset.UtcNow);
        w.WriteString("kind", _definition.Kind);
        w.WriteString("operation", _definition.Operation);
        w.WriteString("model", _definition.Model);
        w.WriteString("settings", _definition.Settings);
        w.WriteString("schema", _definition.Schema);
        w.WriteString("definition", _definition.Id);
        WriteThrough(EndLine(w));

        _headers.Add(_definition);
        _headerMatches = [.. _headerMatches, true];
        RandomAccess.FlushToDisk(_handle);
    }

    /// <summary>Reads the file once, line by line, into the index; cuts off a torn tail.</summary>
    private void Load()
    {
        long fileLength = RandomAccess.GetLength(_handle);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long bufferOffset = 0, validEnd = 0, badOffset = -1;
            int filled = 0, lineNumber = 0, badLine = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, filled).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = RandomAccess.Read(_handle, buffer.AsSpan(filled), bufferOffset + filled);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                int start = 0, newline;
                while ((newline = buffer.AsSpan(start, filled - start).IndexOf((byte)'\n')) >= 0)
                {
                    long lineOffset = bufferOffset + start;
                    lineNumber++;
                    if (!TryIndex(buffer.AsSpan(start, newline), lineOffset, lineNumber))
                    {
                        if (badOffset < 0)
                        {
                            badOffset = lineOffset;
                            badLine = lineNumber;
                        }
                    }
                    else if (badOffset >= 0)
                    {
                        throw new BatchJournalException($"The journal '{Path}' is damaged: line {badLine} is not a journal entry, and entries follow it. Move the file away to start over.") { Path = Path };
                    }
                    else
                    {
                        validEnd = lineOffset + newline + 1;
                    }

                    start += newline + 1;
                }

                buffer.AsSpan(start, filled - start).CopyTo(buffer);
                bufferOffset += start;
                filled -= start;
            }

            // A crash mid-write leaves a last line without its newline (or unparsable): it was never reported, cut it off.
            TornBytes = fileLength - validEnd;
            if (TornBytes > 0)
            {
                RandomAccess.SetLength(_handle, validEnd);
            }

            _length = validEnd;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private bool TryIndex(ReadOnlySpan<byte> line, long offset, int lineNumber)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject || !reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
            {
                return false;
            }

            if (reader.ValueTextEquals(HeaderMarker))
            {
                return IndexHeader(ref reader);
            }

            if (_headers.Count == 0)
            {
                throw new BatchJournalException($"'{Path}' is not a TypedBatch journal: line {lineNumber} comes before any journal header.") { Path = Path };
            }

            if (reader.ValueTextEquals(RemoteMarker))
            {
                return IndexRemote(line);
            }

            int index = -1;
            JournalFingerprint fingerprint = default;
            bool? ok = null;
            do
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    break;
                }

                if (reader.ValueTextEquals("i"u8) && reader.Read())
                {
                    index = reader.GetInt32();
                }
                else if (reader.ValueTextEquals("f"u8) && reader.Read())
                {
                    if (!JournalFingerprint.TryParse(reader.ValueSpan, out fingerprint))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("ok"u8) && reader.Read())
                {
                    ok = reader.GetBoolean();
                    break;
                }
                else
                {
                    return false;
                }
            }
            while (reader.Read());

            // The rest of the line must be complete JSON, or it is a torn write.
            if (index < 0 || ok is null || !reader.TrySkip())
            {
                return false;
            }

            while (reader.Read())
            {
                reader.TrySkip();
            }

            if (!reader.IsFinalBlock || reader.CurrentDepth != 0 || reader.TokenType != JsonTokenType.EndObject)
            {
                return false;
            }

            AddEntry(index, new Entry
            {
                Offset = offset,
                Length = line.Length,
                High = fingerprint.High,
                Low = fingerprint.Low,
                Header = (ushort)(_headers.Count - 1),
                State = ok.Value ? EntryState.Succeeded : EntryState.Failed,
            });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private bool IndexHeader(ref Utf8JsonReader reader)
    {
        reader.Read();
        int version = reader.GetInt32();
        if (version > FormatVersion)
        {
            throw new BatchJournalException($"The journal '{Path}' was written in format {version} by a newer TypedBatch; this version reads format {FormatVersion}.") { Path = Path };
        }

        string kind = "", operation = "", model = "", settings = "", schema = "";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            string? value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            switch (name)
            {
                case "kind": kind = value ?? ""; break;
                case "operation": operation = value ?? ""; break;
                case "model": model = value ?? ""; break;
                case "settings": settings = value ?? ""; break;
                case "schema": schema = value ?? ""; break;
                default: reader.TrySkip(); break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return false;
        }

        var definition = new JournalDefinition(kind, operation, model, settings, schema);
        _headers.Add(definition);
        _headerMatches = [.. _headerMatches, _definition.DescribeDifference(definition) is null];
        return true;
    }

    private void AddEntry(int index, Entry entry)
    {
        if (index >= _entries.Length)
        {
            Array.Resize(ref _entries, Math.Max(index + 1, Math.Max(16, _entries.Length * 2)));
        }

        if (_entries[index].State == EntryState.None)
        {
            _entryCount++;
        }

        _entries[index] = entry;
    }

    private enum EntryState : byte
    {
        None,
        Succeeded,
        Failed,
    }

    /// <summary>A thread's buffer for the line it is writing: serialization runs outside the journal's lock.</summary>
    private sealed class LineBuffer
    {
        public const int MaxKeptBytes = 64 * 1024;

        public LineBuffer()
        {
            Writer = new Utf8JsonWriter(Buffer, WriterOptions);
        }

        public ArrayBufferWriter<byte> Buffer { get; } = new(1024);

        public Utf8JsonWriter Writer { get; }
    }

    /// <summary>The lines queued while a write was under way: written together, their workers released together.</summary>
    private sealed class WriteGroup
    {
        public TaskCompletionSource Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The flush that follows the group's write (with <see cref="Durability.EveryItem"/>), set before <see cref="Written"/> completes.</summary>
        public Task Flushed { get; set; } = Task.CompletedTask;

        public async Task WrittenAndFlushedAsync()
        {
            await Written.Task.ConfigureAwait(false);
            await Flushed.ConfigureAwait(false);
        }
    }

    /// <summary>What the index keeps of one journaled item: 32 bytes, none of the answer.</summary>
    private struct Entry
    {
        public long Offset;
        public ulong High;
        public ulong Low;
        public int Length;
        public ushort Header;
        public EntryState State;
    }
}
