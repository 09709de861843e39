using Refit;
using TypedBatch.Http;

namespace TypedBatch.Providers.OpenAI;

/// <summary>
/// The OpenAI-compatible wire calls, relative to the provider's base URL (<c>https://api.openai.com/v1</c>,
/// <c>http://localhost:11434/v1</c>, …), which is the <see cref="HttpClient"/>'s base address. Errors come back in the
/// <see cref="IApiResponse{T}"/> instead of as exceptions, so a failed item costs no throw inside Refit.
/// </summary>
internal interface IOpenAIApi
{
    [Post("/chat/completions")]
    Task<IApiResponse<ChatCompletionResponseDto>> CreateChatCompletionAsync(
        [Body(buffered: true)] ChatCompletionRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);

    /// <summary>
    /// <c>/chat/completions</c> with <c>"stream": true</c>: Refit sends with <see cref="HttpCompletionOption.ResponseHeadersRead"/>
    /// and hands the <see cref="HttpResponseMessage"/> over as soon as its headers have come, its event stream unread
    /// (an error body is still read whole inside the pipeline).
    /// </summary>
    [Post("/chat/completions")]
    Task<HttpResponseMessage> StreamChatCompletionAsync(
        [Body(buffered: true)] ChatCompletionRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);

    [Post("/embeddings")]
    Task<IApiResponse<EmbeddingResponseDto>> CreateEmbeddingsAsync(
        [Body(buffered: true)] EmbeddingRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);
}
