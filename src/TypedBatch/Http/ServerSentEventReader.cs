using System.Buffers;
using TypedBatch.Resilience;

namespace TypedBatch.Http;

/// <summary>
/// Reads a <c>text/event-stream</c> body event by event, as the WHATWG server-sent events format defines it: lines end
/// with LF, CRLF or CR; a blank line ends an event; <c>data:</c> lines (one leading space dropped) are joined with LF;
/// comments (<c>:</c> lines, the keep-alives some servers send), <c>event:</c>, <c>id:</c> and <c>retry:</c> fields and
/// events without data are skipped. The bytes come into one pooled buffer and an event's data is handed out as a view of
/// it (copied only when an event has several data lines or outlives a read), valid until the next
/// <see cref="ReadAsync"/>: no string is made per line. Each read of the body must bring bytes within
/// <paramref name="idleTimeout"/>, else <see cref="TimeoutException"/>; an event larger than
/// <paramref name="maxEventBytes"/> is <see cref="ResponseTooLargeException"/>.
/// </summary>
/// <param name="body">The response body.</param>
/// <param name="idleTimeout">The longest wait for the next bytes; <see cref="Timeout.InfiniteTimeSpan"/> for none.</param>
/// <param name="maxEventBytes">The largest event accepted.</param>
internal sealed class ServerSentEventReader(Stream body, TimeSpan idleTimeout, long maxEventBytes) : IDisposable
{
    private const int InitialSize = 16 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
    private int _start;
    private int _end;
    private bool _eof;
    private bool _skipLineFeed;
    private bool _started;

    // The event being read: either one data line still in the buffer, or lines gathered in the accumulator.
    private int _inlineOffset = -1;
    private int _inlineLength;
    private byte[]? _accumulator;
    private int _accumulated = -1;

    private ReadOnlyMemory<byte> _data;
    private CancellationTokenSource? _idle;

    /// <summary>The data of the event read last; valid until the next <see cref="ReadAsync"/>.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Reads the next event that has data.</summary>
    /// <returns>False at the end of the body (an event cut off by the end is dropped, as the format says).</returns>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        _data = default;
        _inlineOffset = -1;
        _accumulated = -1;
        while (true)
        {
            int length = LineLength(out int terminator);
            if (length < 0)
            {
                if (_eof)
                {
                    return false;
                }

                await FillAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            ReadOnlySpan<byte> line = _buffer.AsSpan(_start, length);
            int lineStart = _start;
            _start += length + terminator;
            if (line.IsEmpty)
            {
                if (_inlineOffset >= 0)
                {
                    _data = _buffer.AsMemory(_inlineOffset, _inlineLength);
                    return true;
                }

                if (_accumulated >= 0)
                {
                    _data = _accumulator.AsMemory(0, _accumulated);
                    return true;
                }

                continue;
            }

            if (line[0] == (byte)':' || !line.StartsWith("data"u8) || (line.Length > 4 && line[4] != (byte)':'))
            {
                continue; // a comment, another field, or a field whose name only starts with "data"
            }

            int valueStart = line.Length > 5 && line[5] == (byte)' ' ? 6 : Math.Min(5, line.Length);
            int offset = lineStart + valueStart, count = line.Length - valueStart;
            if (_inlineOffset < 0 && _accumulated < 0)
            {
                _inlineOffset = offset;
                _inlineLength = count;
            }
            else
            {
                Accumulate();
                Append("\n"u8);
                Append(_buffer.AsSpan(offset, count));
            }

            if (Math.Max(_inlineLength, _accumulated) > maxEventBytes)
            {
                throw new ResponseTooLargeException(200, maxEventBytes);
            }
        }
    }

    /// <summary>The length of the next complete line at <see cref="_start"/> and its terminator's length; -1 when no complete line is buffered.</summary>
    private int LineLength(out int terminator)
    {
        terminator = 0;
        if (_skipLineFeed && _start < _end)
        {
            // The CR that ended the last line was the last byte of a read: an LF right after it belongs to it.
            _skipLineFeed = false;
            if (_buffer[_start] == (byte)'\n')
            {
                _start++;
            }
        }

        ReadOnlySpan<byte> unread = _buffer.AsSpan(_start, _end - _start);
        int at = unread.IndexOfAny((byte)'\r', (byte)'\n');
        if (at < 0)
        {
            if (_eof && unread.Length > 0)
            {
                // The last line of a body without a final newline ends there; a cut event still lacks its blank line.
                terminator = 0;
                return unread.Length;
            }

            return -1;
        }

        if (unread[at] == (byte)'\r')
        {
            if (at + 1 < unread.Length)
            {
                terminator = unread[at + 1] == (byte)'\n' ? 2 : 1;
            }
            else
            {
                terminator = 1;
                _skipLineFeed = true;
            }
        }
        else
        {
            terminator = 1;
        }

        return at;
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        // A data line still in the buffer would be moved or dropped by the compaction: keep it aside first.
        if (_inlineOffset >= 0)
        {
            Accumulate();
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= maxEventBytes)
            {
                throw new ResponseTooLargeException(200, maxEventBytes);
            }

            byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Min(maxEventBytes + 2, (long)_buffer.Length * 2), Array.MaxLength));
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        int read;
        if (idleTimeout == Timeout.InfiniteTimeSpan)
        {
            read = await body.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _idle ??= CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _idle.CancelAfter(idleTimeout);
            try
            {
                read = await body.ReadAsync(_buffer.AsMemory(_end), _idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"The stream sent nothing for {idleTimeout.TotalSeconds:0.###} s (StreamIdleTimeout).");
            }

            // Only the server's silence counts: the time the caller takes between reads must not.
            _idle.CancelAfter(Timeout.InfiniteTimeSpan);
            if (_idle.IsCancellationRequested)
            {
                // The limit ran out just as the bytes came: a fresh source for the next read.
                _idle.Dispose();
                _idle = null;
            }
        }

        if (read == 0)
        {
            _eof = true;
        }

        if (!_started && _end + read >= 3)
        {
            // A UTF-8 byte order mark at the very start is not part of the first line.
            _started = true;
            if (_buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8))
            {
                _start = 3;
            }
        }

        _end += read;
    }

    private void Accumulate()
    {
        if (_accumulated >= 0)
        {
            return;
        }

        _accumulated = 0;
        if (_inlineOffset >= 0)
        {
            Append(_buffer.AsSpan(_inlineOffset, _inlineLength));
            _inlineOffset = -1;
            _inlineLength = 0;
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        _accumulator ??= ArrayPool<byte>.Shared.Rent(Math.Max(InitialSize, bytes.Length));
        if (_accumulated + bytes.Length > _accumulator.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(_accumulator.Length * 2, _accumulated + bytes.Length));
            _accumulator.AsSpan(0, _accumulated).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_accumulator);
            _accumulator = larger;
        }

        bytes.CopyTo(_accumulator.AsSpan(_accumulated));
        _accumulated += bytes.Length;
    }

    public void Dispose()
    {
        _idle?.Dispose();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
        if (_accumulator is not null)
        {
            ArrayPool<byte>.Shared.Return(_accumulator);
            _accumulator = null;
        }
    }
}
