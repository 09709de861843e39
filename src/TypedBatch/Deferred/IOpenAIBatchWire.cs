using Refit;
using TypedBatch.Resilience;

namespace TypedBatch.Deferred;

/// <summary>
/// OpenAI's Files and Batch API routes, relative to the provider's base address: <c>https://api.openai.com/v1</c> (and
/// any compatible server's <c>…/v1</c>), Azure OpenAI's <c>{endpoint}/openai/v1</c>, or Azure's classic
/// <c>{endpoint}/openai</c>, which alone needs an <c>api-version</c> (<see langword="null"/> leaves the query out).
/// No call carries a <c>CallContext</c>: the Batch API has its own limits, so the chat gates must not charge these.
/// Errors come back in the <see cref="IApiResponse{T}"/>, as for the chat calls.
/// </summary>
internal interface IOpenAIBatchWire
{
    /// <summary><c>POST /files</c>, multipart: the part <c>purpose</c> (text) and the part <c>file</c>.</summary>
    [Multipart]
    [Post("/files")]
    Task<IApiResponse<FileObjectDto>> UploadFileAsync(
        [Query, AliasAs("api-version")] string? apiVersion,
        [AliasAs("purpose")] string purpose,
        [AliasAs("file")] StreamPart file,
        CancellationToken cancellationToken);

    /// <summary>
    /// <c>GET /files/{id}/content</c>. The response comes back as soon as its headers have (Refit sends with
    /// <see cref="HttpCompletionOption.ResponseHeadersRead"/> and hands an <see cref="HttpResponseMessage"/> over
    /// unread), and <paramref name="streamed"/> asks <see cref="ResponseValidationHandler"/> not to buffer its 2xx body.
    /// </summary>
    [Get("/files/{fileId}/content")]
    Task<HttpResponseMessage> DownloadFileAsync(
        string fileId,
        [Query, AliasAs("api-version")] string? apiVersion,
        [Property(ResponseValidationHandler.StreamedOptionKey)] bool streamed,
        CancellationToken cancellationToken);

    [Delete("/files/{fileId}")]
    Task<IApiResponse<FileDeletedDto>> DeleteFileAsync(
        string fileId,
        [Query, AliasAs("api-version")] string? apiVersion,
        CancellationToken cancellationToken);

    [Post("/batches")]
    Task<IApiResponse<BatchDto>> CreateBatchAsync(
        [Query, AliasAs("api-version")] string? apiVersion,
        [Body(buffered: true)] CreateBatchRequestDto request,
        CancellationToken cancellationToken);

    [Get("/batches/{batchId}")]
    Task<IApiResponse<BatchDto>> GetBatchAsync(
        string batchId,
        [Query, AliasAs("api-version")] string? apiVersion,
        CancellationToken cancellationToken);

    [Post("/batches/{batchId}/cancel")]
    Task<IApiResponse<BatchDto>> CancelBatchAsync(
        string batchId,
        [Query, AliasAs("api-version")] string? apiVersion,
        CancellationToken cancellationToken);
}
