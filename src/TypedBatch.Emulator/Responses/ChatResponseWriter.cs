using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>Writes chat answers: one JSON completion, a server-sent-event stream, or a deliberately cut-off body.</summary>
internal static class ChatResponseWriter
{
    private const string SystemFingerprint = "fp_emulator";
    private const int StreamPieces = 4;

    /// <summary>The error event OpenAI sends when an answer fails mid-stream.</summary>
    private static ReadOnlySpan<byte> StreamError => "data: {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n"u8;

    /// <summary>Writes a <c>chat.completion</c> object.</summary>
    public static async Task WriteJsonAsync(HttpContext context, ChatRequest request, ChatAnswer answer, string id)
    {
        HttpResponse response = context.Response;
        response.ContentType = JsonOutput.ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            WriteCompletion(writer, request, answer, id, JsonOutput.UnixNow());
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Writes a 200 JSON body cut off in the middle, or for a streamed request one good chunk followed
    /// by a cut-off chunk and no <c>[DONE]</c>.
    /// </summary>
    public static async Task WriteMalformedAsync(HttpContext context, ChatRequest request, ChatAnswer answer, string id)
    {
        HttpResponse response = context.Response;
        long created = JsonOutput.UnixNow();
        var full = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(full, JsonOutput.WriterOptions))
        {
            if (request.Stream)
            {
                WriteChunk(writer, request, id, created, answer.Content, isFirst: true, finishReason: null, answer.Refusal);
            }
            else
            {
                WriteCompletion(writer, request, answer, id, created);
            }
        }

        ReadOnlySpan<byte> half = full.WrittenSpan[..(full.WrittenCount / 2)];
        if (request.Stream)
        {
            response.ContentType = "text/event-stream";
            using var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions);
            WriteEvent(response.BodyWriter, writer, w => WriteChunk(w, request, id, created, "", isFirst: true, finishReason: null));
            response.BodyWriter.Write("data: "u8);
            response.BodyWriter.Write(half);
        }
        else
        {
            response.ContentType = JsonOutput.ContentType;
            response.BodyWriter.Write(half);
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Writes a valid <c>chat.completion</c> whose content is <paramref name="megabytes"/> MiB of text,
    /// with its <c>Content-Length</c>, streamed in pieces so the server never holds it whole.
    /// </summary>
    public static async Task WriteOversizeAsync(HttpContext context, ChatRequest request, ChatAnswer answer, string id, int megabytes)
    {
        var frame = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(frame, JsonOutput.WriterOptions))
        {
            WriteCompletion(writer, request, answer with { Content = "@@oversize@@", Refusal = null }, id, JsonOutput.UnixNow());
        }

        // The content goes where the placeholder stands, so the frame around it is the normal completion.
        ReadOnlySpan<byte> placeholder = "@@oversize@@"u8;
        int at = frame.WrittenSpan.IndexOf(placeholder);
        ReadOnlyMemory<byte> head = frame.WrittenMemory[..at];
        ReadOnlyMemory<byte> tail = frame.WrittenMemory[(at + placeholder.Length)..];
        long contentLength = (long)megabytes * 1024 * 1024;
        HttpResponse response = context.Response;
        response.ContentType = JsonOutput.ContentType;
        response.ContentLength = head.Length + contentLength + tail.Length;
        await response.Body.WriteAsync(head, context.RequestAborted);
        byte[] piece = new byte[64 * 1024];
        piece.AsSpan().Fill((byte)'x');
        for (long left = contentLength; left > 0; left -= piece.Length)
        {
            await response.Body.WriteAsync(piece.AsMemory(0, (int)Math.Min(left, piece.Length)), context.RequestAborted);
        }

        await response.Body.WriteAsync(tail, context.RequestAborted);
    }

