namespace TypedBatch;

/// <summary>One chat request as a provider receives it: the messages and fully resolved settings.</summary>
/// <param name="Messages">The conversation, in order.</param>
/// <param name="Settings">Settings with <see cref="CompletionSettings.Model"/> resolved.</param>
public sealed record ChatRequest(IReadOnlyList<PromptMessage> Messages, CompletionSettings Settings)
{
    /// <summary>The model to call.</summary>
    public string Model => Settings.Model ?? throw new InvalidOperationException("ChatRequest.Settings.Model must be resolved before a provider is called.");
}

/// <summary>One embeddings request as a provider receives it.</summary>
/// <param name="Inputs">Texts to embed, at most 2,048.</param>
/// <param name="Model">The embedding model.</param>
/// <param name="Dimensions">Requested vector length, for models that support shortening.</param>
public sealed record EmbeddingRequest(IReadOnlyList<string> Inputs, string Model, int? Dimensions = null);

/// <summary>A provider's answer to an <see cref="EmbeddingRequest"/>.</summary>
/// <param name="Embeddings">One embedding per input, in input order.</param>
/// <param name="Usage">Tokens counted.</param>
/// <param name="Attempts">HTTP attempts made, retries included.</param>
public sealed record EmbeddingResponse(IReadOnlyList<EmbeddingVector> Embeddings, TokenUsage Usage, int Attempts = 1)
{
    /// <summary>What the request cost, in USD (see <see cref="ChatCompletion.Cost"/>); <see langword="null"/> when the model has no price.</summary>
    public decimal? Cost { get; init; }
}
