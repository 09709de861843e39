using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TypedBatch.Limits;

namespace TypedBatch;

/// <summary>
/// Runs one unit of work per input of a <see cref="BatchPlan"/>. Inputs are pulled lazily, one at a time, as a worker
/// frees up, so a million-input sequence is never materialized; workers are started only as inputs arrive (for a lazy
/// sequence, at most one more than its inputs), never more than <see cref="BatchPlan.MaxConcurrency"/>, and nothing is
/// sized by that bound, so <see cref="int.MaxValue"/> means "as wide as the inputs"; each input gets exactly one <see cref="BatchItem{T}"/>; failures are
/// captured per item and never escape the batch. Logs the batch's start and summary and reports its progress.
/// </summary>
/// <remarks>
/// Only two things end a batch early with an exception: the caller's <see cref="CancellationToken"/>, and an
/// exception thrown by the input sequence itself while it is enumerated. Cancellation throws at once, without waiting
/// for the in-flight requests: a batch call throws <see cref="BatchCanceledException{T}"/> with the partial result
/// (every started input once: finished items as they are, the others <see cref="BatchErrorKind.Cancelled"/>), an
/// as-completed stream a plain <see cref="OperationCanceledException"/> (its finished items were already yielded).
/// </remarks>
internal sealed class BatchRunner
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public BatchRunner(ILogger<BatchRunner>? logger = null, TimeProvider? timeProvider = null)
    {
        _logger = logger ?? NullLogger<BatchRunner>.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Runs <paramref name="work"/> for every input and returns the items in input order.</summary>
    public Task<BatchResult<TOut>> RunAsync<TIn, TOut>(
        IEnumerable<TIn> inputs,
        Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> work,
        BatchPlan plan,
        CancellationToken cancellationToken = default)
        => RunAsync(inputs, Indexless(work), plan, cancellationToken);

    /// <summary>Runs <paramref name="work"/> for every input and returns the items in input order.</summary>
    public Task<BatchResult<TOut>> RunAsync<TIn, TOut>(
        IEnumerable<TIn> inputs,
        BatchWork<TIn, TOut> work,
        BatchPlan plan,
        CancellationToken cancellationToken = default)
        => RunPackedAsync<TIn, TOut, TOut>(inputs, work, null, plan, cancellationToken);

    /// <summary>Runs <paramref name="work"/> for every input and yields each item as soon as it finishes.</summary>
    public IAsyncEnumerable<BatchItem<TOut>> RunAsCompletedAsync<TIn, TOut>(
        IEnumerable<TIn> inputs,
        Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> work,
        BatchPlan plan,
        CancellationToken cancellationToken = default)
        => RunAsCompletedAsync(inputs, Indexless(work), plan, cancellationToken);

    /// <summary>Runs <paramref name="work"/> for every input and yields each item as soon as it finishes.</summary>
    public IAsyncEnumerable<BatchItem<TOut>> RunAsCompletedAsync<TIn, TOut>(
        IEnumerable<TIn> inputs,
        BatchWork<TIn, TOut> work,
        BatchPlan plan,
        CancellationToken cancellationToken = default)
        => RunPackedAsCompletedAsync<TIn, TOut, TOut>(inputs, work, null, plan, cancellationToken);

    private static BatchWork<TIn, TOut> Indexless<TIn, TOut>(Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return (input, _, ct) => work(input, ct);
    }

    /// <summary>
    /// Like <c>RunAsync</c>, for work whose units carry several items (an embeddings request packs many inputs):
    /// <paramref name="packing"/> says how far each unit reaches and turns a unit's result into its items.
    /// </summary>
    public async Task<BatchResult<TOut>> RunPackedAsync<TIn, TUnit, TOut>(
        IEnumerable<TIn> inputs,
        BatchWork<TIn, TUnit> work,
        IBatchPacking<TIn, TUnit, TOut>? packing,
        BatchPlan plan,
        CancellationToken cancellationToken = default)
    {
        Validate(inputs, work, plan);
        cancellationToken.ThrowIfCancellationRequested();
        var buffer = new ResultBuffer<BatchItem<TOut>>();
        var finished = new ResultBuffer<bool>();
        var sync = new Lock();
        bool frozen = false;
        var run = new Run<TIn, TUnit, TOut>(this, inputs, work, packing, plan, (item, _) =>
        {
            // Once a cancellation has taken its snapshot, a late item must not change what the caller holds.
            lock (sync)
            {
                if (!frozen)
                {
                    buffer[item.Index] = item;
                    finished[item.Index] = true;
                }
            }

            return ValueTask.CompletedTask;
        }, index =>
        {
            buffer.Reserve(index);
            finished.Reserve(index);
        });

        try
        {
            await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException cancelled) when (cancellationToken.IsCancellationRequested)
        {
            BatchResult<TOut> partial;
            int completed;
            lock (sync)
            {
                frozen = true;
                (partial, completed) = Snapshot(buffer, finished, run);
            }

            LogSummary(plan, run);
            throw new BatchCanceledException<TOut>(partial, completed, cancelled.InnerException, cancellationToken);
        }

        var result = new BatchResult<TOut>(buffer, run.Elapsed, run.PeakInFlight)
        {
            MinConcurrency = run.Concurrency.Minimum,
            ThrottledResponses = run.Concurrency.Throttles,
            WorkersStarted = run.WorkersStarted,
        };
        LogSummary(plan, run);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            IReadOnlyDictionary<string, int> byProvider = result.CountByProvider();
            if (byProvider.Count > 1)
            {
                string counts = string.Join(", ", byProvider.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value.ToString(CultureInfo.InvariantCulture)}"));
                Log.BatchProviders(_logger, plan.Operation, counts);
            }
        }

        return result;
    }

    /// <summary>Like <c>RunAsCompletedAsync</c>, for work whose units carry several items.</summary>
    public async IAsyncEnumerable<BatchItem<TOut>> RunPackedAsCompletedAsync<TIn, TUnit, TOut>(
        IEnumerable<TIn> inputs,
        BatchWork<TIn, TUnit> work,
        IBatchPacking<TIn, TUnit, TOut>? packing,
        BatchPlan plan,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validate(inputs, work, plan);
        cancellationToken.ThrowIfCancellationRequested();

        // Bounded so that a slow consumer holds back the workers instead of buffering without limit; never sized by
        // the concurrency bound itself, which may be huge.
        var channel = Channel.CreateBounded<BatchItem<TOut>>(new BoundedChannelOptions(Math.Min(plan.MaxConcurrency, 1024))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = new Run<TIn, TUnit, TOut>(this, inputs, work, packing, plan, (item, ct) => channel.Writer.WriteAsync(item, ct), static _ => { });
        Task producer = RunAndCompleteAsync(run, channel.Writer, stop.Token);

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
            // The consumer stopped early (break, exception) or finished: stop the workers and wait for them.
            await stop.CancelAsync().ConfigureAwait(false);
            await producer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        LogSummary(plan, run);

        static async Task RunAndCompleteAsync(Run<TIn, TUnit, TOut> run, ChannelWriter<BatchItem<TOut>> writer, CancellationToken ct)
        {
            try
            {
                await run.ExecuteAsync(ct).ConfigureAwait(false);
                writer.TryComplete();
            }
            catch (Exception ex)
            {
                writer.TryComplete(ex);
                throw;
            }
        }
    }

    /// <summary>
    /// The partial result of a cancelled batch: every started input once, in order; the unfinished ones are Cancelled.
    /// The run has stopped taking inputs, so the buffers no longer grow.
    /// </summary>
    internal static (BatchResult<TOut> Partial, int Completed) Snapshot<TOut>(ResultBuffer<BatchItem<TOut>> buffer, ResultBuffer<bool> finished, IRunStatistics run)
    {
        var items = new ResultBuffer<BatchItem<TOut>>();
        var cancelled = new BatchError(BatchErrorKind.Cancelled, "The batch was cancelled before this item finished.");
        int completed = 0;
        for (int i = 0; i < buffer.Count; i++)
        {
            items.Reserve(i);
            if (finished[i])
            {
                items[i] = buffer[i];
                completed++;
            }
            else
            {
                items[i] = BatchItem.Failure<TOut>(i, cancelled, default, 0, TimeSpan.Zero);
            }
        }

        var partial = new BatchResult<TOut>(items, run.Elapsed, run.PeakInFlight)
        {
            MinConcurrency = run.Concurrency.Minimum,
            ThrottledResponses = run.Concurrency.Throttles,
        };
        return (partial, completed);
    }

    private static void Validate<TIn, TWork>(IEnumerable<TIn> inputs, TWork work, BatchPlan plan)
        where TWork : class
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(plan);
        Guard.Workers(plan.MaxConcurrency, $"{nameof(plan)}.{nameof(plan.MaxConcurrency)}");
    }

    /// <summary>Logs the batch summary: time, success rate, rate, peak concurrency and tokens; and the throttles, if any.</summary>
    internal void LogSummary(BatchPlan plan, IRunStatistics run)
    {
        if (!plan.Logged || !_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        double seconds = run.Elapsed.TotalSeconds;
        int total = run.Completed, succeeded = run.Succeeded;
        TokenUsage usage = run.Usage;
        Log.BatchFinished(_logger, plan.Operation, seconds, succeeded, total,
            total == 0 ? 1 : (double)succeeded / total, seconds > 0 ? total / seconds : 0, plan.Unit, run.PeakInFlight,
            usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens,
            run.Cost is { } cost ? "$" + cost.ToString("0.######", CultureInfo.InvariantCulture) : "unknown (a model has no price)");
        AdaptiveConcurrency concurrency = run.Concurrency;
        if (concurrency.Throttles > 0)
        {
            Log.BatchThrottled(_logger, plan.Operation, concurrency.Throttles, concurrency.Minimum, concurrency.Limit, concurrency.Max);
        }

        if (run.Duplicates > 0)
        {
            Log.BatchDeduplicated(_logger, plan.Operation, run.Duplicates);
        }

        if (run.Hedger is { Hedges: > 0 } hedger)
        {
            Log.BatchHedged(_logger, plan.Operation, hedger.Hedges, hedger.Wins);
        }

        if (plan.Journal is { } journal)
        {
            int fromJournal = run.FromJournal;
            Log.BatchJournaled(_logger, plan.Operation, fromJournal, total - fromJournal, journal.Path);
        }
    }

    internal void LogStart<TIn>(BatchPlan plan, IEnumerable<TIn> inputs)
    {
        if (!plan.Logged || !_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        string size = plan.Size is { } known ? known.ToString(CultureInfo.InvariantCulture)
            : inputs.TryGetNonEnumeratedCount(out int count) ? count.ToString(CultureInfo.InvariantCulture)
            : "unknown (lazy)";
        string temperature = plan.Temperature?.ToString(CultureInfo.InvariantCulture) ?? "default";
        string maxTokens = plan.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "default";
        Log.BatchStarted(_logger, plan.Operation, size, plan.MaxConcurrency, plan.Model, temperature, maxTokens, plan.Provider);
    }

    internal interface IRunStatistics
    {
        TimeSpan Elapsed { get; }

        int Completed { get; }

        int Succeeded { get; }

        int FromJournal { get; }

        int Duplicates { get; }

        Hedger? Hedger { get; }

        int PeakInFlight { get; }

        TokenUsage Usage { get; }

        decimal? Cost { get; }

        AdaptiveConcurrency Concurrency { get; }
    }

    /// <summary>The state of one batch execution, shared by its workers.</summary>
    private sealed class Run<TIn, TUnit, TOut> : IRunStatistics
    {
        private readonly BatchRunner _runner;
        private readonly IEnumerable<TIn> _inputs;
        private readonly BatchWork<TIn, TUnit> _work;
        private readonly IBatchPacking<TIn, TUnit, TOut>? _packing;
        private readonly BatchPlan _plan;
        private readonly Func<BatchItem<TOut>, CancellationToken, ValueTask> _sink;
        private readonly Action<int> _reserve;
        private readonly BatchScope _scope;
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private IEnumerator<TIn>? _enumerator;
        private Exception? _failure;
        private BatchError? _quotaExceeded;
        private bool _exhausted;
        private int _next;
        private int _workers;
        private int _workersStarted;
        private int _knownCount = -1;
        private int _inFlight;
        private int _peakInFlight;
        private int _completed;
        private int _succeeded;
        private int _fromJournal;
        private int _duplicates;
        private int _retries;
        private TokenUsage _usage;
        private decimal? _cost = 0m;
        private long _start;
        private long _end;
        private ProgressReporter? _progress;

        public Run(BatchRunner runner, IEnumerable<TIn> inputs, BatchWork<TIn, TUnit> work,
            IBatchPacking<TIn, TUnit, TOut>? packing, BatchPlan plan, Func<BatchItem<TOut>, CancellationToken, ValueTask> sink, Action<int> reserve)
        {
            _runner = runner;
            _inputs = inputs;
            _work = work;
            _packing = packing;
            _plan = plan;
            _sink = sink;
            _reserve = reserve;
            Concurrency = new AdaptiveConcurrency(plan.MaxConcurrency, runner._time, plan.AdaptiveConcurrency);
            RateLimitGate? batchGate = plan.RequestsPerMinute is not null || plan.TokensPerMinute is not null
                ? new RateLimitGate(plan.RequestsPerMinute, plan.TokensPerMinute, runner._time)
                : null;
            // A batch with a budget is not hedged: a duplicate would reserve the worst case again and could use up what
            // is left of the budget for requests that are not needed.
            Hedger = plan.Hedging.Enabled && plan.Mode == BatchMode.Live && plan.Budget is null ? new Hedger(plan.Hedging, runner._time) : null;
            _scope = new BatchScope(Concurrency, batchGate, plan.Budget, Hedger);
        }

        public int PeakInFlight => Volatile.Read(ref _peakInFlight);

        /// <summary>Workers started over the run: at most one more than the inputs taken (none more for a collection), whatever the bound.</summary>
        public int WorkersStarted => Volatile.Read(ref _workersStarted);

        public int Completed => Volatile.Read(ref _completed);

        public int Succeeded => Volatile.Read(ref _succeeded);

        public int FromJournal => Volatile.Read(ref _fromJournal);

        public int Duplicates => Volatile.Read(ref _duplicates);

        public Hedger? Hedger { get; }

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

        public AdaptiveConcurrency Concurrency { get; }

        public TimeSpan Elapsed => _runner._time.GetElapsedTime(_start, _end == 0 ? _runner._time.GetTimestamp() : _end);

        public async Task ExecuteAsync(CancellationToken cancellationToken)
        {
            _runner.LogStart(_plan, _inputs);
            _start = _runner._time.GetTimestamp();
            _knownCount = _inputs.TryGetNonEnumeratedCount(out int count) ? count : -1;
            _progress = _plan.Progress is { } progress ? new ProgressReporter(progress, Snapshot, _runner._time, _runner._logger) : null;
            _enumerator = _inputs.GetEnumerator();
            using Activity? span = _plan.Logged ? BatchSpan.Start(_plan, _knownCount) : null;
            try
            {
                lock (_gate)
                {
                    _workers = 1;
                }

                StartWorker(cancellationToken);

                // Cancellation does not wait for the workers: a request that ignores its token (or a hung server)
                // must not hold the caller, who gets what finished so far.
                bool done = await WaitForWorkersAsync(cancellationToken).ConfigureAwait(false);
                if (!done || (_failure is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    StopTaking();
                    Log.BatchCancelled(_runner._logger, _plan.Operation, Volatile.Read(ref _completed));
                    throw new OperationCanceledException("The batch was cancelled.", _failure, cancellationToken);
                }

                if (_failure is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
                }
            }
            finally
            {
                _end = _runner._time.GetTimestamp();
                lock (_gate)
                {
                    // Workers of a cancelled run may still be finishing; under the lock none is inside MoveNext.
                    _exhausted = true;
                    _enumerator.Dispose();
                }

                BatchSpan.Finish(span, this, cancellationToken.IsCancellationRequested);
                _progress?.End();
            }
        }

        /// <summary>Workers still running take no further input; the number of started inputs is final.</summary>
        private void StopTaking()
        {
            lock (_gate)
            {
                _exhausted = true;
            }
        }

        private async Task<bool> WaitForWorkersAsync(CancellationToken cancellationToken)
        {
            try
            {
                await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return _done.Task.IsCompleted;
            }
        }

        private void StartWorker(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _workersStarted);
            _ = Task.Run(() => WorkerAsync(cancellationToken), CancellationToken.None);
        }

        private async Task WorkerAsync(CancellationToken cancellationToken)
        {
            // The rate-limit handlers find this batch's adaptive concurrency and own limits through the ambient scope.
            BatchScope.Current = _scope;
            try
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await Concurrency.EnterAsync(cancellationToken).ConfigureAwait(false);
                    try
                    {
                        if (!await ProcessNextAsync(cancellationToken).ConfigureAwait(false))
                        {
                            break;
                        }
                    }
                    finally
                    {
                        Concurrency.Exit();
                    }
                }
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _failure ??= ex;
                    _exhausted = true;
                }
            }
            finally
            {
                bool last;
                lock (_gate)
                {
                    last = --_workers == 0;
                }

                if (last)
                {
                    _done.TrySetResult();
                }
            }
        }

        /// <summary>Takes the next input, if any, and runs it; false when the inputs are exhausted.</summary>
        private async Task<bool> ProcessNextAsync(CancellationToken cancellationToken)
        {
            int index;
            TIn input;
            lock (_gate)
            {
                if (_exhausted)
                {
                    return false;
                }

                try
                {
                    if (!_enumerator!.MoveNext())
                    {
                        _exhausted = true;
                        return false;
                    }
                }
                catch
                {
                    // The input sequence itself failed: no further input can be produced, so stop every worker.
                    _exhausted = true;
                    throw;
                }

                index = _next++;
                input = _enumerator.Current;
                _reserve(_packing is null ? index : _packing.LastIndex(input));

                // One more worker for the next input, until the concurrency bound. A collection says when there is no
                // next input; a lazy sequence can only be asked, so its last spare worker finds it exhausted: at most
                // one worker more than the inputs, however large the bound.
                if (_workers < _plan.MaxConcurrency && (_knownCount < 0 || _next < _knownCount))
                {
                    _workers++;
                    StartWorker(cancellationToken);
                }
            }

            // After a quota answer nothing more is sent: every later request would be refused the same way. Nor after
            // the budget refused a request: what is left of it does not cover one more.
            BatchItem<TUnit> unit = Volatile.Read(ref _quotaExceeded) is { } quota
                ? BatchItem.Failure<TUnit>(index, quota, default, 0, TimeSpan.Zero)
                : _plan.Budget is { Exhausted: true } budget
                    ? BatchItem.Failure<TUnit>(index, budget.NotSent(), default, 0, TimeSpan.Zero)
                    : await RunOneAsync(index, input, cancellationToken).ConfigureAwait(false);
            if (_packing is null)
            {
                BatchItem<TOut> item = Unsafe.As<BatchItem<TUnit>, BatchItem<TOut>>(ref unit);
                TripOnQuota(item.Error);
                await _sink(item, cancellationToken).ConfigureAwait(false);
                Record(item);
            }
            else
            {
                foreach (BatchItem<TOut> item in _packing.Unpack(input, unit))
                {
                    TripOnQuota(item.Error);
                    await _sink(item, cancellationToken).ConfigureAwait(false);
                    Record(item);
                }
            }

            return true;
        }

        /// <summary>
        /// The batch-wide fail-fast: the first item refused for quota makes every item not yet sent fail with
        /// <see cref="BatchErrorKind.QuotaExceeded"/> and no attempt. Items already in flight finish on their own.
        /// </summary>
        private void TripOnQuota(BatchError? error)
        {
            if (error is { Kind: BatchErrorKind.QuotaExceeded } && Volatile.Read(ref _quotaExceeded) is null)
            {
                var notSent = new BatchError(BatchErrorKind.QuotaExceeded, $"Not sent: an earlier item of this batch found the account out of quota ({error.Message}).")
                {
                    StatusCode = error.StatusCode,
                    ProviderCode = error.ProviderCode,
                    ErrorType = error.ErrorType,
                    Provider = error.Provider,
                };
                Interlocked.CompareExchange(ref _quotaExceeded, notSent, null);
            }
        }

        private void Record(BatchItem<TOut> item)
        {
            BatchSpan.Count(_plan, item.Error, item.Cost);
            Interlocked.Increment(ref _completed);
            if (item.Succeeded)
            {
                Interlocked.Increment(ref _succeeded);
            }

            if (item.FromJournal)
            {
                Interlocked.Increment(ref _fromJournal);
            }

            if (item.DuplicateOf is not null)
            {
                Interlocked.Increment(ref _duplicates);
            }

            if (item.Attempts > 1)
            {
                Interlocked.Add(ref _retries, item.Attempts - 1);
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

        /// <summary>The batch as it stands, for its progress handler.</summary>
        private BatchProgress Snapshot()
        {
            TokenUsage usage;
            decimal? cost;
            lock (_gate)
            {
                usage = _usage;
                cost = _cost;
            }

            // Succeeded first: an item counts as completed before it counts as succeeded, so Failed is never negative.
            int succeeded = Volatile.Read(ref _succeeded);
            int completed = Volatile.Read(ref _completed);
            return new BatchProgress(completed, succeeded, completed - succeeded, Volatile.Read(ref _inFlight), Elapsed)
            {
                ConcurrencyLimit = Concurrency.Limit,
                Retries = Volatile.Read(ref _retries),
                Usage = usage,
                Cost = cost,
                Total = _packing is null && _knownCount >= 0 ? _knownCount : _plan.Size,
            };
        }

        private async ValueTask<BatchItem<TUnit>> RunOneAsync(int index, TIn input, CancellationToken cancellationToken)
        {
            if (TypedBatchTelemetry.InFlight.Enabled)
            {
                TypedBatchTelemetry.InFlight.Add(1, new KeyValuePair<string, object?>("typedbatch.operation", _plan.Operation));
            }

            int inFlight = Interlocked.Increment(ref _inFlight);
            UpdatePeak(inFlight);
            long started = Stopwatch.GetTimestamp();
            try
            {
                BatchWorkResult<TUnit> result = await _work(input, index, cancellationToken).ConfigureAwait(false);
                TimeSpan latency = Stopwatch.GetElapsedTime(started);
                return new BatchItem<TUnit>(index, result.Error is null ? result.Value : default, result.Error, result.Usage, result.Attempts, latency, result.Repairs, result.Provider, result.FromJournal, result.Deferred, result.Cost, result.DuplicateOf, result.Hedged);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is not BatchJournalException)
            {
                // A journal that cannot be used (a mismatch, a failed write) stops the batch; it is not one item's error.
                var error = BatchError.FromException(ex);
                var provider = ex as ProviderException;
                int attempts = provider?.Attempts ?? 0;
                Log.ItemFailed(_runner._logger, index, attempts, error, error.Exception);
                return BatchItem.Failure<TUnit>(index, error, provider?.Usage ?? default, attempts, Stopwatch.GetElapsedTime(started), provider?.Repairs ?? 0, provider is null ? 0m : provider.Cost);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
                if (TypedBatchTelemetry.InFlight.Enabled)
                {
                    TypedBatchTelemetry.InFlight.Add(-1, new KeyValuePair<string, object?>("typedbatch.operation", _plan.Operation));
                }
            }
        }

        private void UpdatePeak(int inFlight)
        {
            int peak = Volatile.Read(ref _peakInFlight);
            while (inFlight > peak)
            {
                int seen = Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak);
                if (seen == peak)
                {
                    return;
                }

                peak = seen;
            }
        }
    }
}

/// <summary>How the units of a packed batch map onto its items (an embeddings request carries many inputs).</summary>
/// <typeparam name="TIn">A unit of work.</typeparam>
/// <typeparam name="TUnit">What a unit produces.</typeparam>
/// <typeparam name="TOut">What an item is.</typeparam>
internal interface IBatchPacking<in TIn, TUnit, TOut>
{
    /// <summary>The index of the last item a unit carries, so results can be reserved in input order.</summary>
    int LastIndex(TIn unit);

    /// <summary>The unit's items, in input order.</summary>
    IEnumerable<BatchItem<TOut>> Unpack(TIn unit, BatchItem<TUnit> result);
}
