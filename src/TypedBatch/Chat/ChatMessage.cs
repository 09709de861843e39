namespace TypedBatch;

/// <summary>One message of a chat conversation. Immutable.</summary>
public sealed record ChatMessage
{
    /// <summary>Creates a message.</summary>
    /// <param name="role">Who speaks.</param>
    /// <param name="content">What is said; must not be <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="content"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is not a defined role.</exception>
    public ChatMessage(ChatRole role, string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (role is < ChatRole.System or > ChatRole.Assistant)
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown chat role.");
        }

        Role = role;
        Content = content;
    }

    /// <summary>Who speaks.</summary>
    public ChatRole Role { get; }

    /// <summary>What is said.</summary>
    public string Content { get; }

    /// <summary>Creates a <see cref="ChatRole.System"/> message.</summary>
    /// <param name="content">The instructions.</param>
    public static ChatMessage System(string content) => new(ChatRole.System, content);

    /// <summary>Creates a <see cref="ChatRole.User"/> message.</summary>
    /// <param name="content">The user's text.</param>
    public static ChatMessage User(string content) => new(ChatRole.User, content);

    /// <summary>Creates an <see cref="ChatRole.Assistant"/> message.</summary>
    /// <param name="content">The assistant's text.</param>
    public static ChatMessage Assistant(string content) => new(ChatRole.Assistant, content);
}