    /// <summary>
    /// Writes the answer as <c>chat.completion.chunk</c> events: the content (or the refusal, as
    /// <c>delta.refusal</c>) in chunks of <paramref name="chunkCharacters"/> (0: four chunks), a chunk with the finish
    /// reason, the usage chunk when asked for, then <c>[DONE]</c>. The stream markers of <paramref name="plan"/> apply
    /// (to the first <see cref="FaultPlan.StreamFaultTimes"/> receipts when set): <c>[[drip-stream:MS]]</c> waits
    /// before each chunk, <c>[[stream-error:K]]</c> sends an error event after K content chunks and ends,
    /// <c>[[stream-cut:K]]</c> ends the body after K content chunks, without a finish reason or <c>[DONE]</c> (as a dropped
    /// proxy connection leaves it; aborting the connection instead would make the client's socket drop what it had not
    /// yet read).
    /// </summary>
    public static async Task WriteStreamAsync(HttpContext context, ChatRequest request, ChatAnswer answer, string id, FaultPlan plan = default, long received = 1, int chunkCharacters = 0)
    {
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        PipeWriter pipe = response.BodyWriter;
        long created = JsonOutput.UnixNow();
        bool isRefusal = answer.Content is null && answer.Refusal is not null;
        string content = answer.Content ?? answer.Refusal ?? "";
        int pieceLength = chunkCharacters > 0 ? chunkCharacters : Math.Max(1, (content.Length + StreamPieces - 1) / StreamPieces);
        bool faulty = plan.StreamFaultTimes == 0 || received <= plan.StreamFaultTimes;
        int? cutAfter = faulty ? plan.StreamCutAfter : null;
        int? errorAfter = faulty ? plan.StreamErrorAfter : null;
        using var writer = new Utf8JsonWriter(pipe, JsonOutput.WriterOptions);

        // The first chunk carries the role only, as OpenAI's do.
        WriteEvent(pipe, writer, w => WriteChunk(w, request, id, created, isRefusal ? null : "", isFirst: true, finishReason: null));
        await pipe.FlushAsync(context.RequestAborted);
        int start = 0, sent = 0;
        while (start < content.Length)
        {
            if (cutAfter == sent)
            {
                return; // the body ends here: no finish reason, no [DONE]
            }

            if (errorAfter == sent)
            {
                pipe.Write(StreamError);
                await pipe.FlushAsync(context.RequestAborted);
                return;
            }

            int end = Math.Min(content.Length, start + pieceLength);
            if (end < content.Length && char.IsHighSurrogate(content[end - 1]))
            {
                end++; // never split a surrogate pair
            }

            string piece = content[start..end];
            if (plan.StreamDripMilliseconds > 0)
            {
                await Task.Delay(plan.StreamDripMilliseconds, context.RequestAborted);
            }

            WriteEvent(pipe, writer, w => WriteChunk(
                w, request, id, created, isRefusal ? null : piece, isFirst: false, finishReason: null, isRefusal ? piece : null));
            await pipe.FlushAsync(context.RequestAborted);
            start = end;
            sent++;
        }

        if (cutAfter is not null)
        {
            return;
        }

        if (errorAfter is not null)
        {
            pipe.Write(StreamError);
            await pipe.FlushAsync(context.RequestAborted);
            return;
        }

        WriteEvent(pipe, writer, w => WriteChunk(w, request, id, created, null, isFirst: false, answer.FinishReason));
        if (request.IncludeUsage)
        {
            WriteEvent(pipe, writer, w => WriteUsageChunk(w, request, answer, id, created));
        }

        pipe.Write("data: [DONE]\n\n"u8);
        await pipe.FlushAsync(context.RequestAborted);
    }

    private static void WriteEvent(PipeWriter pipe, Utf8JsonWriter writer, Action<Utf8JsonWriter> writeJson)
    {
        pipe.Write("data: "u8);
        writer.Reset();
        writeJson(writer);
        writer.Flush();
        pipe.Write("\n\n"u8);
    }

    /// <summary>Writes a <c>chat.completion</c> object (also the body of a batch output line).</summary>
    public static void WriteCompletion(Utf8JsonWriter writer, ChatRequest request, ChatAnswer answer, string id, long created)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", "chat.completion");
        writer.WriteNumber("created", created);
        writer.WriteString("model", request.Model);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        writer.WriteString("content", answer.Content);
        writer.WriteString("refusal", answer.Refusal);
        writer.WriteStartArray("annotations");
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", answer.FinishReason);
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteUsage(writer, answer);
        writer.WriteString("service_tier", "default");
        writer.WriteString("system_fingerprint", SystemFingerprint);
        writer.WriteEndObject();
    }

    private static void WriteChunk(
        Utf8JsonWriter writer, ChatRequest request, string id, long created, string? content, bool isFirst, string? finishReason,
        string? refusal = null)
    {
        WriteChunkStart(writer, request, id, created);
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("delta");
        if (isFirst)
        {
            writer.WriteString("role", "assistant");
        }

        if (content is not null)
        {
            writer.WriteString("content", content);
        }

        if (refusal is not null)
        {
            writer.WriteString("refusal", refusal);
        }

        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        if (finishReason is null)
        {
            writer.WriteNull("finish_reason");
        }
        else
        {
            writer.WriteString("finish_reason", finishReason);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
        if (request.IncludeUsage)
        {
            writer.WriteNull("usage");
        }

        writer.WriteEndObject();
    }

    private static void WriteUsageChunk(Utf8JsonWriter writer, ChatRequest request, ChatAnswer answer, string id, long created)
    {
        WriteChunkStart(writer, request, id, created);
        writer.WriteEndArray();
        WriteUsage(writer, answer);
        writer.WriteEndObject();
    }

    // Writes the chunk's common fields and opens its "choices" array.
    private static void WriteChunkStart(Utf8JsonWriter writer, ChatRequest request, string id, long created)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", "chat.completion.chunk");
        writer.WriteNumber("created", created);
        writer.WriteString("model", request.Model);
        writer.WriteString("system_fingerprint", SystemFingerprint);
        writer.WriteStartArray("choices");
    }

    private static void WriteUsage(Utf8JsonWriter writer, ChatAnswer answer)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", answer.PromptTokens);
        writer.WriteNumber("completion_tokens", answer.CompletionTokens);
        writer.WriteNumber("total_tokens", answer.TotalTokens);
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", 0);
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details");
        writer.WriteNumber("reasoning_tokens", 0);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
