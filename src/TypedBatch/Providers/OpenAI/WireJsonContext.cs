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
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
