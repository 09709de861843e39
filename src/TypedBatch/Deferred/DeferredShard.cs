using Microsoft.Win32.SafeHandles;
using TypedBatch.Journaling;

namespace TypedBatch.Deferred;

/// <summary>Where a shard's requests are.</summary>
internal enum ShardState
{
    /// <summary>Being written from the inputs.</summary>
    Preparing,

    /// <summary>Submitted (or attached): a remote batch holds its unanswered requests.</summary>
    Remote,

    /// <summary>The deadline passed: its unanswered requests are sent live.</summary>
    Live,

    /// <summary>Every request has its item.</summary>
    Done,
}

/// <summary>
/// One remote batch's worth of requests: at most <see cref="DeferredOptions.MaxRequestsPerBatch"/> lines and
/// <see cref="DeferredOptions.MaxBytesPerBatch"/> bytes, written to an owner-only spool file that is uploaded as is and
/// kept until the batch ends (a resubmission copies the unanswered lines from it, a repair or a live fallback reads a
/// conversation back). In memory, per request, about 29 bytes: its input index, fingerprint and place in the spool, and
/// whether it has its item (the last retryable errors, rare, are kept aside); nothing of the prompt. All of it, and the
/// spool file, is released as soon as the shard is <see cref="ShardState.Done"/> (<see cref="Finish"/>), so a batch
/// holds the bookkeeping of the shards still running, not of every request it has answered.
/// </summary>
internal sealed class DeferredShard : IDisposable
{
    private readonly FileStream _spool;
    private int[] _indices = new int[256];
    private JournalFingerprint[] _fingerprints = new JournalFingerprint[256];
    private long[] _offsets = new long[256];
    private bool[] _done = [];
    private Dictionary<int, BatchError>? _errors;

    public DeferredShard(int number, string run, string directory, RemoteJob? attached)
    {
        Number = number;
        Run = run;
        Attached = attached;
        Path = System.IO.Path.Combine(directory, $"typedbatch-{run}-{number}.jsonl");
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose,
            BufferSize = 64 * 1024,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        _spool = new FileStream(Path, options);
    }

    public int Number { get; }

    /// <summary>The custom-id prefix of its lines: this run's, or the attached batch's run.</summary>
    public string Run { get; }

    /// <summary>The journaled remote batch this shard attached to instead of submitting, if any.</summary>
    public RemoteJob? Attached { get; }

    public string Path { get; }

    public int Count { get; private set; }

    public long Bytes { get; private set; }

    public int First => _indices[0];

    public int Last => _indices[Count - 1];

    /// <summary>Where its requests are; <see cref="Finish"/> makes it <see cref="ShardState.Done"/>.</summary>
    public ShardState State { get; set; }

    /// <summary>0 for its first remote batch, then one more per resubmission.</summary>
    public int Round { get; set; }

    public string? FileId { get; set; }

    public string? BatchId { get; set; }

    /// <summary>The remote batch's last reported status.</summary>
    public RemoteBatch? Status { get; set; }

    /// <summary>Requests in the current remote batch.</summary>
    public int InRemote { get; set; }

    /// <summary>Polls of the current remote batch that failed in a row.</summary>
    public int PollFailures { get; set; }

    /// <summary>Requests without their item yet.</summary>
    public int Unanswered { get; private set; }

    public int Index(int position) => _indices[position];

    public JournalFingerprint Fingerprint(int position) => _fingerprints[position];

    public bool IsDone(int position) => _done[position];

    /// <summary>The last retryable error a remote batch answered for the request, kept for when resubmissions run out.</summary>
    public BatchError? LastError(int position) => _errors is not null && _errors.TryGetValue(position, out BatchError? error) ? error : null;

    public void SetError(int position, BatchError error) => (_errors ??= [])[position] = error;

    /// <summary>Marks a request as having its item; false when it already had one (a duplicate line).</summary>
    public bool MarkDone(int position)
    {
        if (_done[position])
        {
            return false;
        }

        _done[position] = true;
        _errors?.Remove(position);
        Unanswered--;
        return true;
    }

    /// <summary>Appends a request line (newline included).</summary>
    public void Add(int index, JournalFingerprint fingerprint, ReadOnlySpan<byte> line)
    {
        if (Count == _indices.Length)
        {
            Array.Resize(ref _indices, Count * 2);
            Array.Resize(ref _fingerprints, Count * 2);
            Array.Resize(ref _offsets, Count * 2);
        }

        _indices[Count] = index;
        _fingerprints[Count] = fingerprint;
        _offsets[Count] = Bytes;
        Count++;
        _spool.Write(line);
        Bytes += line.Length;
    }

    /// <summary>Ends the writing: the spool is flushed and ready to upload; every request is unanswered.</summary>
    public void Seal()
    {
        _spool.Flush();
        Array.Resize(ref _indices, Count);
        Array.Resize(ref _fingerprints, Count);
        Array.Resize(ref _offsets, Count + 1);
        _offsets[Count] = Bytes;
        _done = new bool[Count];
        Unanswered = Count;
    }

    /// <summary>
    /// Every request has its item: the shard becomes <see cref="ShardState.Done"/>, and its per-request bookkeeping and
    /// spool file are released (nothing reads them any more).
    /// </summary>
    public void Finish()
    {
        State = ShardState.Done;
        _spool.Dispose();
        Count = 0;
        _indices = [];
        _fingerprints = [];
        _offsets = [];
        _done = [];
        _errors = null;
    }

    /// <summary>The spool from its start, for the upload (seekable, so a retry sends it again).</summary>
    public Stream OpenUpload()
    {
        _spool.Position = 0;
        return new SpoolSlice(_spool.SafeFileHandle, Bytes);
    }

    /// <summary>The position of an input index in this shard, or -1.</summary>
    public int PositionOf(int index)
    {
        int position = Array.BinarySearch(_indices, 0, Count, index);
        return position >= 0 ? position : -1;
    }

    /// <summary>A request line as written, newline included.</summary>
    public byte[] ReadLine(int position)
    {
        long offset = _offsets[position];
        byte[] line = new byte[(int)(_offsets[position + 1] - offset)];
        RandomAccess.Read(_spool.SafeFileHandle, line, offset);
        return line;
    }

    /// <summary>Writes the lines of the unanswered requests to a new spool file for a resubmission; returns how many.</summary>
    public int WriteUnanswered(Stream target)
    {
        int written = 0;
        for (int position = 0; position < Count; position++)
        {
            if (!_done[position])
            {
                target.Write(ReadLine(position));
                written++;
            }
        }

        target.Flush();
        return written;
    }

    public void Dispose() => _spool.Dispose();

    /// <summary>A read-only, seekable view of the first bytes of a spool file, positioned independently of the writer.</summary>
    private sealed class SpoolSlice(SafeFileHandle handle, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => _position = Math.Clamp(value, 0, length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int take = (int)Math.Min(buffer.Length, length - _position);
            if (take <= 0)
            {
                return 0;
            }

            int read = RandomAccess.Read(handle, buffer[..take], _position);
            _position += read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int take = (int)Math.Min(buffer.Length, length - _position);
            if (take <= 0)
            {
                return 0;
            }

            int read = await RandomAccess.ReadAsync(handle, buffer[..take], _position, cancellationToken).ConfigureAwait(false);
            _position += read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
