using System.Text.Json;
using TypedBatch.Providers.Anthropic;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Deferred;

/// <summary>
/// Anthropic's Message Batches lines: a request is <c>{"custom_id","params":{…Messages API request…}}</c>, built by
/// <see cref="AnthropicProvider.ToWire"/> exactly as a live call's; a result line
/// <c>{custom_id, result:{type: succeeded | errored | canceled | expired, …}}</c> is read into the shape the read-back
/// takes: a succeeded message as a 200 response (read by <see cref="AnthropicProvider.FromWire"/>, at the batch price),
/// an errored one as a response of the status its error type has live (so an <c>overloaded_error</c> or
/// <c>api_error</c> is resubmitted, an <c>invalid_request_error</c> is the item's error), and a canceled or expired one
/// as an error line with OpenAI's codes (<c>batch_cancelled</c>, <c>batch_expired</c>), resubmitted or sent live after a
/// deadline as OpenAI's are.
/// </summary>
internal sealed class AnthropicBatchLines : IBatchLineFormat
{
    public static AnthropicBatchLines Instance { get; } = new();

    public string BodyProperty => "params";

    public void WriteRoute(Utf8JsonWriter writer, string url)
    {
        // A Message Batch holds Messages API requests only: no method or url per line.
    }

    public void WriteChatBody(Utf8JsonWriter writer, ChatRequest request, string model, StructuredOutputMode structuredOutputs)
        => JsonSerializer.Serialize(writer, AnthropicProvider.ToWire(request, model, structuredOutputs), AnthropicJsonContext.Wire.MessagesRequestDto);

    public IReadOnlyList<PromptMessage> ReadChatMessages(JsonElement body, CompletionSettings settings, string model, StructuredOutputMode structuredOutputs)
    {
        var list = new List<PromptMessage>();
        if (body.TryGetProperty("system", out JsonElement systemElement) && systemElement.ValueKind == JsonValueKind.String)
        {
            string system = WithoutSchemaInstruction(systemElement.GetString()!, settings, model, structuredOutputs);
            if (system.Length > 0)
            {
                list.Add(PromptMessage.System(system));
            }
        }

        foreach (JsonElement message in body.GetProperty("messages").EnumerateArray())
        {
            string content = message.GetProperty("content").GetString() ?? string.Empty;
            list.Add(message.GetProperty("role").GetString() == "assistant" ? PromptMessage.Assistant(content) : PromptMessage.User(content));
        }

        return list;
    }

    /// <summary>
    /// The system prompt as rendered: the schema instruction a schema-in-prompt request has at its end is cut off (the
    /// live call adds it again). What that instruction is comes from <see cref="AnthropicProvider.ToWire"/> itself.
    /// </summary>
    private static string WithoutSchemaInstruction(string system, CompletionSettings settings, string model, StructuredOutputMode structuredOutputs)
    {
        if (structuredOutputs != StructuredOutputMode.JsonObjectWithSchemaInPrompt || settings.ResponseFormat is not { Type: "json_schema" })
        {
            return system;
        }

        string? instruction = AnthropicProvider.ToWire(new ChatRequest([], settings), model, structuredOutputs).System;
        if (instruction is null || !system.EndsWith(instruction, StringComparison.Ordinal))
        {
            return system;
        }

        string rest = system[..^instruction.Length];
        return rest.EndsWith("\n\n", StringComparison.Ordinal) ? rest[..^2] : rest;
    }

    public ChatCompletion ReadChatAnswer(JsonElement body, string provider, string? requestId, Pricing pricing, string model)
    {
        MessagesResponseDto dto = body.Deserialize(AnthropicJsonContext.Wire.MessagesResponseDto)
            ?? throw new JsonException("The message is null.");
        return AnthropicProvider.FromWire(dto, provider, 200, requestId ?? dto.Id, 1, pricing, model, deferred: true);
    }

    public BatchOutputLineDto? ParseResult(string line)
    {
        MessageBatchResultLineDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(line, AnthropicBatchJsonContext.Default.MessageBatchResultLineDto);
        }
        catch (JsonException)
        {
            return null;
        }

        if (dto?.Result is not { Type: { } type } result)
        {
            return null;
        }

        var output = new BatchOutputLineDto { CustomId = dto.CustomId };
        switch (type)
        {
            case "succeeded" when result.Message is { ValueKind: JsonValueKind.Object } message:
                output.Response = new BatchLineResponseDto { StatusCode = 200, Body = message };
                break;
            case "errored" when result.Error is { ValueKind: JsonValueKind.Object } error:
                output.Response = Errored(error);
                break;
            case "canceled":
                output.Error = new BatchLineErrorDto { Code = "batch_cancelled", Message = "The Message Batch was canceled before this request was processed." };
                break;
            case "expired":
                output.Error = new BatchLineErrorDto { Code = "batch_expired", Message = "The Message Batch expired before this request was processed." };
                break;
            default:
                output.Error = new BatchLineErrorDto { Code = type, Message = $"The Message Batch answered this request with a '{type}' result." };
                break;
        }

        return output;
    }

    /// <summary>
    /// An errored result as the response a live call would have had: <c>{"type":"error","error":{"type","message"},"request_id"}</c>
    /// (an error object without the envelope is wrapped in one), with the HTTP status of its error type.
    /// </summary>
    private static BatchLineResponseDto Errored(JsonElement error)
    {
        JsonElement envelope = error;
        if (!error.TryGetProperty("error", out JsonElement inner) || inner.ValueKind != JsonValueKind.Object)
        {
            using var wrapped = JsonDocument.Parse("{\"type\":\"error\",\"error\":" + error.GetRawText() + "}");
            envelope = wrapped.RootElement.Clone();
            inner = error;
        }

        string? errorType = inner.TryGetProperty("type", out JsonElement typeElement) && typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null;
        string? requestId = envelope.TryGetProperty("request_id", out JsonElement id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        return new BatchLineResponseDto { StatusCode = StatusOf(errorType), Body = envelope, RequestId = requestId };
    }

    /// <summary>The HTTP status Anthropic answers an error type with (its errors reference); an unknown type as a server error.</summary>
    internal static int StatusOf(string? errorType) => errorType switch
    {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    };

    public BatchErrorKind KindOf(int status, ErrorDto? error) => AnthropicErrors.KindOf(status, error);
}
