using Refit;

namespace TypedBatch.Deferred;

/// <summary>
/// Anthropic's Message Batches routes, relative to the host root (<c>https://api.anthropic.com</c>). No call carries a
/// <c>CallContext</c>: batches have their own limits, so the Messages API's gates must not charge these. The results
/// are read from the batch's <c>results_url</c> (<see cref="AnthropicBatchApi.OpenContentAsync"/>), whose path the
/// reference says not to assume.
/// </summary>
internal interface IAnthropicBatchWire
{
    /// <summary><c>POST /v1/messages/batches</c> with <c>{"requests":[{custom_id, params}, …]}</c>, streamed from the spool.</summary>
    [Post("/v1/messages/batches")]
    Task<IApiResponse<MessageBatchDto>> CreateBatchAsync([Body] HttpContent requests, CancellationToken cancellationToken);

    [Get("/v1/messages/batches/{batchId}")]
    Task<IApiResponse<MessageBatchDto>> GetBatchAsync(string batchId, CancellationToken cancellationToken);

    [Post("/v1/messages/batches/{batchId}/cancel")]
    Task<IApiResponse<MessageBatchDto>> CancelBatchAsync(string batchId, CancellationToken cancellationToken);

    [Delete("/v1/messages/batches/{batchId}")]
    Task<IApiResponse<MessageBatchDeletedDto>> DeleteBatchAsync(string batchId, CancellationToken cancellationToken);
}
