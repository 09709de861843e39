using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Refit;
using TypedBatch.Providers;
using TypedBatch.Providers.Anthropic;
using TypedBatch.Providers.OpenAI;
using TypedBatch.Resilience;

namespace TypedBatch.Deferred;

/// <summary>
/// <see cref="IRemoteBatchApi"/> over Anthropic's Message Batches, adapted to the file-and-batch steps deferred mode
/// takes. There are no files: <see cref="UploadAsync"/> keeps the spooled request lines (each already a
/// <c>{custom_id, params}</c> object, <see cref="AnthropicBatchLines"/>) under a local id, and
/// <see cref="CreateBatchAsync"/> streams them as the create call's <c>requests</c> array. A batch's
/// <c>processing_status</c> maps onto the statuses the run knows (<c>in_progress</c>; <c>canceling</c> →
/// <c>cancelling</c>; <c>ended</c> → <c>completed</c>, or <c>cancelled</c> when a cancel was asked), and its output
/// "file" is the batch itself: <see cref="OpenContentAsync"/> streams its <c>results_url</c>, and deleting it deletes
/// the ended batch. The calls go through the provider's own <see cref="HttpClient"/> (<c>x-api-key</c>, the one retry
/// loop, timeouts) without a <c>CallContext</c>, so the Messages API's rate-limit gates do not charge them.
/// </summary>
internal sealed class AnthropicBatchApi : IRemoteBatchApi
{
    private const string SpoolPrefix = "spool-";

    // Management calls carry no CallContext, so no handler counts their attempts; a failure reports the default.
    private const int UncountedAttempts = 1;

    private static readonly HttpRequestOptionsKey<bool> Streamed = new(ResponseValidationHandler.StreamedOptionKey);

    private readonly IAnthropicBatchWire _wire;
    private readonly HttpClient _http;
    private readonly ProviderFailures _failures;
    private readonly ConcurrentDictionary<string, (Stream Lines, long Start)> _spools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _resultsUrls = new(StringComparer.Ordinal);
    private long _spoolCount;

    /// <param name="providerName">The provider's name, for errors.</param>
    /// <param name="wire">The Refit client over <paramref name="http"/>.</param>
    /// <param name="http">The provider's client (its base address is the host root), for the <c>results_url</c> download.</param>
    /// <param name="redactor">Masks secrets in every text read from an answer.</param>
    public AnthropicBatchApi(string providerName, IAnthropicBatchWire wire, HttpClient http, SecretRedactor redactor)
    {
        _wire = wire;
        _http = http;
        _failures = new ProviderFailures(providerName, redactor, AnthropicErrors.KindOf);
    }

    public string ProviderName => _failures.Provider;

    /// <summary>Not sent (a Message Batch holds Messages requests only); named in logs.</summary>
    public string ChatEndpoint => "/v1/messages";

    /// <summary>Anthropic has no embeddings API.</summary>
    public string? EmbeddingsEndpoint => null;

    /// <summary>Anthropic's limit of requests in one Message Batch.</summary>
    public int MaxRequestsPerBatch => 100_000;

    /// <summary>244 MiB of lines, under Anthropic's 256 MB limit on the create call's body.</summary>
    public long MaxBytesPerBatch => 244L * 1024 * 1024;

    public IBatchLineFormat Lines => AnthropicBatchLines.Instance;

    public Task<RemoteFile> UploadAsync(Stream jsonl, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jsonl);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (!jsonl.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable, so that a retry can send it again from its start.", nameof(jsonl));
        }

