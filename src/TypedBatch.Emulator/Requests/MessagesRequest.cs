using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>What an Anthropic request asks to be answered as.</summary>
internal enum MessagesOutput
{
    /// <summary>A text block.</summary>
    Text,

    /// <summary>A <c>tool_use</c> block: <c>tool_choice</c> forces a tool (<c>{"type":"tool","name"}</c> or <c>{"type":"any"}</c>).</summary>
    ToolUse,

    /// <summary>A text block whose text is JSON valid against <c>output_config.format.schema</c>.</summary>
    JsonSchema,
}

/// <summary>
/// An Anthropic <c>POST /v1/messages</c> body (also the <c>params</c> of a Message Batch request), read
/// and validated. The conversation becomes a shared <see cref="ChatRequest"/> (the top-level
/// <c>system</c> as a first <c>system</c> message), so the answer, its structured JSON, the markers and
/// the fingerprint are those the OpenAI surface gives the same prompt.
/// </summary>
/// <remarks>
/// Checked against Anthropic's Messages reference (platform.claude.com/docs/en/api/messages/create):
/// <c>model</c>, <c>max_tokens</c> (minimum 1) and <c>messages</c> are required; roles are <c>user</c> and
/// <c>assistant</c>, system is top level (a string or text blocks); <c>temperature</c> and <c>top_p</c> are
/// 0–1, <c>top_k</c> a non-negative integer. Structured output: the GA field is
/// <c>output_config.format</c> (<c>{"type":"json_schema","schema"}</c>, no beta header); the beta
/// <c>output_format</c> is read only with <c>anthropic-beta: structured-outputs-2025-11-13</c> (WIRE.md names
/// neither). Errors are worded as the real service words its validation errors, <c>field.path: rule</c>.
/// Content blocks other than text (images, tool results) are not supported by the emulator and are
/// rejected, naming the block.
/// </remarks>
internal sealed class MessagesRequest
{
    /// <summary>The beta that enables the pre-GA <c>output_format</c> field.</summary>
    public const string StructuredOutputsBeta = "structured-outputs-2025-11-13";

    private const int MaxToolNameLength = 64;

    private MessagesRequest(ChatRequest chat, bool stream, List<string> stopSequences, MessagesOutput output, string? toolName)
    {
        Chat = chat;
        Stream = stream;
        StopSequences = stopSequences;
        Output = output;
        ToolName = toolName;
    }

    /// <summary>The conversation as the shared answer code reads it; its format holds the tool's or the output format's schema.</summary>
    public ChatRequest Chat { get; }

    /// <summary>The model, echoed in the answer.</summary>
    public string Model => Chat.Model;

    /// <summary><c>max_tokens</c>.</summary>
    public int MaxTokens => Chat.MaxTokens!.Value;

    /// <summary>Whether the answer is streamed as server-sent events.</summary>
    public bool Stream { get; }

    /// <summary><c>stop_sequences</c>; empty when absent.</summary>
    public List<string> StopSequences { get; }

    /// <summary>What kind of content block answers.</summary>
    public MessagesOutput Output { get; }

    /// <summary>The forced tool, for <see cref="MessagesOutput.ToolUse"/>.</summary>
    public string? ToolName { get; }

