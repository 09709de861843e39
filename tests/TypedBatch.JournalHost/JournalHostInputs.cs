namespace TypedBatch.JournalHost;

/// <summary>The host's inputs, lazily: the tests build the same ones to resume the batch in their own process.</summary>
public static class JournalHostInputs
{
    public static IEnumerable<IReadOnlyList<PromptMessage>> Create(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return [PromptMessage.System("You are terse."), PromptMessage.User($"item {i}")];
        }
    }
}
