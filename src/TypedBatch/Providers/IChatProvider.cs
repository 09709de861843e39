namespace TypedBatch;

/// <summary>
/// One LLM service. Implementations send one request each and leave retries to the <see cref="HttpClient"/>
/// pipeline; failures are thrown as <see cref="ProviderException"/>.
/// </summary>
public interface IChatProvider
{
    /// <summary>A short name for logs and results, for example <c>openai</c> or <c>github-copilot</c>.</summary>
    string Name { get; }

    /// <summary>Sends one chat completion request.</summary>
    /// <param name="request">The request, with its model resolved.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ProviderException">The call failed after retries.</exception>
    Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends one chat completion request and streams the answer as it arrives. The default implementation, for
    /// providers that cannot stream, sends <see cref="CompleteAsync"/> and hands the whole answer over as one update.
    /// </summary>
    /// <param name="request">The request, with its model resolved.</param>
    /// <param name="cancellationToken">Cancels the call and the stream.</param>
    /// <exception cref="ProviderException">The call failed after retries, or the stream broke after it began.</exception>
    IAsyncEnumerable<ChatCompletionUpdate> StreamAsync(ChatRequest request, CancellationToken cancellationToken = default)
        => ChatStreaming.WholeAnswerAsync(this, request, cancellationToken);

    /// <summary>Sends one embeddings request (at most 2,048 inputs).</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ProviderException">The call failed after retries.</exception>
    Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default);
}
