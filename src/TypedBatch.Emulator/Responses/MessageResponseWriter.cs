using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>
/// Writes Anthropic messages: one JSON <c>message</c>, a server-sent-event stream, or a deliberately
/// cut-off body.
/// </summary>
/// <remarks>
/// The stream follows Anthropic's streaming reference (platform.claude.com/docs/en/build-with-claude/streaming):
/// each event has an <c>event:</c> line naming it and a <c>data:</c> line whose JSON repeats the name as
/// <c>type</c>; <c>message_start</c> (the message with empty <c>content</c>, null <c>stop_reason</c>, the
/// input tokens), <c>content_block_start</c>, a <c>ping</c>, <c>content_block_delta</c>s (<c>text_delta</c>,
/// or <c>input_json_delta</c> with <c>partial_json</c> for <c>tool_use</c>), <c>content_block_stop</c>,
/// <c>message_delta</c> (<c>stop_reason</c>, <c>stop_sequence</c>, <c>usage.output_tokens</c>) and
/// <c>message_stop</c>. An error mid-stream is an <c>error</c> event with the error shape; the reference's
/// example is <c>overloaded_error</c>, which the emulator sends.
/// </remarks>
internal static class MessageResponseWriter
{
    private const int StreamPieces = 4;

    /// <summary>Writes the <c>message</c> object.</summary>
    public static async Task WriteJsonAsync(HttpContext context, AnthropicMessage message)
    {
        HttpResponse response = context.Response;
        response.ContentType = JsonOutput.ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            WriteMessage(writer, message);
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>Writes a 200 whose JSON (or, streamed, whose second event) is cut off in the middle.</summary>
    public static async Task WriteMalformedAsync(HttpContext context, AnthropicMessage message, bool stream)
    {
        HttpResponse response = context.Response;
        var full = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(full, JsonOutput.WriterOptions))
        {
            WriteMessage(writer, message);
        }

        ReadOnlySpan<byte> half = full.WrittenSpan[..(full.WrittenCount / 2)];
        if (stream)
        {
            response.ContentType = "text/event-stream";
            using var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions);
            WriteEvent(response.BodyWriter, writer, "message_start", w => WriteMessageStart(w, message));
            response.BodyWriter.Write("event: content_block_start\ndata: "u8);
        }
        else
        {
            response.ContentType = JsonOutput.ContentType;
        }

