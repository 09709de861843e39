using System.Text.Json;

namespace TypedBatch.Resilience;

/// <summary>
/// Inside the retry loop: a 2xx JSON answer is buffered and checked to be complete JSON before it leaves the loop, so a
/// body cut off mid-stream is retried like a transport failure. The provider may have billed the cut-off attempt.
/// Streams (<c>text/event-stream</c>) are left alone.
/// </summary>
internal sealed class ResponseValidationHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            return response;
        }

        // Read once into an array, check it, and hand the same bytes on: no second copy.
        HttpContent original = response.Content;
        byte[] body = await original.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (IsCompleteJson(body))
        {
            // Only the content type matters downstream; copying every content header would re-parse each one.
            var buffered = new ByteArrayContent(body);
            buffered.Headers.ContentType = original.Headers.ContentType;

            response.Content = buffered;
            original.Dispose();
            return response;
        }

        int status = (int)response.StatusCode;
        response.Dispose();
        throw new MalformedResponseException($"HTTP {status} with a body that is cut off or not JSON ({body.Length} bytes).");
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
