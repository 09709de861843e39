using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>A chat answer and its token accounting; <see cref="Content"/> is null when <see cref="Refusal"/> is set.</summary>
internal readonly record struct ChatAnswer(string? Content, string? Refusal, string FinishReason, int PromptTokens, int CompletionTokens)
{
    public int TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>
/// The answers the emulator gives, derived only from the request: "Re: " and the last user
/// message (the last message when no user spoke), or for a <c>response_format</c> the JSON of
/// <see cref="StructuredAnswers"/>; then the bad answer a marker asked for; then cut to
/// <c>max_tokens * 4</c> characters. Tokens are estimated as a quarter of the characters.
/// </summary>
internal static class DeterministicAnswers
{
    /// <summary>What every plain chat answer starts with.</summary>
    public const string ChatPrefix = "Re: ";

    /// <summary>The answer to a chat request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="badAnswer">The bad answer to give, from <see cref="BadAnswerMarkers.Choose"/>.</param>
    /// <param name="fingerprint">The request fingerprint, the seed of structured answers.</param>
    /// <exception cref="SchemaGenerationException">The request's schema has no finite instance.</exception>
    public static ChatAnswer Chat(ChatRequest request, BadAnswer badAnswer, string fingerprint)
    {
        List<PromptMessage> messages = request.Messages;
        int echoed = messages.Count - 1;
        int promptTokens = PromptTokens(messages);
        for (int i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role == "user")
            {
                echoed = i;
            }
        }

        string good = ChatPrefix + messages[echoed].Content;
        StructuredContent? structured = request.Format.IsStructured ? StructuredAnswers.Create(request, good, fingerprint) : null;
        AnswerText text = BadAnswers.Apply(badAnswer, structured?.Json ?? good, structured);
        string? content = text.Content;
        string finishReason = text.FinishReason;
        if (content is not null && request.MaxTokens is int maxTokens && content.Length > (long)maxTokens * 4)
        {
            content = Cut(content, maxTokens * 4);
            finishReason = "length";
        }

        return new ChatAnswer(content, text.Refusal, finishReason, promptTokens, Math.Max(1, EstimateTokens(content ?? text.Refusal)));
    }

    /// <summary>The prompt token estimate of a conversation: 3, plus 3 and the content's estimate per message.</summary>
    public static int PromptTokens(IReadOnlyList<PromptMessage> messages)
    {
        int promptTokens = 3;
        for (int i = 0; i < messages.Count; i++)
        {
            promptTokens += 3 + EstimateTokens(messages[i].Content);
        }

        return promptTokens;
    }

    /// <summary>The first <paramref name="length"/> characters of a text, one fewer rather than split a surrogate pair.</summary>
    public static string Cut(string text, int length)
    {
        if (length <= 0)
        {
            return "";
        }

        if (char.IsHighSurrogate(text[length - 1]))
        {
            length--; // never split a surrogate pair
        }

        return text[..length];
    }

    /// <summary>The token estimate of a text: its length divided by four, rounded up.</summary>
    public static int EstimateTokens(string? text) => text is null ? 0 : (int)(((long)text.Length + 3) / 4);
}
