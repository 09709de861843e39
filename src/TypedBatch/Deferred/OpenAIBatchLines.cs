using System.Text.Json;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Deferred;

/// <summary>
/// OpenAI's batch lines: <c>{"custom_id","method":"POST","url","body":{…chat completion request…}}</c> in, and
/// <c>{"id","custom_id","response":{"status_code","request_id","body"},"error"}</c> out.
/// </summary>
internal sealed class OpenAIBatchLines : IBatchLineFormat
{
    private static readonly string[] RoleNames = ["system", "user", "assistant"];

    public static OpenAIBatchLines Instance { get; } = new();

    public string BodyProperty => "body";

    public void WriteRoute(Utf8JsonWriter writer, string url)
    {
        writer.WriteString("method"u8, "POST"u8);
        writer.WriteString("url"u8, url);
    }

    public void WriteChatBody(Utf8JsonWriter writer, ChatRequest request, string model, StructuredOutputMode structuredOutputs)
        => JsonSerializer.Serialize(writer, OpenAICompatibleProvider.ToWire(request, model, structuredOutputs), WireJsonContext.Wire.ChatCompletionRequestDto);

    public IReadOnlyList<PromptMessage> ReadChatMessages(JsonElement body, CompletionSettings settings, string model, StructuredOutputMode structuredOutputs)
    {
        JsonElement messages = body.GetProperty("messages");
        var list = new List<PromptMessage>(messages.GetArrayLength());
        foreach (JsonElement message in messages.EnumerateArray())
        {
            string role = message.GetProperty("role").GetString() ?? "user";
            var chatRole = (PromptRole)Math.Max(0, Array.IndexOf(RoleNames, role));
            list.Add(new PromptMessage(chatRole, message.GetProperty("content").GetString() ?? string.Empty));
        }

        // The system message a schema-in-prompt server gets in front is dropped (the live call adds it again).
        bool schemaInPrompt = structuredOutputs == StructuredOutputMode.JsonObjectWithSchemaInPrompt && settings.ResponseFormat is { Type: "json_schema" };
        if (schemaInPrompt && list.Count > 0 && list[0].Role == PromptRole.System)
        {
            list.RemoveAt(0);
        }

        return list;
    }

    public ChatCompletion ReadChatAnswer(JsonElement body, string provider, string? requestId, Pricing pricing, string model)
    {
        ChatCompletionResponseDto dto = body.Deserialize(WireJsonContext.Wire.ChatCompletionResponseDto)
            ?? throw new JsonException("The response body is null.");
        return OpenAICompatibleProvider.FromWire(dto, provider, 200, requestId, 1, pricing, model, deferred: true);
    }

    public BatchOutputLineDto? ParseResult(string line) => DeferredLines.ParseOutput(line);

    public BatchErrorKind KindOf(int status, ErrorDto? error) => OpenAIErrors.KindOf(status, error);
}
