namespace TypedBatch;

/// <summary>One message of a chat conversation. Immutable.</summary>
public sealed record PromptMessage
{
    /// <summary>Creates a message.</summary>
    /// <param name="role">Who speaks.</param>
    /// <param name="content">What is said; must not be <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is not a defined role.</exception>
    public PromptMessage(PromptRole role, string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (role is < PromptRole.System or > PromptRole.Assistant)
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown chat role.");
        }

        Role = role;
        Content = content;
    }

    /// <summary>Who speaks.</summary>
    public PromptRole Role { get; }

    /// <summary>What is said.</summary>
    public string Content { get; }

    /// <summary>Creates a <see cref="PromptRole.System"/> message.</summary>
    /// <param name="content">The instructions.</param>
    public static PromptMessage System(string content) => new(PromptRole.System, content);

    /// <summary>Creates a <see cref="PromptRole.User"/> message.</summary>
    /// <param name="content">The user's text.</param>
    public static PromptMessage User(string content) => new(PromptRole.User, content);

    /// <summary>Creates an <see cref="PromptRole.Assistant"/> message.</summary>
    /// <param name="content">The assistant's text.</param>
    public static PromptMessage Assistant(string content) => new(PromptRole.Assistant, content);
}
