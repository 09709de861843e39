namespace TypedBatch.Limits;

/// <summary>
/// Estimates the tokens a request reserves against a tokens-per-minute limit, the way the provider counts it before
/// running the model: the prompt plus the requested maximum output. The prompt estimate is one token per four
/// characters plus the chat format's per-message overhead, corrected by what the server's <c>usage</c> reports
/// (<see cref="RateLimitGate.PromptCorrection"/>); docs/benchmarks.md measures it against an exact tokenizer.
/// </summary>
internal static class TokenEstimator
{
    private const int PerMessage = 4;
    private const int PerReply = 3;

    /// <summary>The uncorrected prompt estimate of a conversation.</summary>
    /// <param name="messages">The messages.</param>
    public static int EstimatePrompt(IReadOnlyList<PromptMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        long total = PerReply;
        for (int i = 0; i < messages.Count; i++)
        {
            total += PerMessage + ((messages[i].Content.Length + 3) / 4);
        }

        return (int)Math.Min(total, int.MaxValue);
    }

    /// <summary>The tokens an attempt reserves: the corrected prompt estimate plus the requested maximum output.</summary>
    /// <param name="estimatedPrompt">From <see cref="EstimatePrompt"/>.</param>
    /// <param name="maxTokens">The requested maximum output, if any.</param>
    /// <param name="correction">The gate's learned prompt correction.</param>
    public static int Reservation(int estimatedPrompt, int? maxTokens, double correction)
        => (int)Math.Min(int.MaxValue, Math.Ceiling(estimatedPrompt * correction) + (maxTokens ?? 0));
}
