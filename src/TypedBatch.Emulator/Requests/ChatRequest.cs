using System.Text;
using System.Text.Json;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>One message of a chat request; <see cref="Content"/> is null for e.g. tool-call turns.</summary>
internal readonly record struct PromptMessage(string Role, string? Content);

/// <summary>The parts of a chat completion request the emulator reads.</summary>
internal sealed class ChatRequest
{
    private ChatRequest(string model, List<PromptMessage> messages)
    {
        Model = model;
        Messages = messages;
    }

    /// <summary>The requested model, echoed in the answer.</summary>
    public string Model { get; }

    /// <summary>The conversation; never empty.</summary>
    public List<PromptMessage> Messages { get; }

    /// <summary><c>max_completion_tokens</c>, else <c>max_tokens</c>, when given.</summary>
    public int? MaxTokens { get; private set; }

    /// <summary>Whether the answer is streamed as server-sent events.</summary>
    public bool Stream { get; private set; }

    /// <summary>Whether a streamed answer ends with a usage chunk.</summary>
    public bool IncludeUsage { get; private set; }

    /// <summary>The <c>response_format</c>; <see cref="ResponseFormat.Text"/> when absent.</summary>
    public ResponseFormat Format { get; private set; } = ResponseFormat.Text;

    /// <summary>
    /// A request read by another API's parser (Anthropic's messages), so that it is answered by the
    /// same code: deterministic answers, structured answers, bad-answer markers and fingerprints.
    /// </summary>
    public static ChatRequest Create(string model, List<PromptMessage> messages, int maxTokens, ResponseFormat format) =>
        new(model, messages) { MaxTokens = maxTokens, Format = format };

    /// <summary>The request's <see cref="RequestFingerprint"/>.</summary>
    public string Fingerprint() => RequestFingerprint.Compute(Model, Messages.Select(static m => (m.Role, m.Content ?? "")));

    /// <summary>Reads and validates a request body; returns <see langword="null"/> with the reason when invalid.</summary>
    public static ChatRequest? Parse(JsonElement root, out RequestError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = RequestError.UnreadableBody;
            return null;
        }

        if (!RequestFields.TryReadModel(root, out string? model, out error))
        {
            return null;
        }

        List<PromptMessage>? messages = ReadMessages(root, out error);
        if (messages is null)
        {
            return null;
        }

        var request = new ChatRequest(model, messages);
        if (RequestFields.TryGet(root, "temperature", out JsonElement temperature)
            && (temperature.ValueKind != JsonValueKind.Number || temperature.GetDouble() is < 0 or > 2))
        {
            error = RequestError.Invalid("temperature", "expected a number between 0 and 2.");
            return null;
        }

        if (!TryReadMaxTokens(root, "max_tokens", out int? maxTokens, out error)
            || !TryReadMaxTokens(root, "max_completion_tokens", out int? maxCompletionTokens, out error))
        {
            return null;
        }

        request.MaxTokens = maxCompletionTokens ?? maxTokens;

        if (!RequestFields.TryReadBoolean(root, "stream", out bool stream, out error))
        {
            return null;
        }

        request.Stream = stream;
        if (RequestFields.TryGet(root, "stream_options", out JsonElement streamOptions))
        {
            if (streamOptions.ValueKind != JsonValueKind.Object)
            {
                error = RequestError.Invalid("stream_options", "expected an object.");
                return null;
            }

            if (!RequestFields.TryReadBoolean(streamOptions, "include_usage", out bool includeUsage, out error))
            {
                return null;
            }

            request.IncludeUsage = includeUsage;
        }

        var format = ResponseFormat.Parse(root, out error);
        if (format is null)
        {
            return null;
        }

        request.Format = format;
        return request;
    }

    private static List<PromptMessage>? ReadMessages(JsonElement root, out RequestError? error)
    {
        error = null;
        if (!RequestFields.TryGet(root, "messages", out JsonElement array))
        {
            error = RequestError.Missing("messages");
            return null;
        }

        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
        {
            error = RequestError.Invalid("messages", "expected a non-empty array of messages.");
            return null;
        }

        var messages = new List<PromptMessage>(array.GetArrayLength());
        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("role", out JsonElement role)
                || role.ValueKind != JsonValueKind.String)
            {
                error = RequestError.Invalid($"messages[{index}]", "expected an object with a string 'role'.");
                return null;
            }

            if (!TryReadContent(item, out string? content))
            {
                error = RequestError.Invalid($"messages[{index}].content", "expected a string, null or an array of text parts.");
                return null;
            }

            messages.Add(new PromptMessage(role.GetString()!, content));
            index++;
        }

        return messages;
    }

    // Besides a string or null, accepts the array-of-text-parts form that SDKs send for multi-part
    // user messages; the text parts are joined, other part types make the request invalid.
    private static bool TryReadContent(JsonElement message, out string? content)
    {
        content = null;
        if (!message.TryGetProperty("content", out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            content = value.GetString();
            return true;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var text = new StringBuilder();
        foreach (JsonElement part in value.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object
                || !part.TryGetProperty("type", out JsonElement type)
                || !type.ValueEquals("text")
                || !part.TryGetProperty("text", out JsonElement partText)
                || partText.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            text.Append(partText.GetString());
        }

        content = text.ToString();
        return true;
    }

    private static bool TryReadMaxTokens(JsonElement root, string name, out int? value, out RequestError? error)
    {
        value = null;
        error = null;
        if (!RequestFields.TryGet(root, name, out JsonElement element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out int number) || number < 1)
        {
            error = RequestError.Invalid(name, "expected a positive integer.");
            return false;
        }

        value = number;
        return true;
    }
}
