using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TypedBatch.Providers.OpenAI;

/// <summary>Source-generated System.Text.Json metadata for every wire shape: no reflection, trim and AOT safe.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ChatCompletionRequestDto))]
[JsonSerializable(typeof(ChatCompletionResponseDto))]
[JsonSerializable(typeof(EmbeddingRequestDto))]
[JsonSerializable(typeof(EmbeddingResponseDto))]
[JsonSerializable(typeof(ErrorEnvelopeDto))]
[JsonSerializable(typeof(Copilot.CopilotTokenDto))]
[JsonSerializable(typeof(Deferred.FileObjectDto))]
[JsonSerializable(typeof(Deferred.FileDeletedDto))]
[JsonSerializable(typeof(Deferred.CreateBatchRequestDto))]
[JsonSerializable(typeof(Deferred.BatchDto))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
internal sealed partial class WireJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context the client sends and reads with: text outside ASCII goes as UTF-8, not as <c>\uXXXX</c> escapes,
    /// which would double the size of a Chinese prompt on the wire. Request bodies are JSON, never HTML.
    /// </summary>
    public static WireJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
