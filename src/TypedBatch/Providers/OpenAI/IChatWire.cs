using Refit;
using TypedBatch.Http;

namespace TypedBatch.Providers.OpenAI;

/// <summary>
/// Where an OpenAI-shaped request goes: OpenAI's routes (<c>/chat/completions</c>, <c>/embeddings</c> under the base
/// URL) or Azure OpenAI's classic deployment routes. The provider maps and checks; this only sends.
/// </summary>
internal interface IChatWire
{
    Task<IApiResponse<ChatCompletionResponseDto>> ChatAsync(ChatCompletionRequestDto request, CallContext call, CancellationToken cancellationToken);

    /// <summary>A streamed chat request: the response once its headers have come, its body unread.</summary>
    Task<HttpResponseMessage> StreamChatAsync(ChatCompletionRequestDto request, CallContext call, CancellationToken cancellationToken);

    Task<IApiResponse<EmbeddingResponseDto>> EmbedAsync(EmbeddingRequestDto request, CallContext call, CancellationToken cancellationToken);
}

/// <summary>OpenAI's own routes, also used by compatible servers, Copilot and Azure's <c>/openai/v1/</c> API.</summary>
internal sealed class OpenAIRoutes(IOpenAIApi api) : IChatWire
{
    public Task<IApiResponse<ChatCompletionResponseDto>> ChatAsync(ChatCompletionRequestDto request, CallContext call, CancellationToken cancellationToken)
        => api.CreateChatCompletionAsync(request, call, cancellationToken);

    public Task<HttpResponseMessage> StreamChatAsync(ChatCompletionRequestDto request, CallContext call, CancellationToken cancellationToken)
        => api.StreamChatCompletionAsync(request, call, cancellationToken);

    public Task<IApiResponse<EmbeddingResponseDto>> EmbedAsync(EmbeddingRequestDto request, CallContext call, CancellationToken cancellationToken)
        => api.CreateEmbeddingsAsync(request, call, cancellationToken);
}
