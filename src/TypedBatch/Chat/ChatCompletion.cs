namespace TypedBatch;

/// <summary>The model's answer to one chat request.</summary>
public sealed record ChatCompletion
{
    /// <summary>The generated text; <see langword="null"/> when the model refused.</summary>
    public string? Content { get; init; }

    /// <summary>The refusal text, when the model declined to answer.</summary>
    public string? Refusal { get; init; }

    /// <summary>Why generation stopped: <c>stop</c>, <c>length</c>, <c>content_filter</c>, …; <see langword="null"/> when the server did not say.</summary>
    public string? FinishReason { get; init; }

    /// <summary>The model that answered, as the server names it.</summary>
    public string? Model { get; init; }

    /// <summary>The server's id for the completion; local servers may omit it.</summary>
    public string? Id { get; init; }

    /// <summary>Tokens counted for this answer; zero when the server did not report usage.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>
    /// What this answer cost, in USD, from its <see cref="Usage"/> and the client's <see cref="PriceTable"/> (at the Batch
    /// API's discount for a deferred answer); zero at GitHub Copilot and local servers without a price;
    /// <see langword="null"/> when the model has no price.
    /// </summary>
    public decimal? Cost { get; init; }

    /// <summary>HTTP attempts made to get this answer, retries included.</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>The provider that answered (see <c>IChatProvider.Name</c>).</summary>
    public string? Provider { get; init; }

    /// <summary>Whether a hedge of a slow request took part (its tokens, when it answered too, are in <see cref="Usage"/>).</summary>
    internal bool Hedged { get; init; }

    /// <summary>Returns the content.</summary>
    public override string ToString() => Content ?? Refusal ?? string.Empty;
}
