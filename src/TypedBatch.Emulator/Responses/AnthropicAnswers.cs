using System.Text.Json;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>
/// An Anthropic message: one content block (text, or <c>tool_use</c> with its input as JSON text), the
/// stop reason and the usage. <see cref="StreamedToolJson"/> is what a stream sends as
/// <c>input_json_delta</c>s: the input, or for a cut-off tool call the cut text.
/// </summary>
internal sealed record AnthropicMessage(
    string Id, string Model, string? Text, string? ToolUseId, string? ToolName, string? ToolInput, string StopReason, string? StopSequence,
    int InputTokens, int OutputTokens)
{
    /// <summary>The partial JSON a stream sends for a <c>tool_use</c> block.</summary>
    public string StreamedToolJson { get; init; } = "";

    /// <summary>Whether the content block is a <c>tool_use</c> block.</summary>
    public bool IsToolUse => ToolName is not null;
}

/// <summary>
/// Turns the shared <see cref="ChatAnswer"/> (the same text, structured JSON and bad answers the OpenAI
/// surface gives) into an Anthropic message: <c>finish_reason: length</c> becomes <c>stop_reason:
/// max_tokens</c>, a refusal (<c>[[refuse]]</c>) a text block with <c>stop_reason: refusal</c> (Anthropic's
/// stop reason for refusals), a forced tool call a <c>tool_use</c> block with <c>stop_reason: tool_use</c>;
/// then the first <c>stop_sequences</c> match in a text cuts it there with <c>stop_reason: stop_sequence</c>.
/// </summary>
internal static class AnthropicAnswers
{
    /// <summary>Builds the message answering <paramref name="request"/>.</summary>
    public static AnthropicMessage Create(MessagesRequest request, ChatAnswer answer, string id, Func<string> nextToolUseId)
    {
        int inputTokens = answer.PromptTokens;
        if (answer.Content is null)
        {
            string refusal = answer.Refusal ?? BadAnswers.RefusalText;
            return Text(id, request, refusal, "refusal", null, inputTokens);
        }

        string content = answer.Content;
        bool cut = answer.FinishReason == "length";
        if (request.Output == MessagesOutput.ToolUse)
        {
            if (cut)
            {
                // A tool call cut off by max_tokens: the block is incomplete; its final input is empty.
                return new AnthropicMessage(id, request.Model, null, nextToolUseId(), request.ToolName, "{}", "max_tokens", null, inputTokens, Tokens(content))
                {
                    StreamedToolJson = content,
                };
            }

            if (IsJsonObject(content))
            {
                return new AnthropicMessage(id, request.Model, null, nextToolUseId(), request.ToolName, content, "tool_use", null, inputTokens, Tokens(content))
                {
                    StreamedToolJson = content,
                };
            }

            // A bad-answer marker made the "input" something other than an object: answer it as text.
        }

        if (cut)
        {
            return Text(id, request, content, "max_tokens", null, inputTokens);
        }

        int stopAt = -1;
        string? stopSequence = null;
        foreach (string sequence in request.StopSequences)
        {
            int at = content.IndexOf(sequence, StringComparison.Ordinal);
            if (at >= 0 && (stopAt < 0 || at < stopAt))
            {
                stopAt = at;
                stopSequence = sequence;
            }
        }

        return stopSequence is null
            ? Text(id, request, content, "end_turn", null, inputTokens)
            : Text(id, request, content[..stopAt], "stop_sequence", stopSequence, inputTokens);
    }

    private static AnthropicMessage Text(string id, MessagesRequest request, string text, string stopReason, string? stopSequence, int inputTokens) =>
        new(id, request.Model, text, null, null, null, stopReason, stopSequence, inputTokens, Tokens(text));

    private static int Tokens(string text) => Math.Max(1, DeterministicAnswers.EstimateTokens(text));

    private static bool IsJsonObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