        response.BodyWriter.Write(half);
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Writes the message as server-sent events, the block's text (or tool input JSON) in pieces of
    /// <paramref name="chunkCharacters"/> (0: four pieces). The stream markers of <paramref name="plan"/> apply as
    /// on the OpenAI surface: <c>[[drip-stream:MS]]</c> waits before each delta, <c>[[stream-error:K]]</c> sends an
    /// <c>error</c> event after K deltas and ends, <c>[[stream-cut:K]]</c> ends the body after K deltas (no
    /// <c>message_stop</c>); with <c>:T</c> only the first T receipts.
    /// </summary>
    public static async Task WriteStreamAsync(HttpContext context, AnthropicMessage message, FaultPlan plan, long received, int chunkCharacters)
    {
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        PipeWriter pipe = response.BodyWriter;
        string content = message.IsToolUse ? message.StreamedToolJson : message.Text ?? "";
        int pieceLength = chunkCharacters > 0 ? chunkCharacters : Math.Max(1, (content.Length + StreamPieces - 1) / StreamPieces);
        bool faulty = plan.StreamFaultTimes == 0 || received <= plan.StreamFaultTimes;
        int? cutAfter = faulty ? plan.StreamCutAfter : null;
        int? errorAfter = faulty ? plan.StreamErrorAfter : null;
        string requestId = response.Headers[AnthropicErrors.RequestIdHeader].ToString();
        using var writer = new Utf8JsonWriter(pipe, JsonOutput.WriterOptions);

        WriteEvent(pipe, writer, "message_start", w => WriteMessageStart(w, message));
        WriteEvent(pipe, writer, "content_block_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_start");
            w.WriteNumber("index", 0);
            w.WritePropertyName("content_block");
            WriteBlockHead(w, message);
            w.WriteEndObject();
        });
        WriteEvent(pipe, writer, "ping", static w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "ping");
            w.WriteEndObject();
        });
        await pipe.FlushAsync(context.RequestAborted);

        int start = 0, sent = 0;
        while (start < content.Length)
        {
            if (cutAfter == sent)
            {
                return; // the body ends here: no message_delta, no message_stop
            }

            if (errorAfter == sent)
            {
                await WriteErrorEventAsync(context, pipe, writer, requestId);
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

            WriteEvent(pipe, writer, "content_block_delta", w =>
            {
                w.WriteStartObject();
                w.WriteString("type", "content_block_delta");
                w.WriteNumber("index", 0);
                w.WriteStartObject("delta");
                if (message.IsToolUse)
                {
                    w.WriteString("type", "input_json_delta");
                    w.WriteString("partial_json", piece);
                }
                else
                {
                    w.WriteString("type", "text_delta");
                    w.WriteString("text", piece);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            });
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
            await WriteErrorEventAsync(context, pipe, writer, requestId);
            return;
        }

        WriteEvent(pipe, writer, "content_block_stop", static w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_stop");
            w.WriteNumber("index", 0);
            w.WriteEndObject();
        });
        WriteEvent(pipe, writer, "message_delta", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", message.StopReason);
            WriteStringOrNull(w, "stop_sequence", message.StopSequence);
            w.WriteEndObject();
            w.WriteStartObject("usage");
            w.WriteNumber("output_tokens", message.OutputTokens);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        WriteEvent(pipe, writer, "message_stop", static w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_stop");
            w.WriteEndObject();
        });
        await pipe.FlushAsync(context.RequestAborted);
    }

    /// <summary>Writes the <c>message</c> object (also the <c>message</c> of a succeeded batch result).</summary>
    public static void WriteMessage(Utf8JsonWriter writer, AnthropicMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("id", message.Id);
        writer.WriteString("type", "message");
        writer.WriteString("role", "assistant");
        writer.WriteString("model", message.Model);
        writer.WriteStartArray("content");
        if (message.IsToolUse)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "tool_use");
            writer.WriteString("id", message.ToolUseId);
            writer.WriteString("name", message.ToolName);
            writer.WritePropertyName("input");
            writer.WriteRawValue(message.ToolInput!, skipInputValidation: true);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteString("type", "text");
            writer.WriteString("text", message.Text);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("stop_reason", message.StopReason);
        WriteStringOrNull(writer, "stop_sequence", message.StopSequence);
        WriteUsage(writer, message.InputTokens, message.OutputTokens);
        writer.WriteEndObject();
    }

    private static void WriteMessageStart(Utf8JsonWriter writer, AnthropicMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "message_start");
        writer.WriteStartObject("message");
        writer.WriteString("id", message.Id);
        writer.WriteString("type", "message");
        writer.WriteString("role", "assistant");
        writer.WriteString("model", message.Model);
        writer.WriteStartArray("content");
        writer.WriteEndArray();
        writer.WriteNull("stop_reason");
        writer.WriteNull("stop_sequence");
        WriteUsage(writer, message.InputTokens, 1);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    // The block as content_block_start announces it: empty text, or the tool call with an empty input.
    private static void WriteBlockHead(Utf8JsonWriter writer, AnthropicMessage message)
    {
        writer.WriteStartObject();
        if (message.IsToolUse)
        {
            writer.WriteString("type", "tool_use");
            writer.WriteString("id", message.ToolUseId);
            writer.WriteString("name", message.ToolName);
            writer.WriteStartObject("input");
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("type", "text");
            writer.WriteString("text", "");
        }

        writer.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter writer, int inputTokens, int outputTokens)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", inputTokens);
        writer.WriteNumber("cache_creation_input_tokens", 0);
        writer.WriteNumber("cache_read_input_tokens", 0);
        writer.WriteNumber("output_tokens", outputTokens);
        writer.WriteEndObject();
    }

    private static async Task WriteErrorEventAsync(HttpContext context, PipeWriter pipe, Utf8JsonWriter writer, string requestId)
    {
        WriteEvent(pipe, writer, "error", w => AnthropicErrors.WriteError(w, AnthropicErrors.Overloaded, "Overloaded", requestId));
        await pipe.FlushAsync(context.RequestAborted);
    }

    private static void WriteEvent(PipeWriter pipe, Utf8JsonWriter writer, string name, Action<Utf8JsonWriter> writeJson)
    {
        pipe.Write("event: "u8);
        pipe.Write(System.Text.Encoding.UTF8.GetBytes(name));
        pipe.Write("\ndata: "u8);
        writer.Reset();
        writeJson(writer);
        writer.Flush();
        pipe.Write("\n\n"u8);
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
