using System.Text.Json;

namespace TypedBatch.Providers.OpenAI;

/// <summary>
/// One <c>chat.completion.chunk</c> of a streamed answer, or the error a server sends inside the stream
/// (<c>{"error": {...}}</c>), read with <see cref="Utf8JsonReader"/> straight from the event's bytes: only the first
/// choice's <c>delta.content</c>, <c>delta.refusal</c> and <c>finish_reason</c>, the <c>usage</c>, <c>id</c> and
/// <c>model</c> become values; everything else is skipped.
/// </summary>
internal readonly record struct ChatChunk(string? Id, string? Model, string? Text, string? Refusal, string? FinishReason, UsageDto? Usage, ErrorDto? Error)
{
    /// <summary>Whether the chunk carries anything for the caller (the role-only first chunk does not).</summary>
    public bool HasNews => Text is { Length: > 0 } || Refusal is { Length: > 0 } || FinishReason is not null || Usage is not null;

    /// <summary>Reads one chunk.</summary>
    /// <exception cref="JsonException">The event is not a JSON object.</exception>
    public static ChatChunk Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        Expect(ref reader, JsonTokenType.StartObject);
        string? id = null, model = null, text = null, refusal = null, finish = null;
        UsageDto? usage = null;
        ErrorDto? error = null;
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                Read(ref reader);
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    bool first = true;
                    while (Read(ref reader) == JsonTokenType.StartObject)
                    {
                        if (first)
                        {
                            ReadChoice(ref reader, out text, out refusal, out finish);
                            first = false;
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                Read(ref reader);
                usage = reader.TokenType == JsonTokenType.StartObject ? JsonSerializer.Deserialize(ref reader, WireJsonContext.Wire.UsageDto) : null;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                Read(ref reader);
                error = reader.TokenType == JsonTokenType.StartObject ? JsonSerializer.Deserialize(ref reader, WireJsonContext.Wire.ErrorDto) : null;
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                id = ReadString(ref reader);
            }
            else if (reader.ValueTextEquals("model"u8))
            {
                model = ReadString(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }

        return new ChatChunk(id, model, text, refusal, finish, usage, error);
    }

    private static void ReadChoice(ref Utf8JsonReader reader, out string? text, out string? refusal, out string? finish)
    {
        text = refusal = finish = null;
        while (Read(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("delta"u8))
            {
                Read(ref reader);
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (Read(ref reader) == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("content"u8))
                    {
                        text = ReadString(ref reader);
                    }
                    else if (reader.ValueTextEquals("refusal"u8))
                    {
                        refusal = ReadString(ref reader);
                    }
                    else
                    {
                        SkipValue(ref reader);
                    }
                }
            }
            else if (reader.ValueTextEquals("finish_reason"u8))
            {
                finish = ReadString(ref reader);
            }
            else
            {
                SkipValue(ref reader);
            }
        }
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
        => reader.Read() ? reader.TokenType : throw new JsonException("The chunk ends before its JSON does.");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token)
    {
        if (Read(ref reader) != token)
        {
            throw new JsonException($"Expected {token}, found {reader.TokenType}.");
        }
    }
}
