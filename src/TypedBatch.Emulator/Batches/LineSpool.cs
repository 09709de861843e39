namespace TypedBatch.Emulator.Batches;

/// <summary>
/// Answered batch lines kept on disk until the batch ends (a temporary file in the
/// <see cref="FileStore"/>'s directory), so a batch of 50,000 embeddings holds only offsets in memory;
/// <see cref="WriteShuffled"/> then writes them to their final file in a seeded random order.
/// </summary>
internal sealed class LineSpool : IDisposable
{
    private readonly List<(long Offset, int Length)> _lines = [];
    private readonly string _path;
    private FileStream? _stream;

    public LineSpool(FileStore files) => _path = files.NewPath();

    /// <summary>How many lines are held.</summary>
    public int Count => _lines.Count;

    /// <summary>Appends a line (without its newline).</summary>
    public void Add(ReadOnlySpan<byte> line)
    {
        _stream ??= new FileStream(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024);
        _stream.Seek(0, SeekOrigin.End);
        _lines.Add((_stream.Position, line.Length));
        _stream.Write(line);
    }

    /// <summary>Writes every line followed by <c>\n</c> to <paramref name="target"/> in an order shuffled by <paramref name="random"/>; returns the bytes written.</summary>
    public long WriteShuffled(Stream target, Random random)
    {
        if (_stream is null)
        {
            return 0;
        }

        (long Offset, int Length)[] order = [.. _lines];
        random.Shuffle(order);
        byte[] buffer = [];
        long bytes = 0;
        foreach ((long offset, int length) in order)
        {
            if (buffer.Length < length)
            {
                buffer = new byte[Math.Max(length, buffer.Length * 2)];
            }

            _stream.Seek(offset, SeekOrigin.Begin);
            _stream.ReadExactly(buffer, 0, length);
            target.Write(buffer, 0, length);
            target.WriteByte((byte)'\n');
            bytes += length + 1;
        }

        return bytes;
    }

    /// <summary>Deletes the spool file.</summary>
    public void Dispose()
    {
        if (_stream is not null)
        {
            _stream.Dispose();
            _stream = null;
            FileStore.TryDelete(_path);
        }
    }
}
