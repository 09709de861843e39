using System.Buffers;
using System.Text.Json;

namespace TypedBatch.Resilience;

/// <summary>
/// Inside the retry loop, every response body (error bodies included) is read to its end here, under the attempt
/// timeout and the caller's token, and handed on as bytes in memory: Refit reads an error body only after the pipeline
/// has returned, where no timeout applies, so a server that drips its body would otherwise hold a call for hours. A 2xx
/// JSON answer is also checked to be complete JSON, so a body cut off mid-stream is retried like a transport failure
/// (the provider may have billed the cut-off attempt). A body larger than <paramref name="maxBytes"/> is read no further
/// and fails the call without retries (<see cref="ResponseTooLargeException"/>). Streams (<c>text/event-stream</c>)
/// are left alone, and so is the 2xx body of a request that opts out with <see cref="StreamedOptionKey"/> (a Batch
/// API file download, hundreds of megabytes, read by its caller as it arrives); its error bodies are still read here.
/// </summary>
/// <param name="maxBytes"><see cref="TypedBatchOptions.MaxResponseBytes"/>.</param>
internal sealed class ResponseValidationHandler(long maxBytes) : DelegatingHandler
{
    /// <summary>The request option (a <see langword="bool"/>) by which a request asks for its 2xx body unbuffered.</summary>
    public const string StreamedOptionKey = "TypedBatch.StreamedResponse";

    private static readonly HttpRequestOptionsKey<bool> Streamed = new(StreamedOptionKey);

    private const int ChunkSize = 16 * 1024;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        HttpContent original = response.Content;
        if (original.Headers.ContentType?.MediaType == "text/event-stream"
            || (response.IsSuccessStatusCode && request.Options.TryGetValue(Streamed, out bool streamed) && streamed))
        {
            return response;
        }

        byte[] body;
        try
        {
            body = await ReadBodyAsync(original, (int)response.StatusCode, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The connection goes back to the pool only once the response is disposed; the failure itself propagates.
            response.Dispose();
            throw;
        }

        bool json = original.Headers.ContentType?.MediaType == "application/json";
        if (response.IsSuccessStatusCode && json && !IsCompleteJson(body))
        {
            int status = (int)response.StatusCode;
            response.Dispose();
            throw new MalformedResponseException($"HTTP {status} with a body that is cut off or not JSON ({body.Length} bytes).");
        }

        // Only the content type matters downstream (JSON, or the error text and its charset); copying every content
        // header would re-parse each one.
        var buffered = new ByteArrayContent(body);
        buffered.Headers.ContentType = original.Headers.ContentType;
        response.Content = buffered;
        original.Dispose();
        return response;
    }

    private async Task<byte[]> ReadBodyAsync(HttpContent content, int status, CancellationToken cancellationToken)
    {
        long? announced = content.Headers.ContentLength;
        if (announced > maxBytes)
        {
            throw new ResponseTooLargeException(status, maxBytes);
        }

        Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            if (announced is { } length)
            {
                // A known length within the cap: read straight into an array of that size; a short body is an IOException.
                byte[] exact = new byte[length];
                await stream.ReadExactlyAsync(exact, cancellationToken).ConfigureAwait(false);
                return exact;
            }

            // Chunked or decompressed: the length shows only as it arrives, so count while reading, into a pooled
            // buffer that grows by doubling; only the exact body is copied out.
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            int filled = 0;
            try
            {
                while (true)
                {
                    if (filled == buffer.Length)
                    {
                        byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, filled).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    int read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return buffer.AsSpan(0, filled).ToArray();
                    }

                    filled += read;
                    if (filled > maxBytes)
                    {
                        throw new ResponseTooLargeException(status, maxBytes);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static bool IsCompleteJson(byte[] body)
    {
        if (body.Length == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> json = body.AsSpan();
        if (json.StartsWith("\uFEFF"u8))
        {
            json = json[3..]; // a UTF-8 byte order mark, which Utf8JsonReader does not skip
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
            }

            return reader.BytesConsumed == json.Length || json[(int)reader.BytesConsumed..].Trim(" \r\n\t"u8).IsEmpty;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>A response body larger than <see cref="TypedBatchOptions.MaxResponseBytes"/>: not read further, not retried.</summary>
internal sealed class ResponseTooLargeException(int statusCode, long maxBytes)
    : Exception($"The response (HTTP {statusCode}) is larger than MaxResponseBytes ({maxBytes} bytes) and was not read further; raise TypedBatchOptions.MaxResponseBytes if such answers are expected.")
{
    public int StatusCode { get; } = statusCode;
}
