using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TypedBatch.Emulator.Structured;

/// <summary>A good structured answer and the schema it was made for (null for the json_object fallback).</summary>
internal readonly record struct StructuredContent(string Json, JsonElement? Schema);

/// <summary>
/// The good answers to requests with a <c>response_format</c>: for <c>json_schema</c> a value of
/// the schema; for <c>json_object</c> (and a <c>json_schema</c> without a schema) a value of the
/// schema found in a system message, else <c>{"answer":"Re: ..."}</c>. Free values come from
/// a <see cref="SeededRandom"/> seeded with the request fingerprint.
/// </summary>
internal static class StructuredAnswers
{
    /// <summary>The good answer to a structured request.</summary>
    /// <param name="request">A request whose <see cref="ChatRequest.Format"/> is structured.</param>
    /// <param name="plainAnswer">The plain-text answer, <c>Re: </c> and the last user message.</param>
    /// <param name="fingerprint">The request fingerprint, the seed of the free values.</param>
    /// <exception cref="SchemaGenerationException">The request's own schema has no finite instance.</exception>
    public static StructuredContent Create(ChatRequest request, string plainAnswer, string fingerprint)
    {
        var random = SeededRandom.FromFingerprint(fingerprint);
        if (request.Format.Schema is { } schema)
        {
            return new StructuredContent(JsonSchemaFaker.Generate(schema, random), schema);
        }

        if (SystemPromptSchema.Find(request.Messages) is { } promptSchema)
        {
            try
            {
                return new StructuredContent(JsonSchemaFaker.Generate(promptSchema, random), promptSchema);
            }
            catch (SchemaGenerationException)
            {
                // A schema in a prompt is only a hint: fall back to the plain object.
            }
        }

        return new StructuredContent(AnswerObject(plainAnswer), null);
    }

    private static string AnswerObject(string plainAnswer)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("answer", plainAnswer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
