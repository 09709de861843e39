namespace TypedBatch.Deferred;

/// <summary>
/// A provider's Batch API (OpenAI's <c>/files</c> and <c>/batches</c>, Azure OpenAI's global batch, Anthropic's Message
/// Batches): what deferred mode needs of it, whatever the routes, credentials, versions and line shapes. Every call goes through the provider's
/// <see cref="HttpClient"/> pipeline (the one retry loop, timeouts, credentials) but is not charged at the chat
/// rate-limit gates: the Batch API has its own pool. Failures are thrown as <see cref="ProviderException"/>, with
/// secrets masked; a server without the Batch API (404 on <c>/files</c>) is one clear error naming the endpoint.
/// </summary>
internal interface IRemoteBatchApi
{
    /// <summary>The provider's name, for errors and logs.</summary>
    string ProviderName { get; }

    /// <summary>The <c>url</c> of a chat line and the <c>endpoint</c> of a chat batch, for example <c>/v1/chat/completions</c>.</summary>
    string ChatEndpoint { get; }

    /// <summary>The <c>url</c> of an embeddings line and the <c>endpoint</c> of an embeddings batch; <see langword="null"/> when the API batches no embeddings.</summary>
    string? EmbeddingsEndpoint { get; }

    /// <summary>The most requests one remote batch may hold here (OpenAI 50,000, Anthropic 100,000).</summary>
    int MaxRequestsPerBatch { get; }

    /// <summary>The largest input of one remote batch here, in bytes, with a margin under the provider's limit.</summary>
    long MaxBytesPerBatch { get; }

    /// <summary>How this API's request lines are written and its result lines read.</summary>
    IBatchLineFormat Lines { get; }

    /// <summary>
    /// Uploads a JSON Lines file with purpose <c>batch</c> (multipart). The stream must be seekable, so that a retry
    /// can send it again from its start; it is read, not disposed. An API without file uploads (Anthropic's, whose
    /// requests go in the create call's body) keeps the stream instead, which the caller keeps open until
    /// <see cref="CreateBatchAsync"/> (or <see cref="DeleteFileAsync"/> of the returned id) returns.
    /// </summary>
    Task<RemoteFile> UploadAsync(Stream jsonl, string fileName, CancellationToken cancellationToken);

    /// <summary>Creates a batch over an uploaded file, with completion window <c>24h</c>.</summary>
    Task<RemoteBatch> CreateBatchAsync(string inputFileId, string endpoint, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>Reads a batch's status and counts.</summary>
    Task<RemoteBatch> GetBatchAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>Asks the provider to cancel a batch; returns its status after the request (usually <c>cancelling</c>).</summary>
    Task<RemoteBatch> CancelBatchAsync(string batchId, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a file's content as a stream read straight from the response (never buffered whole: an output file can be
    /// hundreds of megabytes). The caller disposes it.
    /// </summary>
    Task<Stream> OpenContentAsync(string fileId, CancellationToken cancellationToken);

    /// <summary>Deletes a file; a file that is already gone (404) is not an error.</summary>
    Task DeleteFileAsync(string fileId, CancellationToken cancellationToken);
}

/// <summary>An uploaded file.</summary>
/// <param name="Id">The file id, for example <c>file-abc123</c>.</param>
/// <param name="Bytes">Its size as the provider counted it.</param>
internal sealed record RemoteFile(string Id, long Bytes);

/// <summary>A remote batch as the provider reports it.</summary>
/// <param name="Id">The batch id.</param>
/// <param name="Status"><c>validating</c>, <c>failed</c>, <c>in_progress</c>, <c>finalizing</c>, <c>completed</c>, <c>expired</c>, <c>cancelling</c> or <c>cancelled</c>.</param>
internal sealed record RemoteBatch(string Id, string Status)
{
    /// <summary>Requests in the batch, from <c>request_counts.total</c>.</summary>
    public int Total { get; init; }

    /// <summary>Requests answered successfully so far, from <c>request_counts.completed</c>.</summary>
    public int Completed { get; init; }

    /// <summary>Requests that failed so far, from <c>request_counts.failed</c>.</summary>
    public int Failed { get; init; }

    /// <summary>The output file (successful lines), once there is one.</summary>
    public string? OutputFileId { get; init; }

    /// <summary>The error file (failed and expired lines), once there is one.</summary>
    public string? ErrorFileId { get; init; }

    /// <summary>Why a <c>failed</c> batch failed (validation errors), masked; empty otherwise.</summary>
    public IReadOnlyList<RemoteBatchError> Errors { get; init; } = [];

    /// <summary>Whether the batch will not change any more.</summary>
    public bool IsTerminal => Status is "completed" or "failed" or "expired" or "cancelled";
}

/// <summary>One validation error of a failed batch.</summary>
/// <param name="Code">The provider's code, for example <c>invalid_json_line</c>.</param>
/// <param name="Message">The message, masked.</param>
/// <param name="Line">The input file's line it is about, when the provider says.</param>
internal sealed record RemoteBatchError(string? Code, string Message, int? Line);
