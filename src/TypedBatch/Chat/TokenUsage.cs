namespace TypedBatch;

/// <summary>Tokens counted by the provider for one request, or summed over many.</summary>
/// <param name="PromptTokens">Tokens in the prompt.</param>
/// <param name="CompletionTokens">Tokens generated, reasoning tokens included.</param>
/// <param name="TotalTokens">Prompt plus completion, as the provider reports it.</param>
/// <param name="CachedTokens">Prompt tokens served from the provider's prompt cache.</param>
/// <param name="ReasoningTokens">Completion tokens spent on hidden reasoning.</param>
public readonly record struct TokenUsage(
    long PromptTokens,
    long CompletionTokens,
    long TotalTokens,
    long CachedTokens = 0,
    long ReasoningTokens = 0)
{
    /// <summary>No tokens.</summary>
    public static TokenUsage Zero => default;

    /// <summary>Adds two usages field by field.</summary>
    public static TokenUsage operator +(TokenUsage left, TokenUsage right) => new(
        left.PromptTokens + right.PromptTokens,
        left.CompletionTokens + right.CompletionTokens,
        left.TotalTokens + right.TotalTokens,
        left.CachedTokens + right.CachedTokens,
        left.ReasoningTokens + right.ReasoningTokens);

    /// <summary>Adds two usages field by field.</summary>
    public static TokenUsage Add(TokenUsage left, TokenUsage right) => left + right;
}
