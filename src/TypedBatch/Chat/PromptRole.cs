namespace TypedBatch;

/// <summary>The author of a chat message.</summary>
public enum PromptRole
{
    /// <summary>Instructions that frame the conversation (<c>system</c> on the wire).</summary>
    System,

    /// <summary>The user's turn (<c>user</c> on the wire).</summary>
    User,

    /// <summary>The model's turn, for example a few-shot answer (<c>assistant</c> on the wire).</summary>
    Assistant,
}
