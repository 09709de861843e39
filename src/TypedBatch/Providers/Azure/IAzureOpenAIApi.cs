using Refit;
using TypedBatch.Http;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Providers.Azure;

/// <summary>
/// Azure OpenAI's classic deployment routes, relative to <c>{endpoint}/openai</c>: the deployment is in the path and
/// the <c>api-version</c> in the query; the bodies are OpenAI's.
/// </summary>
internal interface IAzureOpenAIApi
{
    [Post("/deployments/{deployment}/chat/completions")]
    Task<IApiResponse<ChatCompletionResponseDto>> CreateChatCompletionAsync(
        string deployment,
        [Query, AliasAs("api-version")] string apiVersion,
        [Body(buffered: true)] ChatCompletionRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);

    /// <summary>The same route streamed: the response comes back once its headers have, its event stream unread.</summary>
    [Post("/deployments/{deployment}/chat/completions")]
    Task<HttpResponseMessage> StreamChatCompletionAsync(
        string deployment,
        [Query, AliasAs("api-version")] string apiVersion,
        [Body(buffered: true)] ChatCompletionRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);

    [Post("/deployments/{deployment}/embeddings")]
    Task<IApiResponse<EmbeddingResponseDto>> CreateEmbeddingsAsync(
        string deployment,
        [Query, AliasAs("api-version")] string apiVersion,
        [Body(buffered: true)] EmbeddingRequestDto request,
        [Property(CallContext.OptionKey)] CallContext call,
        CancellationToken cancellationToken);
}

/// <summary>Azure classic deployments: the call's model is the deployment name.</summary>
internal sealed class AzureDeploymentRoutes(IAzureOpenAIApi api, string apiVersion) : IChatWire
{
    public Task<IApiResponse<ChatCompletionResponseDto>> ChatAsync(ChatCompletionRequestDto request, CallContext call, CancellationToken cancellationToken)
        => api.CreateChatCompletionAsync(call.Model, apiVersion, request, call, cancellationToken);

    public Task<HttpResponseMessage> StreamChatAsync(ChatCompletionRequestDto request, CallContext call, CancellationToken cancellationToken)
        => api.StreamChatCompletionAsync(call.Model, apiVersion, request, call, cancellationToken);

    public Task<IApiResponse<EmbeddingResponseDto>> EmbedAsync(EmbeddingRequestDto request, CallContext call, CancellationToken cancellationToken)
        => api.CreateEmbeddingsAsync(call.Model, apiVersion, request, call, cancellationToken);
}
