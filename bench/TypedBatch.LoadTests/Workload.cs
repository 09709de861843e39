namespace TypedBatch.LoadTests;

/// <summary>
/// The one request every client sends: a system message, a user message naming one item, temperature 0.3 and
/// <c>max_tokens</c> 100. The generated <see cref="Clients.ILoadPrompts"/> renders the same messages (checked at start).
/// </summary>
internal static class Workload
{
    public const string SystemPrompt = "You are a helpful assistant.";
    public const float Temperature = 0.3f;
    public const int MaxTokens = 100;

    /// <summary>The user message for <paramref name="topic"/>.</summary>
    public static string UserPrompt(string topic) => $"Explain {topic} in one sentence.";

    /// <summary>
    /// <paramref name="count"/> distinct topics of equal length (<c>item 000001</c>, …), so that every request costs the
    /// emulator the same number of tokens and has its own fingerprint in <c>/emulator/stats</c>.
    /// </summary>
    public static string[] Topics(int count, int offset = 0)
    {
        string[] topics = new string[count];
        for (int i = 0; i < count; i++)
        {
            topics[i] = "item " + (offset + i).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        }

        return topics;
    }

    /// <summary>Throws when the generated prompt client does not send exactly what the other clients send.</summary>
    public static void CheckGeneratedPromptMatches()
    {
        PromptMessage[] rendered = Clients.ILoadPrompts.RenderExplain("item 000001");
        if (rendered.Length != 2 || rendered[0].Content != SystemPrompt || rendered[1].Content != UserPrompt("item 000001"))
        {
            throw new InvalidOperationException("ILoadPrompts.Explain does not render the workload's messages; keep Workload and ILoadPrompts in sync.");
        }
    }
}
