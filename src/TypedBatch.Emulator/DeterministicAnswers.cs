namespace TypedBatch.Emulator;

/// <summary>A chat answer and its token accounting.</summary>
internal readonly record struct ChatAnswer(string Content, string FinishReason, int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// The answers the emulator gives, derived only from the request: "Re: " and the last user
/// message (the last message when no user spoke), cut to <c>max_tokens * 4</c> characters; tokens estimated as a quarter of the characters.
/// </summary>
internal static class DeterministicAnswers
{
    /// <summary>What every chat answer starts with.</summary>
    public const string ChatPrefix = "Re: ";

    /// <summary>The answer to a chat request.</summary>
    public static ChatAnswer Chat(ChatRequest request)
    {
        var messages = request.Messages;
        var echoed = messages.Count - 1;
        var promptTokens = 3;
        for (var i = 0; i < messages.Count; i++)
        {
            promptTokens += 3 + EstimateTokens(messages[i].Content);
            if (messages[i].Role == "user")
            {
                echoed = i;
            }
        }

        var content = ChatPrefix + messages[echoed].Content;
        var finishReason = "stop";
        if (request.MaxTokens is int maxTokens && content.Length > (long)maxTokens * 4)
        {
            var length = maxTokens * 4;
            if (char.IsHighSurrogate(content[length - 1]))
            {
                length--; // never split a surrogate pair
            }

            content = content[..length];
            finishReason = "length";
        }

        return new ChatAnswer(content, finishReason, promptTokens, Math.Max(1, EstimateTokens(content)));
    }

    /// <summary>The token estimate of a text: its length divided by four, rounded up.</summary>
    public static int EstimateTokens(string? text) => text is null ? 0 : (int)(((long)text.Length + 3) / 4);
}
