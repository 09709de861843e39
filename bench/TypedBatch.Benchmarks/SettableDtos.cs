using System.Text.Json.Serialization;

namespace TypedBatch.Benchmarks;

// A copy of the library's response DTOs (src/TypedBatch/Providers/OpenAI/WireDtos.cs) with `set` instead of `init`,
// under a context with WireJsonContext's options: isolates what init-only properties cost the source-generated reader.

internal sealed class SettableResponseDto
{
    [JsonPropertyName("id")] public string? Id { get; set; }
    [JsonPropertyName("created")] public long? Created { get; set; }
    [JsonPropertyName("model")] public string? Model { get; set; }
    [JsonPropertyName("choices")] public List<SettableChoiceDto>? Choices { get; set; }
    [JsonPropertyName("usage")] public SettableUsageDto? Usage { get; set; }
}

internal sealed class SettableChoiceDto
{
    [JsonPropertyName("index")] public int? Index { get; set; }
    [JsonPropertyName("message")] public SettableMessage? Message { get; set; }
    [JsonPropertyName("finish_reason")] public string? FinishReason { get; set; }
}

internal sealed class SettableMessage
{
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("content")] public string? Content { get; set; }
    [JsonPropertyName("refusal")] public string? Refusal { get; set; }
}

internal sealed class SettableUsageDto
{
    [JsonPropertyName("prompt_tokens")] public long? PromptTokens { get; set; }
    [JsonPropertyName("completion_tokens")] public long? CompletionTokens { get; set; }
    [JsonPropertyName("total_tokens")] public long? TotalTokens { get; set; }
    [JsonPropertyName("prompt_tokens_details")] public SettableCachedDto? PromptTokensDetails { get; set; }
    [JsonPropertyName("completion_tokens_details")] public SettableReasoningDto? CompletionTokensDetails { get; set; }
}

internal sealed class SettableCachedDto
{
    [JsonPropertyName("cached_tokens")] public long? CachedTokens { get; set; }
}

internal sealed class SettableReasoningDto
{
    [JsonPropertyName("reasoning_tokens")] public long? ReasoningTokens { get; set; }
}

[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(SettableResponseDto))]
internal sealed partial class SettableWireContext : JsonSerializerContext;
