using System.Buffers;
using System.Net;
using System.Net.Http.Headers;

namespace TypedBatch.Deferred;

/// <summary>
/// The body of a Message Batch create call, <c>{"requests":[line, line, …]}</c>, streamed from a spool of request lines
/// (each a <c>{custom_id, params}</c> object and a newline): the newlines become the commas, so a 256 MB batch is never
/// held in memory. The length is known up front, and every send reads the spool again from its start, so the one
/// retry loop can send it again.
/// </summary>
internal sealed class MessageBatchRequestsContent : HttpContent
{
    private static readonly byte[] Head = "{\"requests\":["u8.ToArray();
    private static readonly byte[] Tail = "]}"u8.ToArray();

    private readonly Stream _lines;
    private readonly long _start;

    /// <param name="lines">The spool: seekable, read from <paramref name="start"/> to its end, not disposed.</param>
    /// <param name="start">Where the first line starts.</param>
    public MessageBatchRequestsContent(Stream lines, long start)
    {
        _lines = lines;
        _start = start;
        Headers.ContentType = new MediaTypeHeaderValue("application/json");
    }

    /// <summary>The lines' bytes but the last newline, which closes no element.</summary>
    private long Elements => Math.Max(0, _lines.Length - _start - 1);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _lines.Position = _start;
        await stream.WriteAsync(Head, cancellationToken).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            long left = Elements;
            while (left > 0)
            {
                int read = await _lines.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new IOException("The spool of batch requests ended before its length.");
                }

                // A JSON Lines record holds no raw newline (JSON escapes it), so each one ends a record.
                buffer.AsSpan(0, read).Replace((byte)'\n', (byte)',');
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await stream.WriteAsync(Tail, cancellationToken).ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = Head.Length + Elements + Tail.Length;
        return true;
    }
}
