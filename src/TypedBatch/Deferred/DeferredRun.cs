using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TypedBatch.Journaling;
using TypedBatch.Limits;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Deferred;

/// <summary>
/// One batch through the provider's Batch API (chat or embeddings: <see cref="IDeferredKind{TIn, TRequest, TOut}"/>). The inputs are read once, lazily: each is rendered exactly as a live
/// call would render it, checked, looked up in the journal (a journaled item is reported at once), and written as a
/// request line to the current shard's spool file; a full shard (requests or bytes) is uploaded and its remote batch
/// created while the next one is written, and both ids are journaled as soon as they exist. Then the remote batches are
/// polled with backoff; each finished one's output and error files are streamed back, every line mapped by its
/// <c>custom_id</c> to its input and turned into the same typed item a live answer would give (a typed answer that does
/// not parse is repaired live). Requests a remote batch left unanswered are resubmitted in a follow-up batch, a few
/// rounds; after a deadline the remote batches are cancelled and the rest is sent live through the runner.
/// </summary>
internal sealed class DeferredRun<TIn, TRequest, TOut> : BatchRunner.IRunStatistics
    where TRequest : class
{
    private readonly BatchEngine _engine;
    private readonly IRemoteBatchApi _api;
    private readonly BatchPlan _plan;
    private readonly DeferredOptions _options;
    private readonly IDeferredKind<TIn, TRequest, TOut> _kind;
    private readonly JournalFile? _journal;
    private readonly JournalDefinition _definition;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _run = DeferredLines.NewRun();
    private readonly string _directory;
    private readonly AdaptiveConcurrency _lane;
    private readonly BatchScope _scope;
    private readonly List<DeferredShard> _shards = [];
    private readonly Lock _gate = new();
    private readonly List<Task> _answering = [];
    private Func<BatchItem<TOut>, CancellationToken, ValueTask> _sink = static (_, _) => ValueTask.CompletedTask;
    private int _completed;
    private int _succeeded;
    private int _fromJournal;
    private int _remoteBatches;
    private int _submitted;
    private int _resubmitted;
    private int _live;
    private int _peakRemote;
    private TokenUsage _usage;
    private decimal? _cost = 0m;
    private long _start;
    private long _end;
    private ProgressReporter? _progress;
    private RemoteCounts _remote = new(default, 0);

    public DeferredRun(BatchEngine engine, IRemoteBatchApi api, BatchPlan plan, IDeferredKind<TIn, TRequest, TOut> kind, JournalDefinition definition, JournalFile? journal, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _engine = engine;
        _api = api;
        _plan = plan;
        _options = plan.Deferred;
        _kind = kind;
        _journal = journal;
        _definition = journal?.Definition ?? definition;
        _time = time;
        _logger = loggerFactory.CreateLogger<BatchRunner>();
        _directory = _options.WorkingDirectory ?? System.IO.Path.GetTempPath();
        _lane = new AdaptiveConcurrency(plan.MaxConcurrency, time, plan.AdaptiveConcurrency);
        RateLimitGate? batchGate = plan.RequestsPerMinute is not null || plan.TokensPerMinute is not null
            ? new RateLimitGate(plan.RequestsPerMinute, plan.TokensPerMinute, time)
            : null;
        _scope = new BatchScope(_lane, batchGate);
    }

    public TimeSpan Elapsed => _time.GetElapsedTime(_start, _end == 0 ? _time.GetTimestamp() : _end);

    public int Completed => Volatile.Read(ref _completed);

    public int Succeeded => Volatile.Read(ref _succeeded);

    public int FromJournal => Volatile.Read(ref _fromJournal);

    public int Duplicates => 0;

    public Hedger? Hedger => null;

    public int PeakInFlight => Volatile.Read(ref _peakRemote);

    public TokenUsage Usage
    {
        get
        {
            lock (_gate)
            {
                return _usage;
            }
        }
    }

    public decimal? Cost
    {
        get
        {
            lock (_gate)
            {
                return _cost;
            }
        }
    }

    public AdaptiveConcurrency Concurrency => _lane;

    /// <summary>Runs the batch and returns every item in input order; a cancellation throws the partial result.</summary>
    public async Task<BatchResult<TOut>> RunAsync(IEnumerable<TIn> inputs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var buffer = new ResultBuffer<BatchItem<TOut>>();
        var finished = new ResultBuffer<bool>();
        var sync = new Lock();
        bool frozen = false;
        _sink = (item, _) =>
        {
            lock (sync)
            {
                if (!frozen)
                {
                    buffer[item.Index] = item;
                    finished[item.Index] = true;
                }
            }

            return ValueTask.CompletedTask;
        };

        try
        {
            await ExecuteAsync(inputs, index =>
            {
                buffer.Reserve(index);
                finished.Reserve(index);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException cancelled) when (cancellationToken.IsCancellationRequested)
        {
            BatchResult<TOut> partial;
            int completed;
            lock (sync)
            {
                frozen = true;
                (partial, completed) = BatchRunner.Snapshot(buffer, finished, this);
            }

            _engine.Runner.LogSummary(_plan, this);
            throw new BatchCanceledException<TOut>(partial, completed, cancelled.InnerException, cancellationToken);
        }

        var result = new BatchResult<TOut>(buffer, Elapsed, PeakInFlight)
        {
            MinConcurrency = _lane.Minimum,
            ThrottledResponses = _lane.Throttles,
        };
        _engine.Runner.LogSummary(_plan, this);
        return result;
    }

    /// <summary>Runs the batch and yields every item as it is read back: journaled items first, then each remote batch's.</summary>
    public async IAsyncEnumerable<BatchItem<TOut>> RunAsCompletedAsync(IEnumerable<TIn> inputs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var channel = Channel.CreateBounded<BatchItem<TOut>>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _sink = (item, ct) => channel.Writer.WriteAsync(item, ct);
        Task producer = ProduceAsync(inputs, channel.Writer, stop.Token);
        try
        {
            await foreach (BatchItem<TOut> item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }

            await producer.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _engine.Runner.LogSummary(_plan, this);
    }

    private async Task ProduceAsync(IEnumerable<TIn> inputs, ChannelWriter<BatchItem<TOut>> writer, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(inputs, static _ => { }, cancellationToken).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }

    private async Task ExecuteAsync(IEnumerable<TIn> inputs, Action<int> reserve, CancellationToken cancellationToken)
    {
        _engine.Runner.LogStart(_plan, inputs);
        _start = _time.GetTimestamp();
        _progress = _plan.Progress is { } progress ? new ProgressReporter(progress, Snapshot, _time, _logger) : null;
        BatchScope.Current = _scope;
        using System.Diagnostics.Activity? span = BatchSpan.Start(_plan, inputs.TryGetNonEnumeratedCount(out int size) ? size : -1);
        try
        {
            await PrepareAsync(inputs, reserve, cancellationToken).ConfigureAwait(false);
            await PollAsync(cancellationToken).ConfigureAwait(false);
            await SendLiveAsync(cancellationToken).ConfigureAwait(false);
            await DrainAnsweringAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.BatchCancelled(_logger, _plan.Operation, Completed);
            await CancelRemoteAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            _end = _time.GetTimestamp();
            BatchSpan.Finish(span, this, cancellationToken.IsCancellationRequested);
            _progress?.End();
            foreach (DeferredShard shard in _shards)
            {
                shard.Dispose();
            }

            if (_plan.Logged && _logger.IsEnabled(LogLevel.Information))
            {
                Log.DeferredSummary(_logger, _plan.Operation, _remoteBatches, _submitted, _resubmitted, _live);
            }
        }
    }

    // ---- Preparing: render, check, journal, write, submit --------------------------------------------------------

    private async Task PrepareAsync(IEnumerable<TIn> inputs, Action<int> reserve, CancellationToken cancellationToken)
    {
        RemoteJob[] attach = JobsToAttach();
        int nextJob = 0;
        var line = new ArrayBufferWriter<byte>(4096);
        using Utf8JsonWriter writer = DeferredLines.CreateWriter(line);
        string url = _kind.Endpoint(_api);
        int maxRequests = Math.Min(_options.MaxRequestsPerBatch, _api.MaxRequestsPerBatch);
        long maxBytes = Math.Min(_options.MaxBytesPerBatch, _api.MaxBytesPerBatch);
        DeferredShard? shard = null;
        int index = -1;
        foreach (TIn input in inputs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            index++;
            reserve(index);
            TRequest request;
            try
            {
                request = _kind.Render(input);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await EmitAsync(BatchItem.Failure<TOut>(index, BatchError.FromException(ex), default, 0, TimeSpan.Zero), cancellationToken).ConfigureAwait(false);
                continue;
            }

            JournalFingerprint fingerprint = _kind.Fingerprint(_definition, request);
            if (_journal is not null)
            {
                JournalLookup lookup = _journal.Lookup(index, fingerprint);
                if (lookup.Replay && _kind.Replay(_journal, index, lookup) is { } replayed)
                {
                    await EmitAsync(ToItem(index, replayed, replayed.Deferred), cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            while (nextJob < attach.Length && attach[nextJob].Last < index)
            {
                nextJob++;
            }

            RemoteJob? job = nextJob < attach.Length && attach[nextJob].First <= index ? attach[nextJob] : null;
            line.ResetWrittenCount();
            DeferredLines.Write(line, writer, _api.Lines, job?.Run ?? _run, index, fingerprint, url, w => _kind.WriteBody(w, request));
            if (job is null && line.WrittenCount > maxBytes)
            {
                var tooLarge = new BatchError(BatchErrorKind.InvalidInput, $"The request is {line.WrittenCount} bytes as a batch line, more than a remote batch may hold ({maxBytes}); nothing was sent.");
                await EmitAsync(BatchItem.Failure<TOut>(index, tooLarge, default, 0, TimeSpan.Zero), cancellationToken).ConfigureAwait(false);
                continue;
            }

            bool full = shard is not null && shard.Attached is null
                && (shard.Count >= maxRequests || shard.Bytes + line.WrittenCount > maxBytes);
            if (shard is not null && (shard.Attached != job || full))
            {
                await SubmitAsync(shard, cancellationToken).ConfigureAwait(false);
                shard = null;
            }

            if (shard is null)
            {
                shard = new DeferredShard(_shards.Count, job?.Run ?? _run, _directory, job);
                _shards.Add(shard);
            }

            shard.Add(index, fingerprint, line.WrittenSpan);
        }

        if (shard is not null)
        {
            await SubmitAsync(shard, cancellationToken).ConfigureAwait(false);
        }

        // Journaled remote batches no shard of this run holds (an older round, or one whose inputs all came from the
        // journal) are read no more.
        foreach (RemoteJob stale in _journal?.OpenRemoteJobs ?? [])
        {
            if (!_shards.Any(s => s.BatchId == stale.BatchId))
            {
                _journal!.AppendRemoteDone(stale.BatchId);
            }
        }
    }

    /// <summary>The journal's remote batches still to read, the latest round of each shard, by first index.</summary>
    private RemoteJob[] JobsToAttach()
        => _journal is null ? [] : _journal.OpenRemoteJobs
            .GroupBy(j => (j.First, j.Last))
            .Select(g => g.MaxBy(j => j.Round)!)
            .OrderBy(j => j.First)
            .ToArray();

    private async Task SubmitAsync(DeferredShard shard, CancellationToken cancellationToken)
    {
        shard.Seal();
        if (shard.Attached is { } job)
        {
            shard.Round = job.Round;
            shard.FileId = job.FileId;
            shard.BatchId = job.BatchId;
            shard.InRemote = shard.Count;
            shard.State = ShardState.Remote;
            _remoteBatches++;
            Log.DeferredAttached(_logger, _plan.Operation, job.BatchId, job.Count, job.Round);
            NotePending();
            ReportProgress();
            return;
        }

        using Stream upload = shard.OpenUpload();
        if (!await SubmitRoundAsync(shard, upload, shard.Count, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        _submitted += shard.Count;
    }

    /// <summary>
    /// Uploads a round's file and creates its remote batch, journaling both ids; false when the provider refused, in
    /// which case every unanswered request of the shard has its item (that error).
    /// </summary>
    private async Task<bool> SubmitRoundAsync(DeferredShard shard, Stream upload, int requests, CancellationToken cancellationToken)
    {
        RemoteFile file;
        RemoteBatch batch;
        try
        {
            file = await _api.UploadAsync(upload, System.IO.Path.GetFileName(shard.Path), cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException failed) when (failed.StatusCode == 404 && _remoteBatches == 0)
        {
            // No Batch API at this server: one clear error for the call, not the same failure for every item.
            throw;
        }
        catch (ProviderException failed)
        {
            await FailUnansweredAsync(shard, BatchError.FromException(failed), cancellationToken).ConfigureAwait(false);
            return false;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["typedbatch_run"] = shard.Run,
            ["typedbatch_operation"] = Truncate(_plan.Operation, 512),
            ["typedbatch_shard"] = $"{shard.Number}.{shard.Round}",
        };
        try
        {
            batch = await _api.CreateBatchAsync(file.Id, _kind.Endpoint(_api), metadata, cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException failed)
        {
            await DeleteQuietlyAsync(file.Id, CancellationToken.None).ConfigureAwait(false);
            await FailUnansweredAsync(shard, BatchError.FromException(failed), cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled between the upload and the batch: the file would be left on the server with nothing to read it.
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10), _time);
            await DeleteQuietlyAsync(file.Id, bounded.Token).ConfigureAwait(false);
            throw;
        }

        shard.FileId = file.Id;
        shard.BatchId = batch.Id;
        shard.Status = batch;
        shard.InRemote = requests;
        shard.PollFailures = 0;
        shard.State = ShardState.Remote;
        _journal?.AppendRemoteJob(new RemoteJob(shard.Run, shard.Round, shard.First, shard.Last, requests, file.Id, batch.Id));
        _remoteBatches++;
        Log.DeferredSubmitted(_logger, _plan.Operation, batch.Id, requests, shard.Round, _api.ProviderName);
        NotePending();
        ReportProgress();
        return true;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private void NotePending()
    {
        int pending = _shards.Where(s => s.State == ShardState.Remote).Sum(s => s.InRemote);
        if (pending > _peakRemote)
        {
            Volatile.Write(ref _peakRemote, pending);
        }
    }

    // ---- Polling and reading back ----------------------------------------------------------------------------------

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        TimeSpan interval = _options.PollInterval;
        bool deadlinePassed = false;
        while (true)
        {
            DeferredShard[] active = _shards.Where(s => s.State == ShardState.Remote).ToArray();
            if (active.Length == 0)
            {
                return;
            }

            TimeSpan wait = interval;
            if (!deadlinePassed && _options.Deadline is { } deadline)
            {
                TimeSpan left = deadline - _time.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    deadlinePassed = true;
                    Log.DeferredDeadline(_logger, _plan.Operation, active.Length);
                    foreach (DeferredShard shard in active)
                    {
                        await CancelOneAsync(shard, cancellationToken).ConfigureAwait(false);
                    }

                    wait = interval = _options.PollInterval;
                }
                else if (left < wait)
                {
                    wait = left;
                }
            }

            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            bool finished = false;
            foreach (DeferredShard shard in active)
            {
                if (await PollOneAsync(shard, cancellationToken).ConfigureAwait(false) is { IsTerminal: true } status)
                {
                    await CollectAsync(shard, status, deadlinePassed || PastDeadline(), cancellationToken).ConfigureAwait(false);
                    finished = true;
                }
            }

            ReportProgress();
            interval = finished ? _options.PollInterval : TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, _options.MaxPollInterval.Ticks));
        }
    }

    private bool PastDeadline() => _options.Deadline is { } deadline && _time.GetUtcNow() >= deadline;

    /// <summary>The remote batch's status; a batch the provider no longer knows (404) or that cannot be read ten times in a row counts as failed.</summary>
    private async Task<RemoteBatch?> PollOneAsync(DeferredShard shard, CancellationToken cancellationToken)
    {
        try
        {
            RemoteBatch status = await _api.GetBatchAsync(shard.BatchId!, cancellationToken).ConfigureAwait(false);
            shard.Status = status;
            shard.PollFailures = 0;
            return status;
        }
        catch (ProviderException failed)
        {
            Log.DeferredCallFailed(_logger, _plan.Operation, "polling", shard.BatchId!, failed.Message);
            if (failed.StatusCode == 404 || ++shard.PollFailures >= 10)
            {
                return new RemoteBatch(shard.BatchId!, "failed")
                {
                    Errors = [new RemoteBatchError(failed.ErrorCode, $"The remote batch could not be read: {failed.ProviderMessage}", null)],
                };
            }

            return null;
        }
    }

    /// <summary>
    /// Reads a finished remote batch back: its output and error files, line by line; then resubmits what it left
    /// unanswered, hands it to the live fallback (after the deadline), or fails it (resubmissions spent).
    /// </summary>
    private async Task CollectAsync(DeferredShard shard, RemoteBatch status, bool deadlinePassed, CancellationToken cancellationToken)
    {
        int before = shard.Unanswered;
        foreach (string? fileId in new[] { status.OutputFileId, status.ErrorFileId })
        {
            if (fileId is not null)
            {
                await ReadFileAsync(shard, fileId, cancellationToken).ConfigureAwait(false);
            }
        }

        await DrainAnsweringAsync().ConfigureAwait(false);
        Log.DeferredCollected(_logger, _plan.Operation, shard.BatchId!, status.Status, before - shard.Unanswered, shard.Unanswered);
        if (_options.DeleteFiles)
        {
            foreach (string? fileId in new[] { shard.FileId, status.OutputFileId, status.ErrorFileId })
            {
                if (fileId is not null)
                {
                    await DeleteQuietlyAsync(fileId, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }

        string finishedBatch = shard.BatchId!;
        if (shard.Unanswered == 0)
        {
            shard.Finish();
        }
        else if (deadlinePassed)
        {
            shard.State = ShardState.Live;
        }
        else if (shard.Round < _options.MaxResubmits)
        {
            shard.Round++;
            await ResubmitAsync(shard, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            BatchError fallback = Unanswered(status);
            for (int position = 0; position < shard.Count; position++)
            {
                if (!shard.IsDone(position))
                {
                    await FinishAsync(shard, position, null, shard.LastError(position) ?? fallback, cancellationToken).ConfigureAwait(false);
                }
            }

            shard.Finish();
        }

        _journal?.AppendRemoteDone(finishedBatch);
    }

    /// <summary>The error of a request no line answered: its batch expired, was cancelled, or failed (with the provider's reasons).</summary>
    private BatchError Unanswered(RemoteBatch status)
    {
        if (status.Status == "failed")
        {
            RemoteBatchError? first = status.Errors.Count > 0 ? status.Errors[0] : null;
            string reasons = status.Errors.Count == 0 ? "no reason given"
                : string.Join("; ", status.Errors.Take(3).Select(e => e.Line is { } line ? $"line {line}: {e.Code}: {e.Message}" : $"{e.Code}: {e.Message}"));
            return new BatchError(BatchErrorKind.Http, $"The remote batch {status.Id} failed ({reasons}), and so did its resubmissions.")
            {
                ProviderCode = first?.Code,
                Provider = _api.ProviderName,
            };
        }

        return new BatchError(BatchErrorKind.Expired, $"The remote batch {status.Id} ended '{status.Status}' without answering this request, after {_options.MaxResubmits} resubmission(s).")
        {
            ProviderCode = status.Status == "expired" ? "batch_expired" : null,
            Provider = _api.ProviderName,
        };
    }

    private async Task ResubmitAsync(DeferredShard shard, CancellationToken cancellationToken)
    {
        string path = System.IO.Path.Combine(_directory, $"typedbatch-{shard.Run}-{shard.Number}-r{shard.Round}.jsonl");
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var file = new FileStream(path, options);
        int requests = shard.WriteUnanswered(file);
        file.Position = 0;
        if (await SubmitRoundAsync(shard, file, requests, cancellationToken).ConfigureAwait(false))
        {
            _resubmitted += requests;
        }
    }

    /// <summary>
    /// Streams a result file, line by line. A download that fails or stalls (no line for the client's
    /// <c>TotalTimeout</c>: the stream is outside the pipeline's timeouts) is read again from its start, up to three
    /// times; lines already taken are skipped. Lines never read stay unanswered, and are resubmitted like any other.
    /// </summary>
    private async Task ReadFileAsync(DeferredShard shard, string fileId, CancellationToken cancellationToken)
    {
        const int reads = 3;
        for (int read = 1; read <= reads; read++)
        {
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            try
            {
                Stream content = await _api.OpenContentAsync(fileId, cancellationToken).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 64 * 1024);
                    using ITimer watchdog = _time.CreateTimer(static state => ((CancellationTokenSource)state!).Cancel(), idle, _engine.Options.TotalTimeout, Timeout.InfiniteTimeSpan);
                    while (await reader.ReadLineAsync(idle.Token).ConfigureAwait(false) is { } line)
                    {
                        watchdog.Change(_engine.Options.TotalTimeout, Timeout.InfiniteTimeSpan);
                        if (line.Length > 0)
                        {
                            await ReadLineAsync(shard, line, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is ProviderException or IOException or HttpRequestException or OperationCanceledException)
            {
                string why = ex is OperationCanceledException ? $"no data for {_engine.Options.TotalTimeout}" : _engine.Redactor.Redact(ex.Message);
                Log.DeferredCallFailed(_logger, _plan.Operation, $"reading file {fileId} (read {read} of {reads})", shard.BatchId!, why);
            }
        }
    }

    private async Task ReadLineAsync(DeferredShard shard, string text, CancellationToken cancellationToken)
    {
        BatchOutputLineDto? line = _api.Lines.ParseResult(text);
        if (line is null || !DeferredLines.TryParseCustomId(line.CustomId, out string run, out int index, out ulong fingerprint) || run != shard.Run)
        {
            return;
        }

        int position = shard.PositionOf(index);
        if (position < 0 || shard.IsDone(position))
        {
            return;
        }

        if (shard.Fingerprint(position).Low != fingerprint)
        {
            // The remote request is not this input's (the inputs changed between a crash and this rerun).
            if (_journal is not null && _plan.Journal?.OnMismatch == JournalMismatch.Throw)
            {
                string difference = $"remote batch {shard.BatchId}, submitted by an earlier run, holds another request for this index (the rendered request differs)";
                throw new JournalMismatchException($"Input {index} does not match the journal '{_journal.Path}': {difference}. Pass the same inputs in the same order to resume, or use BatchJournal.File(path, onMismatch: JournalMismatch.Resend) to send changed inputs again.")
                {
                    Path = _journal.Path,
                    Index = index,
                    Difference = difference,
                };
            }

            return;
        }

        string? requestId = _engine.Redactor.RedactOrNull(line.Response?.RequestId);
        if (line.Response is { StatusCode: 200, Body: { } body })
        {
            await AnswerAsync(shard, position, body, requestId, cancellationToken).ConfigureAwait(false);
            return;
        }

        BatchError error = LineError(line, requestId);
        if (IsResubmittable(error))
        {
            shard.SetError(position, error);
        }
        else
        {
            await FinishAsync(shard, position, null, error, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>An error line or a non-200 response line as the item's error, classified like a live answer of that status.</summary>
    private BatchError LineError(BatchOutputLineDto line, string? requestId)
    {
        if (line.Response is { StatusCode: { } status } response)
        {
            string? bodyText = response.Body is { } body ? _engine.Redactor.Redact(body.GetRawText()) : null;
            ErrorDto? error = OpenAIErrors.Parse(bodyText, out string? bare);
            return new BatchError(_api.Lines.KindOf(status, error), _engine.Redactor.Redact(error?.Message ?? bare ?? $"HTTP {status}"))
            {
                StatusCode = status,
                ProviderCode = _engine.Redactor.RedactOrNull(error?.CodeText),
                ErrorType = _engine.Redactor.RedactOrNull(error?.Type),
                RequestId = requestId,
                Provider = _api.ProviderName,
            };
        }

        string? code = line.Error?.Code;
        string message = _engine.Redactor.Redact(line.Error?.Message ?? "The batch answered this request with an error.");
        return new BatchError(code == "batch_expired" ? BatchErrorKind.Expired : BatchErrorKind.Http, message)
        {
            ProviderCode = _engine.Redactor.RedactOrNull(code),
            RequestId = requestId,
            Provider = _api.ProviderName,
        };
    }

    /// <summary>Whether a follow-up batch may get an answer: what a live call would retry, and expiry. Not a bad request or a quota.</summary>
    private static bool IsResubmittable(BatchError error) => error.Kind switch
    {
        BatchErrorKind.Expired or BatchErrorKind.RateLimited or BatchErrorKind.Timeout or BatchErrorKind.Transport => true,
        BatchErrorKind.Http => error.StatusCode is null or >= 500 or 408 or 409,
        _ => false,
    };

    /// <summary>
    /// Builds the item from an answered line through the shape (parsing, refusals, truncation); a typed answer that
    /// needs a repair re-asks live, under the batch's concurrency, while the file goes on being read.
    /// </summary>
    private async Task AnswerAsync(DeferredShard shard, int position, JsonElement body, string? requestId, CancellationToken cancellationToken)
    {
        shard.MarkDone(position);
        await _lane.EnterAsync(cancellationToken).ConfigureAwait(false);
        Task answering = AnswerOneAsync(shard, position, body, requestId, cancellationToken);
        if (!answering.IsCompleted)
        {
            lock (_gate)
            {
                _answering.Add(answering);
            }
        }
        else
        {
            await answering.ConfigureAwait(false);
        }
    }

    private async Task AnswerOneAsync(DeferredShard shard, int position, JsonElement body, string? requestId, CancellationToken cancellationToken)
    {
        try
        {
            int index = shard.Index(position);
            BatchWorkResult<TOut> result;
            try
            {
                result = await _kind.AnswerAsync(body, requestId, () => ReadRequest(shard, position), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not BatchJournalException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
            {
                var failed = ex as ProviderException;
                var error = BatchError.FromException(ex);
                await JournalFailureAsync(index, shard.Fingerprint(position), error, failed?.Usage ?? default, failed?.Attempts ?? 1, failed?.Repairs ?? 0, deferred: true).ConfigureAwait(false);
                await EmitAsync(new BatchItem<TOut>(index, default, error, failed?.Usage ?? default, failed?.Attempts ?? 1, TimeSpan.Zero, failed?.Repairs ?? 0, error.Provider, deferred: true, cost: failed is null ? 0m : failed.Cost), cancellationToken).ConfigureAwait(false);
                return;
            }

            result = result with { Deferred = true };
            if (_journal is not null)
            {
                await _kind.AppendAsync(_journal, index, shard.Fingerprint(position), result).ConfigureAwait(false);
            }

            await EmitAsync(ToItem(index, result, deferred: true), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lane.Exit();
        }
    }

    private TRequest ReadRequest(DeferredShard shard, int position) => _kind.ReadRequest(shard.ReadLine(position));

    private async Task DrainAnsweringAsync()
    {
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _answering];
            _answering.Clear();
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary>A request's final item without an answer to build from: journaled (as a failure) and reported.</summary>
    private async Task FinishAsync(DeferredShard shard, int position, TokenUsage? usage, BatchError error, CancellationToken cancellationToken)
    {
        if (!shard.MarkDone(position))
        {
            return;
        }

        int index = shard.Index(position);
        await JournalFailureAsync(index, shard.Fingerprint(position), error, usage ?? default, 1, 0, deferred: true).ConfigureAwait(false);
        decimal? cost = _engine.PricingFor(error.Provider).Cost(null, _plan.Model, usage ?? default, deferred: true);
        await EmitAsync(new BatchItem<TOut>(index, default, error, usage ?? default, 1, TimeSpan.Zero, 0, error.Provider, deferred: true, cost: cost), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every unanswered request of a shard fails with one error (its upload or batch was refused).</summary>
    private async Task FailUnansweredAsync(DeferredShard shard, BatchError error, CancellationToken cancellationToken)
    {
        for (int position = 0; position < shard.Count; position++)
        {
            if (!shard.IsDone(position))
            {
                int index = shard.Index(position);
                shard.MarkDone(position);
                await JournalFailureAsync(index, shard.Fingerprint(position), error, default, 0, 0).ConfigureAwait(false);
                await EmitAsync(BatchItem.Failure<TOut>(index, error, default, 0, TimeSpan.Zero), cancellationToken).ConfigureAwait(false);
            }
        }

        shard.Finish();
    }

    private Task JournalFailureAsync(int index, JournalFingerprint fingerprint, BatchError error, TokenUsage usage, int attempts, int repairs, bool deferred = false)
        => _journal?.AppendFailure(index, fingerprint, error, usage, attempts, repairs, deferred) ?? Task.CompletedTask;

    // ---- After the deadline: live --------------------------------------------------------------------------------

    /// <summary>What a deadline left unanswered, sent live through the runner (limits, retries, repairs, journal), as one sub-batch.</summary>
    private async Task SendLiveAsync(CancellationToken cancellationToken)
    {
        var live = new List<(DeferredShard Shard, int Position)>();
        foreach (DeferredShard shard in _shards.Where(s => s.State == ShardState.Live))
        {
            for (int position = 0; position < shard.Count; position++)
            {
                if (!shard.IsDone(position))
                {
                    live.Add((shard, position));
                }
            }
        }

        if (live.Count == 0)
        {
            return;
        }

        _live = live.Count;
        BatchPlan plan = _plan with { Mode = BatchMode.Live, Logged = false, Progress = null, Size = live.Count };
        await foreach (BatchItem<TOut> item in _engine.Runner.RunAsCompletedAsync<(DeferredShard Shard, int Position), TOut>(live, (request, _, ct) => SendLiveAsync(request.Shard, request.Position, ct), plan, cancellationToken).ConfigureAwait(false))
        {
            (DeferredShard shard, int position) = live[item.Index];
            shard.MarkDone(position);
            await EmitAsync(item.At(shard.Index(position), deferred: false), cancellationToken).ConfigureAwait(false);
        }

        foreach (DeferredShard shard in _shards.Where(s => s.State == ShardState.Live))
        {
            shard.Finish();
        }
    }

    /// <summary>One request live, journaled like a live batch's item (its failure too) before the runner reports it.</summary>
    private async ValueTask<BatchWorkResult<TOut>> SendLiveAsync(DeferredShard shard, int position, CancellationToken cancellationToken)
    {
        int index = shard.Index(position);
        BatchWorkResult<TOut> result;
        try
        {
            result = await _kind.SendAsync(ReadRequest(shard, position), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not BatchJournalException && (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            var failed = ex as ProviderException;
            await JournalFailureAsync(index, shard.Fingerprint(position), BatchError.FromException(ex), failed?.Usage ?? default, failed?.Attempts ?? 0, failed?.Repairs ?? 0).ConfigureAwait(false);
            throw;
        }

        if (_journal is not null)
        {
            await _kind.AppendAsync(_journal, index, shard.Fingerprint(position), result).ConfigureAwait(false);
        }

        return result;
    }

    // ---- Cancelling ------------------------------------------------------------------------------------------------

    /// <summary>On cancellation: the remote batches still running are cancelled (unless the options say not to), within 10 seconds.</summary>
    private async Task CancelRemoteAsync()
    {
        if (!_options.CancelRemoteOnCancellation)
        {
            return;
        }

        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10), _time);
        DeferredShard[] running = _shards.Where(s => s.State == ShardState.Remote && s.Status is not { IsTerminal: true }).ToArray();
        await Task.WhenAll(running.Select(s => CancelAndCleanAsync(s, bounded.Token))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>
    /// Cancels one remote batch and, with <see cref="DeferredOptions.DeleteFiles"/>, deletes its input file: a cancelled
    /// batch no longer reads it, and a rerun resubmits from the inputs. The output a cancelling batch writes later is
    /// the provider's to keep until a rerun with the journal collects (and deletes) it.
    /// </summary>
    private async Task CancelAndCleanAsync(DeferredShard shard, CancellationToken cancellationToken)
    {
        await CancelOneAsync(shard, cancellationToken).ConfigureAwait(false);
        if (_options.DeleteFiles && shard.FileId is { } input)
        {
            await DeleteQuietlyAsync(input, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CancelOneAsync(DeferredShard shard, CancellationToken cancellationToken)
    {
        try
        {
            shard.Status = await _api.CancelBatchAsync(shard.BatchId!, cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException failed)
        {
            Log.DeferredCallFailed(_logger, _plan.Operation, "cancelling", shard.BatchId!, failed.Message);
        }
    }

    /// <summary>Deletes a file of the run; a failure is logged (the results do not depend on it), a file already gone is not.</summary>
    private async Task DeleteQuietlyAsync(string fileId, CancellationToken cancellationToken)
    {
        try
        {
            await _api.DeleteFileAsync(fileId, cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException failed) when (failed.StatusCode == 404)
        {
            // Already deleted: a rerun attaching to a cancelled batch whose input file the cancelled run deleted.
        }
        catch (ProviderException failed)
        {
            Log.DeferredCallFailed(_logger, _plan.Operation, $"deleting file {fileId}", "-", failed.Message);
        }
    }

    // ---- Reporting -------------------------------------------------------------------------------------------------

    private static BatchItem<TOut> ToItem(int index, BatchWorkResult<TOut> result, bool deferred)
        => new(index, result.Error is null ? result.Value : default, result.Error, result.Usage, result.Attempts, TimeSpan.Zero, result.Repairs, result.Provider, result.FromJournal, deferred, result.Cost);

    private async ValueTask EmitAsync(BatchItem<TOut> item, CancellationToken cancellationToken)
    {
        BatchSpan.Count(_plan, item.Error, item.Cost);
        await _sink(item, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _completed);
        if (item.Succeeded)
        {
            Interlocked.Increment(ref _succeeded);
        }

        if (item.FromJournal)
        {
            Interlocked.Increment(ref _fromJournal);
        }

        if (item.Usage != default || item.Cost != 0m)
        {
            lock (_gate)
            {
                _usage += item.Usage;
                _cost = Pricing.Add(_cost, item.Cost);
            }
        }

        _progress?.Changed();
    }

    /// <summary>
    /// After each submission and poll: the provider's counts of the remote batches not yet read, kept for the progress
    /// snapshots (taken on other threads, so they do not walk the shards themselves).
    /// </summary>
    private void ReportProgress()
    {
        if (_progress is null)
        {
            return;
        }

        int batches = 0, requests = 0, done = 0, failed = 0, inFlight = 0;
        foreach (DeferredShard shard in _shards)
        {
            if (shard.State == ShardState.Remote)
            {
                batches++;
                inFlight += shard.Unanswered;
                requests += shard.Status?.Total ?? shard.InRemote;
                done += shard.Status?.Completed ?? 0;
                failed += shard.Status?.Failed ?? 0;
            }
        }

        Volatile.Write(ref _remote, new RemoteCounts(new DeferredProgress(batches, requests, done, failed), inFlight));
        _progress.Changed();
    }

    private BatchProgress Snapshot()
    {
        RemoteCounts remote = Volatile.Read(ref _remote);
        int succeeded = Succeeded;
        int completed = Completed;
        return new BatchProgress(completed, succeeded, completed - succeeded, remote.InFlight, Elapsed)
        {
            ConcurrencyLimit = _lane.Limit,
            Deferred = remote.Counts,
            Usage = Usage,
            Cost = Cost,
            Total = _plan.Size,
        };
    }

    private sealed record RemoteCounts(DeferredProgress Counts, int InFlight);
}