        cancellationToken.ThrowIfCancellationRequested();
        string id = SpoolPrefix + Interlocked.Increment(ref _spoolCount).ToString(CultureInfo.InvariantCulture);
        _spools[id] = (jsonl, jsonl.Position);
        return Task.FromResult(new RemoteFile(id, jsonl.Length - jsonl.Position));
    }

    public async Task<RemoteBatch> CreateBatchAsync(string inputFileId, string endpoint, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputFileId);
        if (!_spools.TryRemove(inputFileId, out (Stream Lines, long Start) spool))
        {
            throw new InvalidOperationException($"No request lines are kept under '{inputFileId}': UploadAsync keeps them until the batch is created.");
        }

        // Message Batches take no metadata; the custom_ids carry the run.
        using var content = new MessageBatchRequestsContent(spool.Lines, spool.Start);
        using IApiResponse<MessageBatchDto> response = await SendAsync(_wire.CreateBatchAsync(content, cancellationToken), cancellationToken).ConfigureAwait(false);
        return ToRemote(response, EnsureSuccess(response, cancellationToken));
    }

    public async Task<RemoteBatch> GetBatchAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        using IApiResponse<MessageBatchDto> response = await SendAsync(_wire.GetBatchAsync(batchId, cancellationToken), cancellationToken).ConfigureAwait(false);
        return ToRemote(response, EnsureSuccess(response, cancellationToken));
    }

    public async Task<RemoteBatch> CancelBatchAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        using IApiResponse<MessageBatchDto> response = await SendAsync(_wire.CancelBatchAsync(batchId, cancellationToken), cancellationToken).ConfigureAwait(false);
        return ToRemote(response, EnsureSuccess(response, cancellationToken));
    }

    /// <summary>
    /// Streams the results of an ended batch (its id is the output "file"), read from the batch's <c>results_url</c>,
    /// never buffered whole. The URL must be on the API's own origin: the key goes with the request.
    /// </summary>
    public async Task<Stream> OpenContentAsync(string fileId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        RemoteBatch batch = await GetBatchAsync(fileId, cancellationToken).ConfigureAwait(false);
        if (batch.OutputFileId is null || ResultsUrl(fileId) is not { } url)
        {
            throw new ProviderException(BatchErrorKind.Http, ProviderName, $"Message Batch {fileId} has no results_url (it is '{batch.Status}'): there are no results to read.", null) { Attempts = UncountedAttempts };
        }

        Uri results = new(_http.BaseAddress!, url);
        if (!string.Equals(results.GetLeftPart(UriPartial.Authority), _http.BaseAddress!.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase))
        {
            throw new ProviderException(BatchErrorKind.Http, ProviderName, $"Message Batch {fileId}'s results_url is on another host than the API's; it was not requested, since the API key would go with it.", null) { Attempts = UncountedAttempts };
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, results);
        request.Options.Set(Streamed, true);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ProviderFailures.IsSendFailure(ex))
        {
            throw _failures.NoAnswer(ex, null, UncountedAttempts);
        }

        try
        {
            if (!response.IsSuccessStatusCode)
            {
                // Error bodies are still read whole (and bounded) inside the pipeline; only a 2xx body is left unread.
                string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw _failures.ErrorAnswer(response.StatusCode, response.ReasonPhrase, body, RequestId(response.Headers), UncountedAttempts);
            }

            Stream content = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new ResponseContentStream(response, content);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Drops kept request lines (an input "file" whose batch was not created), or deletes an ended batch and its results
    /// (an output "file"); a batch already gone is not an error.
    /// </summary>
    public async Task DeleteFileAsync(string fileId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        if (fileId.StartsWith(SpoolPrefix, StringComparison.Ordinal))
        {
            _spools.TryRemove(fileId, out _);
            return; // local: nothing was uploaded
        }

        using IApiResponse<MessageBatchDeletedDto> response = await SendAsync(_wire.DeleteBatchAsync(fileId, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return; // already gone: what deleting it was for
        }

        EnsureSuccess(response, cancellationToken);
    }

    private string? ResultsUrl(string batchId) => _resultsUrls.TryGetValue(batchId, out string? url) ? url : null;

    private static string? RequestId(HttpResponseHeaders? headers)
        => headers is null ? null
            : headers.TryGetValues("request-id", out IEnumerable<string>? ids) ? ids.FirstOrDefault()
            : headers.TryGetValues("x-request-id", out ids) ? ids.FirstOrDefault()
            : null;

    private async Task<IApiResponse<T>> SendAsync<T>(Task<IApiResponse<T>> send, CancellationToken cancellationToken)
    {
        try
        {
            return await send.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (ProviderException)
        {
            throw;
        }
        catch (Exception ex) when (ProviderFailures.IsSendFailure(ex))
        {
            throw _failures.NoAnswer(ex, null, UncountedAttempts);
        }
    }

    private T EnsureSuccess<T>(IApiResponse<T> response, CancellationToken cancellationToken)
        where T : class
    {
        if (response.IsSuccessful && response.Content is { } content)
        {
            return content;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (response.HasRequestError(out ApiRequestException? requestError))
        {
            throw _failures.NoAnswer(requestError, null, UncountedAttempts);
        }

        string? requestId = RequestId(response.Headers);
        if (response.IsSuccessStatusCode)
        {
            throw _failures.UnreadableBody((int?)response.StatusCode, response.Error, requestId, UncountedAttempts);
        }

        throw _failures.ErrorAnswer(response.StatusCode, response.ReasonPhrase, (response.Error as ApiException)?.Content, requestId, UncountedAttempts);
    }

    /// <summary>A Message Batch in the run's words; an ended batch's output "file" is the batch itself, read through its <c>results_url</c>.</summary>
    private RemoteBatch ToRemote(IApiResponse response, MessageBatchDto batch)
    {
        if (string.IsNullOrEmpty(batch.Id) || string.IsNullOrEmpty(batch.ProcessingStatus))
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, ProviderName, "The Message Batch object has no id or no processing_status.", (int?)response.StatusCode)
            {
                RequestId = _failures.Redactor.RedactOrNull(RequestId(response.Headers)),
            };
        }

        string status = batch.ProcessingStatus switch
        {
            "canceling" => "cancelling",
            "ended" => batch.CancelInitiatedAt is null ? "completed" : "cancelled",
            string other => other,
        };
        bool results = batch.ProcessingStatus == "ended" && !string.IsNullOrEmpty(batch.ResultsUrl);
        if (results)
        {
            _resultsUrls[batch.Id] = batch.ResultsUrl!;
        }

        MessageBatchCountsDto counts = batch.RequestCounts ?? new MessageBatchCountsDto();
        return new RemoteBatch(batch.Id, status)
        {
            Total = counts.Processing + counts.Succeeded + counts.Errored + counts.Canceled + counts.Expired,
            Completed = counts.Succeeded,
            Failed = counts.Errored + counts.Canceled + counts.Expired,
            OutputFileId = results ? batch.Id : null,
        };
    }
}
