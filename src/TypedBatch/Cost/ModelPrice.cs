namespace TypedBatch;

/// <summary>
/// What one model costs, in US dollars per million tokens: prompt tokens, prompt tokens served from the provider's
/// prompt cache, and output tokens (reasoning tokens included, as providers bill them), with the Batch API's discount.
/// </summary>
/// <param name="InputPerMillion">USD per million prompt tokens.</param>
/// <param name="OutputPerMillion">USD per million output tokens (reasoning tokens are output tokens).</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion)
{
    private const decimal Million = 1_000_000m;

    /// <summary>
    /// USD per million cached prompt tokens (<see cref="TokenUsage.CachedTokens"/>: OpenAI's <c>cached_tokens</c>,
    /// Anthropic's <c>cache_read_input_tokens</c>); <see langword="null"/> bills them as <see cref="InputPerMillion"/>.
    /// Prompt tokens written to Anthropic's cache bill as input here, below its 1.25× (5-minute) or 2× (1-hour) price.
    /// </summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>
    /// The fraction taken off every token answered through the provider's Batch API (<see cref="BatchMode.Deferred"/>):
    /// 0.5 by default, that of OpenAI's and Azure OpenAI's Batch API and of Anthropic's Message Batches; 0 to 1.
    /// </summary>
    public decimal BatchDiscount { get; init; } = 0.5m;

    /// <summary>What <paramref name="usage"/> costs at this price, in USD.</summary>
    /// <param name="usage">The tokens counted.</param>
    /// <param name="deferred">Whether they were answered through the Batch API (billed with <see cref="BatchDiscount"/>).</param>
    public decimal Cost(TokenUsage usage, bool deferred = false)
    {
        long cached = Math.Clamp(usage.CachedTokens, 0, Math.Max(0, usage.PromptTokens));
        decimal cost = ((usage.PromptTokens - cached) * InputPerMillion
            + cached * (CachedInputPerMillion ?? InputPerMillion)
            + usage.CompletionTokens * OutputPerMillion) / Million;
        return deferred ? cost * (1 - BatchDiscount) : cost;
    }

    /// <summary>Throws when a value is out of range, naming it.</summary>
    /// <param name="paramName">The argument name to report.</param>
    public void Validate(string paramName = "price")
    {
        if (InputPerMillion < 0)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(InputPerMillion)}", InputPerMillion, "A price must not be negative.");
        }

        if (OutputPerMillion < 0)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(OutputPerMillion)}", OutputPerMillion, "A price must not be negative.");
        }

        if (CachedInputPerMillion is < 0)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(CachedInputPerMillion)}", CachedInputPerMillion, "A price must not be negative.");
        }

        if (BatchDiscount is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(BatchDiscount)}", BatchDiscount, "BatchDiscount is a fraction between 0 and 1 (0.5 is half price).");
        }
    }
}
