namespace TypedBatch.Emulator.Structured;

/// <summary>
/// Identifies a conversation across the requests of a repair loop: the <see cref="RequestFingerprint"/>
/// of the model and the first user message alone (the first message when no user spoke), so
/// appending messages keeps the key.
/// </summary>
internal static class ConversationKey
{
    /// <summary>The request's conversation key, 16 hex digits.</summary>
    public static string Of(ChatRequest request) =>
        RequestFingerprint.Compute(request.Model, [("user", FirstUserMessage(request) ?? "")]);

    /// <summary>The content of the first user message, else of the first message.</summary>
    public static string? FirstUserMessage(ChatRequest request)
    {
        foreach (PromptMessage message in request.Messages)
        {
            if (message.Role == "user")
            {
                return message.Content;
            }
        }

        return request.Messages[0].Content;
    }
}
