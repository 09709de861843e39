namespace TypedBatch.Deferred;

/// <summary>
/// What differs between the Batch APIs TypedBatch speaks, beyond the base address: the <c>url</c> of an input line and
/// the <c>endpoint</c> of a batch, and the <c>api-version</c> query Azure's classic routes need.
/// </summary>
/// <param name="ChatEndpoint">The <c>url</c>/<c>endpoint</c> of chat completions.</param>
/// <param name="EmbeddingsEndpoint">The <c>url</c>/<c>endpoint</c> of embeddings.</param>
/// <param name="ApiVersion">The <c>api-version</c> of every call, or <see langword="null"/> for none.</param>
internal sealed record BatchRoutes(string ChatEndpoint, string EmbeddingsEndpoint, string? ApiVersion)
{
    /// <summary>
    /// OpenAI and compatible servers under their <c>…/v1</c> base, and Azure OpenAI's v1 API under
    /// <c>{endpoint}/openai/v1</c>, whose batch <c>endpoint</c> values are OpenAI's (<c>/v1/chat/completions</c>, …).
    /// </summary>
    public static BatchRoutes OpenAI { get; } = new("/v1/chat/completions", "/v1/embeddings", null);

    /// <summary>
    /// Azure OpenAI's classic routes under <c>{endpoint}/openai</c>, with an <c>api-version</c>: lines and batches name
    /// <c>/chat/completions</c> (Azure's REST reference and batch guide), and the line's <c>model</c> is the deployment.
    /// </summary>
    public static BatchRoutes AzureClassic(string apiVersion) => new("/chat/completions", "/embeddings", apiVersion);
}
