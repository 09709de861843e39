using System.Text.Json;
using System.Text.Json.Serialization;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Providers.Anthropic;

/// <summary>
/// A Messages API request (<c>POST /v1/messages</c>): the system prompt at the top level, not a message;
/// <c>max_tokens</c> always (the API requires it).
/// </summary>
internal sealed class MessagesRequestDto
{
    [JsonPropertyName("model")]
    public required string Model { get; set; }

    [JsonPropertyName("max_tokens")]
    public int MaxTokens { get; set; }

    [JsonPropertyName("system")]
    public string? System { get; set; }

    [JsonPropertyName("messages")]
    public required IReadOnlyList<AnthropicMessageDto> Messages { get; set; }

    [JsonPropertyName("temperature")]
    public double? Temperature { get; set; }

    [JsonPropertyName("top_p")]
    public double? TopP { get; set; }

    [JsonPropertyName("stop_sequences")]
    public IReadOnlyList<string>? StopSequences { get; set; }

    [JsonPropertyName("stream")]
    public bool? Stream { get; set; }

    [JsonPropertyName("tools")]
    public IReadOnlyList<AnthropicToolDto>? Tools { get; set; }

    [JsonPropertyName("tool_choice")]
    public AnthropicToolChoiceDto? ToolChoice { get; set; }

    [JsonPropertyName("output_config")]
    public AnthropicOutputConfigDto? OutputConfig { get; set; }
}

/// <summary>One turn: <c>user</c> or <c>assistant</c>, with text content.</summary>
internal sealed class AnthropicMessageDto
{
    [JsonPropertyName("role")]
    public required string Role { get; set; }

    [JsonPropertyName("content")]
    public required string Content { get; set; }
}

/// <summary>A tool whose forced call carries a typed answer (<see cref="StructuredOutputMode.ToolCall"/>).</summary>
internal sealed class AnthropicToolDto
{
    [JsonPropertyName("name")]
    public required string Name { get; set; }

    [JsonPropertyName("description")]
    public string? Description { get; set; }

    [JsonPropertyName("input_schema")]
    public required RawJson InputSchema { get; set; }
}

internal sealed class AnthropicToolChoiceDto
{
    [JsonPropertyName("type")]
    public required string Type { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }
}

/// <summary>Structured outputs: <c>output_config.format</c> = <c>{type: "json_schema", schema}</c>.</summary>
internal sealed class AnthropicOutputConfigDto
{
    [JsonPropertyName("format")]
    public required AnthropicOutputFormatDto Format { get; set; }
}

internal sealed class AnthropicOutputFormatDto
{
    [JsonPropertyName("type")]
    public required string Type { get; set; }

    [JsonPropertyName("schema")]
    public required RawJson Schema { get; set; }
}

/// <summary>A Messages API answer.</summary>
internal sealed class MessagesResponseDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("model")]
    public string? Model { get; set; }

    [JsonPropertyName("content")]
    public List<AnthropicContentBlockDto>? Content { get; set; }

    [JsonPropertyName("stop_reason")]
    public string? StopReason { get; set; }

    [JsonPropertyName("stop_sequence")]
    public string? StopSequence { get; set; }

    [JsonPropertyName("usage")]
    public AnthropicUsageDto? Usage { get; set; }
}

/// <summary>A content block: <c>text</c>, or <c>tool_use</c> with its <c>input</c>.</summary>
internal sealed class AnthropicContentBlockDto
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("text")]
    public string? Text { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("input")]
    public JsonElement? Input { get; set; }
}

/// <summary>
/// Tokens of one answer. Anthropic counts cache reads and cache writes apart from <c>input_tokens</c>; TypedBatch's
/// prompt tokens are all three, its cached tokens the reads.
/// </summary>
internal sealed class AnthropicUsageDto
{
    [JsonPropertyName("input_tokens")]
    public long? InputTokens { get; set; }

    [JsonPropertyName("output_tokens")]
    public long? OutputTokens { get; set; }

    [JsonPropertyName("cache_creation_input_tokens")]
    public long? CacheCreationInputTokens { get; set; }

    [JsonPropertyName("cache_read_input_tokens")]
    public long? CacheReadInputTokens { get; set; }

    public TokenUsage ToTokenUsage()
    {
        long input = (InputTokens ?? 0) + (CacheCreationInputTokens ?? 0) + (CacheReadInputTokens ?? 0);
        long output = OutputTokens ?? 0;
        return new TokenUsage(input, output, input + output, CacheReadInputTokens ?? 0, 0);
    }
}

/// <summary>Source-generated JSON for Anthropic's wire.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(MessagesRequestDto))]
[JsonSerializable(typeof(MessagesResponseDto))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class AnthropicJsonContext : JsonSerializerContext
{
    /// <summary>The context the client sends and reads with: text outside ASCII as UTF-8, not <c>\uXXXX</c> escapes.</summary>
    public static AnthropicJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
