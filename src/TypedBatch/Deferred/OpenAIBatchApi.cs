using System.Net;
using System.Net.Http.Headers;
using Refit;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Deferred;

/// <summary>
/// <see cref="IRemoteBatchApi"/> over OpenAI's Files and Batch APIs (<see cref="IOpenAIBatchWire"/>): OpenAI, compatible
/// servers, and Azure OpenAI (classic routes with an <c>api-version</c>, or the v1 API). The calls go through the
/// provider's own <see cref="HttpClient"/> (credentials, the one retry loop, timeouts, redirects) without a
/// <c>CallContext</c>, so the chat rate-limit gates do not charge them. Failures become <see cref="ProviderException"/>s
/// as the chat calls' do (<see cref="ProviderFailures"/>).
/// </summary>
internal sealed class OpenAIBatchApi : IRemoteBatchApi
{
    /// <summary>What an uploaded part says it is: what OpenAI's Python SDK sends for a <c>.jsonl</c> file.</summary>
    public const string FileContentType = "application/octet-stream";

    // Management calls carry no CallContext, so no handler counts their attempts; a failure reports the default.
    private const int UncountedAttempts = 1;

    private readonly IOpenAIBatchWire _wire;
    private readonly BatchRoutes _routes;
    private readonly ProviderFailures _failures;
    private readonly string _filesUrl;

    /// <param name="providerName">The provider's name, for errors.</param>
    /// <param name="wire">The Refit client over the provider's <see cref="HttpClient"/>.</param>
    /// <param name="routes">The line/batch endpoints and the <c>api-version</c>, if any.</param>
    /// <param name="baseAddress">The client's base address, to name the Files API in errors.</param>
    /// <param name="redactor">Masks secrets in every text read from an answer.</param>
    public OpenAIBatchApi(string providerName, IOpenAIBatchWire wire, BatchRoutes routes, Uri baseAddress, SecretRedactor redactor)
    {
        _wire = wire;
        _routes = routes;
        _failures = new ProviderFailures(providerName, redactor);
        _filesUrl = redactor.Redact(baseAddress.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/files");
    }

    public string ProviderName => _failures.Provider;

    public string ChatEndpoint => _routes.ChatEndpoint;

    public string EmbeddingsEndpoint => _routes.EmbeddingsEndpoint;

    /// <summary>OpenAI's limit of requests in one input file.</summary>
    public int MaxRequestsPerBatch => 50_000;

    /// <summary>190 MiB, under OpenAI's 200 MB input-file limit.</summary>
    public long MaxBytesPerBatch => 190L * 1024 * 1024;

    public IBatchLineFormat Lines => OpenAIBatchLines.Instance;

    public async Task<RemoteFile> UploadAsync(Stream jsonl, string fileName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jsonl);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (!jsonl.CanSeek)
        {
            throw new ArgumentException("The stream must be seekable, so that a retry can send it again from its start.", nameof(jsonl));
        }

        long length = jsonl.Length - jsonl.Position;
        using IApiResponse<FileObjectDto> response = await SendAsync(
            _wire.UploadFileAsync(_routes.ApiVersion, "batch", new StreamPart(jsonl, fileName, FileContentType), cancellationToken), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            throw NoFilesApi(response);
        }

        FileObjectDto file = EnsureSuccess(response, cancellationToken);
        if (string.IsNullOrEmpty(file.Id))
        {
            throw Unreadable(response, "The uploaded file's object has no id.");
        }

        // A compatible server that does not count the bytes: the size sent is the size stored.
        return new RemoteFile(file.Id, file.Bytes ?? length);
    }

    public async Task<RemoteBatch> CreateBatchAsync(string inputFileId, string endpoint, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(inputFileId);
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        ArgumentNullException.ThrowIfNull(metadata);
        var request = new CreateBatchRequestDto
        {
            InputFileId = inputFileId,
            Endpoint = endpoint,
            CompletionWindow = "24h",
            Metadata = metadata.Count > 0 ? metadata : null,
        };
        using IApiResponse<BatchDto> response = await SendAsync(_wire.CreateBatchAsync(_routes.ApiVersion, request, cancellationToken), cancellationToken).ConfigureAwait(false);
        return ToRemote(response, EnsureSuccess(response, cancellationToken));
    }

    public async Task<RemoteBatch> GetBatchAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        using IApiResponse<BatchDto> response = await SendAsync(_wire.GetBatchAsync(batchId, _routes.ApiVersion, cancellationToken), cancellationToken).ConfigureAwait(false);
        return ToRemote(response, EnsureSuccess(response, cancellationToken));
    }

    public async Task<RemoteBatch> CancelBatchAsync(string batchId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        using IApiResponse<BatchDto> response = await SendAsync(_wire.CancelBatchAsync(batchId, _routes.ApiVersion, cancellationToken), cancellationToken).ConfigureAwait(false);
        return ToRemote(response, EnsureSuccess(response, cancellationToken));
    }

    public async Task<Stream> OpenContentAsync(string fileId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        HttpResponseMessage response;
        try
        {
            response = await _wire.DownloadFileAsync(fileId, _routes.ApiVersion, streamed: true, cancellationToken).ConfigureAwait(false);
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

    public async Task DeleteFileAsync(string fileId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileId);
        using IApiResponse<FileDeletedDto> response = await SendAsync(_wire.DeleteFileAsync(fileId, _routes.ApiVersion, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return; // already gone: what deleting it was for
        }

        EnsureSuccess(response, cancellationToken);
    }

    private static string? RequestId(HttpResponseHeaders? headers)
        => headers is not null && headers.TryGetValues("x-request-id", out IEnumerable<string>? ids) ? ids.FirstOrDefault() : null;

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

    private RemoteBatch ToRemote(IApiResponse response, BatchDto batch)
    {
        if (string.IsNullOrEmpty(batch.Id) || string.IsNullOrEmpty(batch.Status))
        {
            throw Unreadable(response, "The batch object has no id or no status.");
        }

        SecretRedactor redactor = _failures.Redactor;
        List<BatchErrorDataDto> errors = batch.Errors?.Data ?? [];
        return new RemoteBatch(batch.Id, batch.Status)
        {
            Total = batch.RequestCounts?.Total ?? 0,
            Completed = batch.RequestCounts?.Completed ?? 0,
            Failed = batch.RequestCounts?.Failed ?? 0,
            OutputFileId = string.IsNullOrEmpty(batch.OutputFileId) ? null : batch.OutputFileId,
            ErrorFileId = string.IsNullOrEmpty(batch.ErrorFileId) ? null : batch.ErrorFileId,
            Errors = errors.Select(e => new RemoteBatchError(
                redactor.RedactOrNull(e.CodeText),
                redactor.Redact(e.Message ?? e.CodeText ?? "no message"),
                e.Line)).ToArray(),
        };
    }

    private ProviderException Unreadable(IApiResponse response, string what)
        => new(BatchErrorKind.InvalidOutput, ProviderName, what, (int?)response.StatusCode)
        {
            RequestId = _failures.Redactor.RedactOrNull(RequestId(response.Headers)),
        };

    private ProviderException NoFilesApi(IApiResponse response)
    {
        int? status = (int?)response.StatusCode;
        return new ProviderException(
            BatchErrorKind.Http,
            ProviderName,
            $"POST {_filesUrl} answered HTTP {status}: this server has no Files API. Deferred mode needs an OpenAI-compatible Files and Batches API "
            + "(/files and /batches under the base URL); run this provider without deferred mode, or point the base URL at a server that has them.",
            status)
        {
            RequestId = _failures.Redactor.RedactOrNull(RequestId(response.Headers)),
        };
    }
}
