using System.Text.Json;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Providers.Anthropic;

/// <summary>
/// One event of a streamed Messages answer, read with <see cref="Utf8JsonReader"/> straight from its <c>data:</c> bytes
/// (whose <c>type</c> repeats the <c>event:</c> line's name): <c>message_start</c>'s message id, model and usage; a
/// <c>content_block_delta</c>'s <c>text</c> (<c>text_delta</c>) or <c>partial_json</c> (<c>input_json_delta</c>, a forced
/// tool call's input, which is the typed answer's text); <c>message_delta</c>'s <c>stop_reason</c> and usage; an
/// <c>error</c> event's error. Everything else is skipped.
/// </summary>
internal readonly record struct AnthropicStreamEvent(string? Type, string? Id, string? Model, string? Text, string? StopReason, AnthropicUsageDto? Usage, ErrorDto? Error)
{
    /// <summary>Reads one event.</summary>
    /// <exception cref="JsonException">The event is not a JSON object.</exception>
    public static AnthropicStreamEvent Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (Read(ref reader) != JsonTokenType.StartObject)
        {
            throw new JsonException($"Expected an event object, found {reader.TokenType}.");
        }

        string? type = null, id = null, model = null, text = null, stopReason = null;
        AnthropicUsageDto? usage = null;
        ErrorDto? error = null;
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                type = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                // message_start: the message so far, with no content yet.
                if (Read(ref reader) != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (Read(ref reader) == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("id"u8))
                    {
                        id = ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("model"u8))
                    {
                        model = ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("usage"u8))
                    {
                        usage = ReadUsage(ref reader);
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                if (Read(ref reader) != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (Read(ref reader) == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("partial_json"u8))
                    {
                        text = ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("stop_reason"u8))
                    {
                        stopReason = ReadString(ref reader);
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                usage = ReadUsage(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                Read(ref reader);
                error = reader.TokenType == JsonTokenType.StartObject ? JsonSerializer.Deserialize(ref reader, WireJsonContext.Wire.ErrorDto) : null;
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new AnthropicStreamEvent(type, id, model, text, stopReason, usage, error);
    }

    private static AnthropicUsageDto? ReadUsage(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        return reader.TokenType == JsonTokenType.StartObject ? JsonSerializer.Deserialize(ref reader, AnthropicJsonContext.Wire.AnthropicUsageDto) : null;
    }

    /// <summary>Skips the value of the property the reader is on.</summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        reader.Skip();
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        Read(ref reader);
        return reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"Expected a string or null, found {reader.TokenType}."),
        };
    }

    private static JsonTokenType Read(ref Utf8JsonReader reader)
        => reader.Read() ? reader.TokenType : throw new JsonException("The event ends before its JSON does.");
}
