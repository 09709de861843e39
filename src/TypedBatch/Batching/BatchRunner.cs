using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TypedBatch;

/// <summary>
/// Runs one unit of work per input with bounded concurrency. Inputs are pulled lazily, one at a time, as a worker
/// frees up, so a million-input sequence is never materialized; each input gets exactly one <see cref="BatchItem{T}"/>;
/// failures are captured per item and never escape the batch.
/// </summary>
/// <remarks>
/// Only two things end a batch early with an exception: the caller's <see cref="CancellationToken"/>
/// (an <see cref="OperationCanceledException"/>, thrown as soon as the in-flight requests observe it), and an
/// exception thrown by the input sequence itself while it is enumerated.
/// </remarks>
public sealed class BatchRunner
{
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    /// <summary>Creates a runner.</summary>
    /// <param name="logger">Where the batch start and summary are logged.</param>
    /// <param name="timeProvider">The clock for elapsed times.</param>
    public BatchRunner(ILogger<BatchRunner>? logger = null, TimeProvider? timeProvider = null)
    {
        _logger = logger ?? NullLogger<BatchRunner>.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Runs <paramref name="work"/> for every input and returns the items in input order.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The value type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily, once.</param>
    /// <param name="work">The work for one input. Exceptions it throws become the item's <see cref="BatchError"/>.</param>
    /// <param name="descriptor">Concurrency, progress and what to log.</param>
    /// <param name="cancellationToken">Cancels the batch; the call then throws <see cref="OperationCanceledException"/>.</param>
    public async Task<BatchResult<TOut>> RunAsync<TIn, TOut>(
        IEnumerable<TIn> inputs,
        Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> work,
        BatchRunDescriptor descriptor,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(descriptor);
        Guard.Workers(descriptor.MaxConcurrency, $"{nameof(descriptor)}.{nameof(descriptor.MaxConcurrency)}");
        cancellationToken.ThrowIfCancellationRequested();

        var buffer = new ResultBuffer<BatchItem<TOut>>();
        var run = new Run<TIn, TOut>(this, inputs, work, descriptor, (item, _) =>
        {
            buffer[item.Index] = item;
            return ValueTask.CompletedTask;
        }, buffer.Reserve);

        await run.ExecuteAsync(cancellationToken).ConfigureAwait(false);
        var result = new BatchResult<TOut>(buffer, run.Elapsed, run.PeakInFlight)
        {
            MinConcurrency = run.Concurrency.Minimum,
            ThrottledResponses = run.Concurrency.Throttles,
        };
        LogSummary(descriptor, result.SucceededCount, result.Count, result.Elapsed, result.PeakConcurrency, result.Usage, run.Concurrency);
        if (descriptor.LogSummary && _logger.IsEnabled(LogLevel.Information))
        {
            IReadOnlyDictionary<string, int> byProvider = result.CountByProvider();
            if (byProvider.Count > 1)
            {
                string counts = string.Join(", ", byProvider.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
                Log.BatchProviders(_logger, descriptor.Operation, counts);
            }
        }

        return result;
    }

    /// <summary>Runs <paramref name="work"/> for every input and yields each item as soon as it finishes.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The value type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily, once.</param>
    /// <param name="work">The work for one input.</param>
    /// <param name="descriptor">Concurrency, progress and what to log.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Items in completion order; <see cref="BatchItem{T}.Index"/> gives each one's input position.</returns>
    public async IAsyncEnumerable<BatchItem<TOut>> RunAsCompletedAsync<TIn, TOut>(
        IEnumerable<TIn> inputs,
        Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> work,
        BatchRunDescriptor descriptor,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(descriptor);
        Guard.Workers(descriptor.MaxConcurrency, $"{nameof(descriptor)}.{nameof(descriptor.MaxConcurrency)}");
        cancellationToken.ThrowIfCancellationRequested();

        // Bounded so that a slow consumer holds back the workers instead of buffering without limit.
        var channel = Channel.CreateBounded<BatchItem<TOut>>(new BoundedChannelOptions(descriptor.MaxConcurrency)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int succeeded = 0, total = 0;
        var usage = new UsageAccumulator();
        var run = new Run<TIn, TOut>(this, inputs, work, descriptor, (item, ct) => channel.Writer.WriteAsync(item, ct), static _ => { });
        Task producer = RunAndCompleteAsync(run, channel.Writer, stop.Token);

        try
        {
            await foreach (BatchItem<TOut> item in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                total++;
                if (item.Succeeded)
                {
                    succeeded++;
                }

                usage.Add(item.Usage);
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

        LogSummary(descriptor, succeeded, total, run.Elapsed, run.PeakInFlight, usage.Total, run.Concurrency);

        static async Task RunAndCompleteAsync(Run<TIn, TOut> run, ChannelWriter<BatchItem<TOut>> writer, CancellationToken ct)
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

    /// <summary>Logs the batch summary: time, success rate, rate, peak concurrency and tokens.</summary>
    internal void LogSummary(BatchRunDescriptor descriptor, int succeeded, int total, TimeSpan elapsed, int peak, TokenUsage usage, AdaptiveConcurrency? concurrency = null)
    {
        if (!descriptor.LogSummary || !_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        double seconds = elapsed.TotalSeconds;
        Log.BatchFinished(_logger, descriptor.Operation, seconds, succeeded, total,
            total == 0 ? 1 : (double)succeeded / total, seconds > 0 ? total / seconds : 0, descriptor.Unit, peak,
            usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens);
        if (concurrency is { Throttles: > 0 })
        {
            Log.BatchThrottled(_logger, descriptor.Operation, concurrency.Throttles, concurrency.Minimum, concurrency.Limit, concurrency.Max);
        }
    }

    private void LogStart<TIn>(BatchRunDescriptor descriptor, IEnumerable<TIn> inputs)
    {
        if (!_logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        string size = descriptor.Size is { } known ? known.ToString(CultureInfo.InvariantCulture)
            : inputs.TryGetNonEnumeratedCount(out int count) ? count.ToString(CultureInfo.InvariantCulture)
            : "unknown (lazy)";
        string temperature = descriptor.Temperature?.ToString(CultureInfo.InvariantCulture) ?? "default";
        string maxTokens = descriptor.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "default";
        Log.BatchStarted(_logger, descriptor.Operation, size, descriptor.MaxConcurrency, descriptor.Model, temperature, maxTokens, descriptor.Provider);
    }

    /// <summary>The state of one batch execution, shared by its workers.</summary>
    private sealed class Run<TIn, TOut>
    {
        private readonly BatchRunner _runner;
        private readonly IEnumerable<TIn> _inputs;
        private readonly Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> _work;
        private readonly BatchRunDescriptor _descriptor;
        private readonly Func<BatchItem<TOut>, CancellationToken, ValueTask> _sink;
        private readonly Action<int> _reserve;
        private readonly Lock _gate = new();
        private IEnumerator<TIn>? _enumerator;
        private bool _exhausted;
        private int _next;
        private int _inFlight;
        private int _peakInFlight;
        private int _completed;
        private int _succeeded;
        private long _start;
        private long _end;

        public Run(BatchRunner runner, IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> work,
            BatchRunDescriptor descriptor, Func<BatchItem<TOut>, CancellationToken, ValueTask> sink, Action<int> reserve)
        {
            _runner = runner;
            _inputs = inputs;
            _work = work;
            _descriptor = descriptor;
            _sink = sink;
            _reserve = reserve;
            Concurrency = new AdaptiveConcurrency(descriptor.MaxConcurrency, runner._time);
        }

        public int PeakInFlight => Volatile.Read(ref _peakInFlight);

        public AdaptiveConcurrency Concurrency { get; }

        public TimeSpan Elapsed => _runner._time.GetElapsedTime(_start, _end == 0 ? _runner._time.GetTimestamp() : _end);

        public async Task ExecuteAsync(CancellationToken cancellationToken)
        {
            _runner.LogStart(_descriptor, _inputs);
            _start = _runner._time.GetTimestamp();
            int workers = _descriptor.MaxConcurrency;
            if (_inputs.TryGetNonEnumeratedCount(out int count))
            {
                workers = Math.Min(workers, Math.Max(count, 1));
            }

            _enumerator = _inputs.GetEnumerator();
            try
            {
                var tasks = new Task[workers];
                for (int i = 0; i < tasks.Length; i++)
                {
                    tasks[i] = Task.Run(() => WorkerAsync(cancellationToken), CancellationToken.None);
                }

                try
                {
                    await Task.WhenAll(tasks).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    Log.BatchCancelled(_runner._logger, _descriptor.Operation, Volatile.Read(ref _completed));
                    throw new OperationCanceledException("The batch was cancelled.", cancellationToken);
                }
            }
            finally
            {
                _end = _runner._time.GetTimestamp();
                _enumerator.Dispose();
            }
        }

        private async Task WorkerAsync(CancellationToken cancellationToken)
        {
            // The HTTP pipeline reports 429s and successes to this batch's limit through the ambient controller.
            AdaptiveConcurrency.Current = _descriptor.AdaptiveConcurrency ? Concurrency : null;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Concurrency.EnterAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    if (!await ProcessNextAsync(cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                finally
                {
                    Concurrency.Exit();
                }
            }
        }

        /// <summary>Takes the next input, if any, and runs it; false when the inputs are exhausted.</summary>
        private async Task<bool> ProcessNextAsync(CancellationToken cancellationToken)
        {
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
                    _reserve(index);
                }

                BatchItem<TOut> item = await RunOneAsync(index, input, cancellationToken).ConfigureAwait(false);
                await _sink(item, cancellationToken).ConfigureAwait(false);
                int completed = Interlocked.Increment(ref _completed);
                int succeeded = item.Succeeded ? Interlocked.Increment(ref _succeeded) : Volatile.Read(ref _succeeded);
                if (_descriptor.Progress is { } progress)
                {
                    ReportProgress(progress, new BatchProgress(completed, succeeded, completed - succeeded,
                        Volatile.Read(ref _inFlight), _runner._time.GetElapsedTime(_start))
                    {
                        ConcurrencyLimit = Concurrency.Limit,
                    });
                }
                return true;
            }
        }

        private async ValueTask<BatchItem<TOut>> RunOneAsync(int index, TIn input, CancellationToken cancellationToken)
        {
            int inFlight = Interlocked.Increment(ref _inFlight);
            UpdatePeak(inFlight);
            long started = Stopwatch.GetTimestamp();
            try
            {
                BatchWorkResult<TOut> result = await _work(input, cancellationToken).ConfigureAwait(false);
                return BatchItem.Success(index, result.Value, result.Usage, result.Attempts, Stopwatch.GetElapsedTime(started), result.Repairs, result.Provider);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                var error = BatchError.FromException(ex);
                var provider = ex as ProviderException;
                int attempts = provider?.Attempts ?? 0;
                Log.ItemFailed(_runner._logger, index, attempts, error);
                return BatchItem.Failure<TOut>(index, error, provider?.Usage ?? default, attempts, Stopwatch.GetElapsedTime(started), provider?.Repairs ?? 0);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        /// <summary>A progress handler that throws must not lose the batch: the failure is logged once per report.</summary>
        private void ReportProgress(IProgress<BatchProgress> progress, BatchProgress value)
        {
            try
            {
                progress.Report(value);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Log.ProgressFailed(_runner._logger, ex);
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

    private sealed class UsageAccumulator
    {
        public TokenUsage Total { get; private set; }

        public void Add(TokenUsage usage) => Total += usage;
    }
}
