using System.Text.Json;
using System.Text.Json.Serialization;

namespace TypedBatch.Providers.OpenAI;

// Wire shapes of the OpenAI-compatible API. Every response field is optional: local servers (Ollama, vLLM,
// llama.cpp, LM Studio) omit id, created, index and usage, and unknown fields are ignored. Response shapes use `set`
// rather than `init`: source-generated deserialization of init-only properties is markedly slower (docs/benchmarks.md).

internal sealed class ChatCompletionRequestDto
{
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("messages")]
    public required WireMessage[] Messages { get; init; }

    [JsonPropertyName("temperature")]
    public double? Temperature { get; init; }

    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; init; }

    [JsonPropertyName("top_p")]
    public double? TopP { get; init; }

    [JsonPropertyName("stop")]
    public IReadOnlyList<string>? Stop { get; init; }

    [JsonPropertyName("seed")]
    public long? Seed { get; init; }

    [JsonPropertyName("response_format")]
    public ResponseFormatDto? ResponseFormat { get; init; }

    [JsonPropertyName("stream")]
    public bool? Stream { get; init; }

    [JsonPropertyName("stream_options")]
    public StreamOptionsDto? StreamOptions { get; init; }
}

internal sealed class StreamOptionsDto
{
    public static readonly StreamOptionsDto IncludeUsage = new() { IncludeUsageValue = true };

    [JsonPropertyName("include_usage")]
    public bool IncludeUsageValue { get; init; }
}

internal sealed class ResponseFormatDto
{
    [JsonPropertyName("type")]
    public required string Type { get; init; }

    [JsonPropertyName("json_schema")]
    public JsonSchemaDto? JsonSchema { get; init; }
}

internal sealed class JsonSchemaDto
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    [JsonPropertyName("schema")]
    public RawJson Schema { get; init; }

    [JsonPropertyName("strict")]
    public bool Strict { get; init; }
}

/// <summary>UTF-8 JSON written as is: the generator's schemas are already valid, minified JSON.</summary>
[JsonConverter(typeof(RawJsonConverter))]
internal readonly record struct RawJson(ReadOnlyMemory<byte> Utf8);

internal sealed class RawJsonConverter : JsonConverter<RawJson>
{
    public override RawJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new RawJson(JsonSerializer.SerializeToUtf8Bytes(document.RootElement, WireJsonContext.Default.JsonElement));
    }

    public override void Write(Utf8JsonWriter writer, RawJson value, JsonSerializerOptions options)
        => writer.WriteRawValue(value.Utf8.Span, skipInputValidation: true);
}

internal sealed class WireMessage
{
    [JsonPropertyName("role")]
    public string? Role { get; set; }

    [JsonPropertyName("content")]
    public string? Content { get; set; }

    [JsonPropertyName("refusal")]
    public string? Refusal { get; set; }
}

internal sealed class ChatCompletionResponseDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("created")]
    public long? Created { get; set; }

    [JsonPropertyName("model")]
    public string? Model { get; set; }

    [JsonPropertyName("choices")]
    public List<ChoiceDto>? Choices { get; set; }

    [JsonPropertyName("usage")]
    public UsageDto? Usage { get; set; }
}

internal sealed class ChoiceDto
{
    [JsonPropertyName("index")]
    public int? Index { get; set; }

    [JsonPropertyName("message")]
    public WireMessage? Message { get; set; }

    [JsonPropertyName("finish_reason")]
    public string? FinishReason { get; set; }
}

internal sealed class UsageDto
{
    [JsonPropertyName("prompt_tokens")]
    public long? PromptTokens { get; set; }

    [JsonPropertyName("completion_tokens")]
    public long? CompletionTokens { get; set; }

    [JsonPropertyName("total_tokens")]
    public long? TotalTokens { get; set; }

    [JsonPropertyName("prompt_tokens_details")]
    public PromptTokensDetailsDto? PromptTokensDetails { get; set; }

    [JsonPropertyName("completion_tokens_details")]
    public CompletionTokensDetailsDto? CompletionTokensDetails { get; set; }

    public TokenUsage ToTokenUsage()
    {
        long prompt = PromptTokens ?? 0;
        long completion = CompletionTokens ?? 0;
        return new TokenUsage(prompt, completion, TotalTokens ?? prompt + completion,
            PromptTokensDetails?.CachedTokens ?? 0, CompletionTokensDetails?.ReasoningTokens ?? 0);
    }
}

internal sealed class PromptTokensDetailsDto
{
    [JsonPropertyName("cached_tokens")]
    public long? CachedTokens { get; set; }
}

internal sealed class CompletionTokensDetailsDto
{
    [JsonPropertyName("reasoning_tokens")]
    public long? ReasoningTokens { get; set; }
}

internal sealed class EmbeddingRequestDto
{
    [JsonPropertyName("model")]
    public required string Model { get; init; }

    [JsonPropertyName("input")]
    public required IReadOnlyList<string> Input { get; init; }

    [JsonPropertyName("dimensions")]
    public int? Dimensions { get; init; }

    [JsonPropertyName("encoding_format")]
    public string? EncodingFormat { get; init; }
}

internal sealed class EmbeddingResponseDto
{
    [JsonPropertyName("data")]
    public List<EmbeddingDataDto>? Data { get; set; }

    [JsonPropertyName("model")]
    public string? Model { get; set; }

    [JsonPropertyName("usage")]
    public UsageDto? Usage { get; set; }
}

internal sealed class EmbeddingDataDto
{
    [JsonPropertyName("index")]
    public int? Index { get; set; }

    [JsonPropertyName("embedding")]
    [JsonConverter(typeof(EmbeddingVectorConverter))]
    public float[]? Embedding { get; set; }
}

internal sealed class ErrorEnvelopeDto
{
    [JsonPropertyName("error")]
    public ErrorDto? Error { get; set; }

    // GitHub's API answers {"message": "..."} without the envelope.
    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

internal sealed class ErrorDto
{
    [JsonPropertyName("message")]
    public string? Message { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("param")]
    public string? Param { get; set; }

    // A string for OpenAI, an integer for vLLM.
    [JsonPropertyName("code")]
    public JsonElement? Code { get; set; }

    public string? CodeText => Code switch
    {
        { ValueKind: JsonValueKind.String } c => c.GetString(),
        { ValueKind: JsonValueKind.Number } c => c.GetRawText(),
        _ => null,
    };
}