    /// <summary>Reads and validates a body; returns <see langword="null"/> with the message of a 400 when invalid.</summary>
    /// <param name="root">The body.</param>
    /// <param name="betas">The <c>anthropic-beta</c> header, comma-separated; empty when absent.</param>
    /// <param name="error">Why the body is invalid.</param>
    public static MessagesRequest? Parse(JsonElement root, string betas, [NotNullWhen(false)] out string? error)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "body: Input should be a valid dictionary";
            return null;
        }

        if (!TryReadModel(root, out string? model, out error)
            || !TryReadMaxTokens(root, out int maxTokens, out error)
            || !TryReadMessages(root, out List<PromptMessage>? messages, out error)
            || !TryCheckSampling(root, out error)
            || !TryReadStopSequences(root, out List<string>? stopSequences, out error)
            || !TryReadBoolean(root, "stream", out bool stream, out error)
            || !TryReadOutput(root, betas, out MessagesOutput output, out string? toolName, out ResponseFormat? format, out error))
        {
            return null;
        }

        return new MessagesRequest(ChatRequest.Create(model, messages, maxTokens, format), stream, stopSequences, output, toolName);
    }

    private static bool TryReadBoolean(JsonElement obj, string name, out bool value, [NotNullWhen(false)] out string? error)
    {
        value = false;
        error = null;
        if (!RequestFields.TryGet(obj, name, out JsonElement element))
        {
            return true;
        }

        if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            error = $"{name}: Input should be a valid boolean";
            return false;
        }

        value = element.ValueKind == JsonValueKind.True;
        return true;
    }

    private static bool TryReadModel(JsonElement root, [NotNullWhen(true)] out string? model, [NotNullWhen(false)] out string? error)
    {
        model = null;
        error = null;
        if (!RequestFields.TryGet(root, "model", out JsonElement element))
        {
            error = "model: Field required";
            return false;
        }

        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } text)
        {
            error = "model: Input should be a non-empty string";
            return false;
        }

        model = text;
        return true;
    }

    private static bool TryReadMaxTokens(JsonElement root, out int maxTokens, [NotNullWhen(false)] out string? error)
    {
        maxTokens = 0;
        error = null;
        if (!RequestFields.TryGet(root, "max_tokens", out JsonElement element))
        {
            error = "max_tokens: Field required";
            return false;
        }

        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out maxTokens))
        {
            error = "max_tokens: Input should be a valid integer";
            return false;
        }

        if (maxTokens < 1)
        {
            error = "max_tokens: Input should be greater than or equal to 1";
            return false;
        }

        return true;
    }

    private static bool TryReadMessages(JsonElement root, [NotNullWhen(true)] out List<PromptMessage>? messages, [NotNullWhen(false)] out string? error)
    {
        messages = null;
        error = null;
        if (!RequestFields.TryGet(root, "messages", out JsonElement array))
        {
            error = "messages: Field required";
            return false;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            error = "messages: Input should be a valid list";
            return false;
        }

        if (array.GetArrayLength() == 0)
        {
            error = "messages: at least one message is required";
            return false;
        }

        messages = new List<PromptMessage>(array.GetArrayLength() + 1);
        if (RequestFields.TryGet(root, "system", out JsonElement system))
        {
            if (!TryReadContent(system, "system", out string? systemText, out error))
            {
                return false;
            }

            messages.Add(new PromptMessage("system", systemText));
        }

        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            string path = $"messages.{index}";
            if (item.ValueKind != JsonValueKind.Object)
            {
                error = $"{path}: Input should be a valid dictionary";
                return false;
            }

            if (!item.TryGetProperty("role", out JsonElement role) || role.ValueKind != JsonValueKind.String)
            {
                error = $"{path}.role: Field required";
                return false;
            }

            string roleText = role.GetString()!;
            if (roleText == "system")
            {
                // The real service's wording for this common mistake.
                error = "messages: Unexpected role \"system\". The Messages API accepts a top-level `system` parameter, not \"system\" as an input message role.";
                return false;
            }

            if (roleText is not ("user" or "assistant"))
            {
                error = $"{path}.role: Input should be 'user' or 'assistant'";
                return false;
            }

            if (!item.TryGetProperty("content", out JsonElement content))
            {
                error = $"{path}.content: Field required";
                return false;
            }

            if (!TryReadContent(content, $"{path}.content", out string? text, out error))
            {
                return false;
            }

            messages.Add(new PromptMessage(roleText, text));
            index++;
        }

        return true;
    }

    // A string, or an array of text blocks whose texts are joined.
    private static bool TryReadContent(JsonElement content, string path, [NotNullWhen(true)] out string? text, [NotNullWhen(false)] out string? error)
    {
        text = null;
        error = null;
        if (content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString()!;
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            error = $"{path}: Input should be a valid string or a list of content blocks";
            return false;
        }

        var joined = new StringBuilder();
        int index = 0;
        foreach (JsonElement block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
            {
                error = $"{path}.{index}.type: Field required";
                return false;
            }

            if (!type.ValueEquals("text"))
            {
                error = $"{path}.{index}.type: the emulator accepts text content blocks only, got '{type.GetString()}'";
                return false;
            }

            if (!block.TryGetProperty("text", out JsonElement blockText) || blockText.ValueKind != JsonValueKind.String)
            {
                error = $"{path}.{index}.text: Field required";
                return false;
            }

            joined.Append(blockText.GetString());
            index++;
        }

        text = joined.ToString();
        return true;
    }

    private static bool TryCheckSampling(JsonElement root, [NotNullWhen(false)] out string? error)
    {
        error = null;
        foreach (string name in (string[])["temperature", "top_p"])
        {
            if (!RequestFields.TryGet(root, name, out JsonElement value))
            {
                continue;
            }

            if (value.ValueKind != JsonValueKind.Number)
            {
                error = $"{name}: Input should be a valid number";
                return false;
            }

            double number = value.GetDouble();
            if (number < 0)
            {
                error = $"{name}: Input should be greater than or equal to 0";
                return false;
            }

            if (number > 1)
            {
                error = $"{name}: Input should be less than or equal to 1";
                return false;
            }
        }

        if (RequestFields.TryGet(root, "top_k", out JsonElement topK) && (topK.ValueKind != JsonValueKind.Number || !topK.TryGetInt32(out int k) || k < 0))
        {
            error = "top_k: Input should be a non-negative integer";
            return false;
        }

        return true;
    }

    private static bool TryReadStopSequences(JsonElement root, [NotNullWhen(true)] out List<string>? stopSequences, [NotNullWhen(false)] out string? error)
    {
        stopSequences = [];
        error = null;
        if (!RequestFields.TryGet(root, "stop_sequences", out JsonElement array))
        {
            return true;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            error = "stop_sequences: Input should be a valid list";
            return false;
        }

        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } sequence)
            {
                error = $"stop_sequences.{index}: Input should be a non-empty string";
                return false;
            }

            stopSequences.Add(sequence);
            index++;
        }

        return true;
    }

    private static bool TryReadOutput(
        JsonElement root, string betas, out MessagesOutput output, out string? toolName, [NotNullWhen(true)] out ResponseFormat? format, [NotNullWhen(false)] out string? error)
    {
        output = MessagesOutput.Text;
        toolName = null;
        format = ResponseFormat.Text;
        if (!TryReadTools(root, out List<(string Name, JsonElement Schema)>? tools, out error)
            || !TryReadToolChoice(root, tools, out (string Name, JsonElement Schema)? forced, out error))
        {
            return false;
        }

        if (forced is { } tool)
        {
            output = MessagesOutput.ToolUse;
            toolName = tool.Name;
            format = new ResponseFormat(ResponseFormatKind.JsonSchema, tool.Name, tool.Schema.Clone());
            return true;
        }

        JsonElement outputFormat = default;
        string path = "output_config.format";
        bool hasFormat = RequestFields.TryGet(root, "output_config", out JsonElement outputConfig)
            && outputConfig.ValueKind == JsonValueKind.Object
            && RequestFields.TryGet(outputConfig, "format", out outputFormat);
        if (!hasFormat && RequestFields.TryGet(root, "output_format", out outputFormat))
        {
            path = "output_format";
            if (!betas.Split(',').Any(static b => b.Trim() == StructuredOutputsBeta))
            {
                error = $"output_format: Extra inputs are not permitted (use output_config.format, or send anthropic-beta: {StructuredOutputsBeta})";
                return false;
            }

            hasFormat = true;
        }

        if (!hasFormat)
        {
            return true;
        }

        if (outputFormat.ValueKind != JsonValueKind.Object || !outputFormat.TryGetProperty("type", out JsonElement type) || !type.ValueEquals("json_schema"))
        {
            error = $"{path}.type: Input should be 'json_schema'";
            return false;
        }

        if (!RequestFields.TryGet(outputFormat, "schema", out JsonElement schema))
        {
            error = $"{path}.schema: Field required";
            return false;
        }

        if (SchemaChecker.FindProblem(schema, strict: false) is { } problem)
        {
            error = $"{path}.schema: {problem}";
            return false;
        }

        output = MessagesOutput.JsonSchema;
        format = new ResponseFormat(ResponseFormatKind.JsonSchema, "output", schema.Clone());
        return true;
    }

    private static bool TryReadTools(JsonElement root, [NotNullWhen(true)] out List<(string Name, JsonElement Schema)>? tools, [NotNullWhen(false)] out string? error)
    {
        tools = [];
        error = null;
        if (!RequestFields.TryGet(root, "tools", out JsonElement array))
        {
            return true;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            error = "tools: Input should be a valid list";
            return false;
        }

        int index = 0;
        foreach (JsonElement tool in array.EnumerateArray())
        {
            string path = $"tools.{index}";
            if (tool.ValueKind != JsonValueKind.Object
                || !tool.TryGetProperty("name", out JsonElement name)
                || name.ValueKind != JsonValueKind.String)
            {
                error = $"{path}.name: Field required";
                return false;
            }

            string nameText = name.GetString()!;
            if (nameText.Length is 0 or > MaxToolNameLength || !nameText.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                error = $"{path}.name: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'";
                return false;
            }

            if (!RequestFields.TryGet(tool, "input_schema", out JsonElement schema))
            {
                error = $"{path}.input_schema: Field required";
                return false;
            }

            if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("type", out JsonElement type) || !type.ValueEquals("object"))
            {
                error = $"{path}.input_schema.type: Input should be 'object'";
                return false;
            }

            if (SchemaChecker.FindProblem(schema, strict: false) is { } problem)
            {
                error = $"{path}.input_schema: {problem}";
                return false;
            }

            tools.Add((nameText, schema));
            index++;
        }

        return true;
    }

    private static bool TryReadToolChoice(
        JsonElement root, List<(string Name, JsonElement Schema)> tools, out (string Name, JsonElement Schema)? forced, [NotNullWhen(false)] out string? error)
    {
        forced = null;
        error = null;
        if (!RequestFields.TryGet(root, "tool_choice", out JsonElement choice))
        {
            return true;
        }

        if (choice.ValueKind != JsonValueKind.Object || !choice.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
        {
            error = "tool_choice.type: Field required";
            return false;
        }

        switch (type.GetString())
        {
            case "auto" or "none":
                return true;
            case "any" when tools.Count > 0:
                forced = tools[0];
                return true;
            case "any":
                error = "tool_choice: tool_choice 'any' requires at least one tool in 'tools'";
                return false;
            case "tool":
                if (!choice.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String)
                {
                    error = "tool_choice.name: Field required";
                    return false;
                }

                string wanted = name.GetString()!;
                foreach ((string Name, JsonElement Schema) tool in tools)
                {
                    if (tool.Name == wanted)
                    {
                        forced = tool;
                        return true;
                    }
                }

                error = $"tool_choice.name: Tool '{wanted}' not found in provided tools";
                return false;
            default:
                error = "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'";
                return false;
        }
    }
}
