namespace TypedBatch;

/// <summary>Argument checks shared by the public entry points, so every one reports the same way.</summary>
internal static class Guard
{
    public static void Temperature(double? temperature, string paramName)
    {
        if (temperature is { } t && (double.IsNaN(t) || t < 0 || t > 2))
        {
            throw new ArgumentOutOfRangeException(paramName, t, "Temperature must be between 0 and 2.");
        }
    }

    public static void MaxTokens(int? maxTokens, string paramName)
    {
        if (maxTokens is < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, maxTokens, "MaxTokens must be at least 1.");
        }
    }

    public static void Workers(int workers, string paramName)
    {
        if (workers < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, workers, "The number of concurrent requests must be at least 1.");
        }
    }

    /// <summary>Checks one conversation; returns an error text instead of throwing so lazy batches can fail one item.</summary>
    public static string? DescribeInvalidMessages(IReadOnlyList<PromptMessage>? messages)
    {
        if (messages is null)
        {
            return "the message list is null";
        }

        if (messages.Count == 0)
        {
            return "the message list is empty";
        }

        for (int i = 0; i < messages.Count; i++)
        {
            PromptMessage? message = messages[i];
            if (message is null)
            {
                return $"message {i} is null";
            }

            if (string.IsNullOrWhiteSpace(message.Content))
            {
                return $"message {i} ({message.Role}) has empty content";
            }
        }

        return null;
    }

    public static void Messages(IReadOnlyList<PromptMessage>? messages, string paramName)
    {
        ArgumentNullException.ThrowIfNull(messages, paramName);
        if (DescribeInvalidMessages(messages) is { } problem)
        {
            throw new ArgumentException($"Invalid {paramName}: {problem}.", paramName);
        }
    }
}
