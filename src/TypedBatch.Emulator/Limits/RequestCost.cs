namespace TypedBatch.Emulator.Limits;

/// <summary>
/// What a request reserves from the tokens-per-minute budget, counted as OpenAI counts it: the
/// prompt estimate plus the most the answer may use (<c>max_completion_tokens</c> or
/// <c>max_tokens</c>, <see cref="DefaultCompletionTokens"/> when neither is given); for embeddings,
/// the input tokens.
/// </summary>
internal static class RequestCost
{
    /// <summary>The completion reservation of a chat request that names no token limit.</summary>
    public const int DefaultCompletionTokens = 16;

    /// <summary>The TPM cost of a chat request.</summary>
    public static int Of(ChatRequest request) =>
        (int)Math.Min(int.MaxValue, (long)DeterministicAnswers.PromptTokens(request.Messages) + (request.MaxTokens ?? DefaultCompletionTokens));

    /// <summary>The TPM cost of an embeddings request: the token estimate of its inputs.</summary>
    public static int Of(EmbeddingsRequest request)
    {
        long tokens = 0;
        foreach (string input in request.Inputs)
        {
            tokens += DeterministicAnswers.EstimateTokens(input);
        }

        return (int)Math.Min(int.MaxValue, tokens);
    }
}
