namespace TypedBatch;

/// <summary>
/// One piece of a streamed chat answer (<c>TypedBatchClient.StreamChatCompletionAsync</c>): a delta of the text or of a
/// refusal as it arrives, and, on the last updates, the finish reason and the usage. Concatenating every
/// <see cref="Text"/> gives the answer's content.
/// </summary>
public sealed record ChatCompletionUpdate
{
    /// <summary>The next piece of the answer's text; <see langword="null"/> on an update that carries none.</summary>
    public string? Text { get; init; }

    /// <summary>The next piece of a refusal, when the model refuses instead of answering.</summary>
    public string? Refusal { get; init; }

    /// <summary>Why the answer ended (<c>stop</c>, <c>length</c>, <c>content_filter</c>, …), on the update that ends it.</summary>
    public string? FinishReason { get; init; }

    /// <summary>
    /// The answer's tokens, on the last update when the server reports usage for streams (TypedBatch asks for it with
    /// <c>stream_options.include_usage</c>); <see langword="null"/> on the others.
    /// </summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>What the answer cost, in USD, on the update that carries <see cref="Usage"/> (see <see cref="ChatCompletion.Cost"/>).</summary>
    public decimal? Cost { get; init; }

    /// <summary>The model that answered, as the server names it.</summary>
    public string? Model { get; init; }

    /// <summary>The completion's id.</summary>
    public string? Id { get; init; }

    /// <summary>The provider that answered (see <c>IChatProvider.Name</c>).</summary>
    public string? Provider { get; init; }

    /// <summary>HTTP attempts made before the stream began, retries included.</summary>
    public int Attempts { get; init; } = 1;

    /// <summary>Returns the text delta.</summary>
    public override string ToString() => Text ?? Refusal ?? string.Empty;
}
