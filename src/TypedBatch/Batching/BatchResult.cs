using System.Collections;

namespace TypedBatch;

/// <summary>
/// The outcome of a batch: exactly one <see cref="BatchItem{T}"/> per input, in input order, with totals.
/// </summary>
/// <typeparam name="T">The value type.</typeparam>
public sealed class BatchResult<T> : IReadOnlyList<BatchItem<T>>
{
    private readonly ResultBuffer<BatchItem<T>> _items;

    internal BatchResult(ResultBuffer<BatchItem<T>> items, TimeSpan elapsed, int peakConcurrency)
    {
        _items = items;
        Elapsed = elapsed;
        PeakConcurrency = peakConcurrency;
        TokenUsage usage = default;
        decimal? cost = 0m;
        int failed = 0, fromJournal = 0, deferred = 0, duplicates = 0, hedged = 0;
        for (int i = 0; i < items.Count; i++)
        {
            BatchItem<T> item = items[i];
            usage += item.Usage;
            cost = Pricing.Add(cost, item.Cost);
            if (!item.Succeeded)
            {
                failed++;
            }

            if (item.FromJournal)
            {
                fromJournal++;
            }

            if (item.Deferred)
            {
                deferred++;
            }

            if (item.DuplicateOf is not null)
            {
                duplicates++;
            }

            if (item.Hedged)
            {
                hedged++;
            }
        }

        Usage = usage;
        Cost = cost;
        FailedCount = failed;
        FromJournalCount = fromJournal;
        DeferredCount = deferred;
        DuplicateCount = duplicates;
        HedgedCount = hedged;
    }

    /// <summary>Items whose slow request was hedged (<see cref="BatchItem{T}.Hedged"/>).</summary>
    public int HedgedCount { get; }

    /// <summary>Items answered by an identical earlier item's request instead of their own (<see cref="BatchItem{T}.DuplicateOf"/>).</summary>
    public int DuplicateCount { get; }

    /// <summary>Items answered through the provider's Batch API (<see cref="BatchItem{T}.Deferred"/>).</summary>
    public int DeferredCount { get; }

    /// <summary>Items read back from the batch's journal instead of sent (a resumed batch); the rest were run.</summary>
    public int FromJournalCount { get; }

    /// <summary>The number of inputs (and items).</summary>
    public int Count => _items.Count;

    /// <summary>The item for the input at <paramref name="index"/>.</summary>
    /// <param name="index">The input's position.</param>
    public BatchItem<T> this[int index] => _items[index];

    /// <summary>Items that have a value.</summary>
    public int SucceededCount => Count - FailedCount;

    /// <summary>Items that failed.</summary>
    public int FailedCount { get; }

    /// <summary>Whether every item succeeded.</summary>
    public bool AllSucceeded => FailedCount == 0;

    /// <summary>Tokens summed over every item (journaled items included: what the whole batch took).</summary>
    public TokenUsage Usage { get; }

    /// <summary>
    /// What the batch cost, in USD: <see cref="BatchItem{T}.Cost"/> summed over every item (journaled items included, at
    /// the cost of the run that sent them); <see langword="null"/> when any item's model has no price.
    /// </summary>
    public decimal? Cost { get; }

    /// <summary>Wall-clock time of the whole batch.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Items finished per second of <see cref="Elapsed"/>.</summary>
    public double ItemsPerSecond => Elapsed > TimeSpan.Zero ? Count / Elapsed.TotalSeconds : 0;

    /// <summary>The most requests that were in flight at once.</summary>
    public int PeakConcurrency { get; }

    /// <summary>The lowest the adaptive concurrency limit went (equal to <c>MaxConcurrency</c> when never throttled).</summary>
    public int MinConcurrency { get; init; }

    /// <summary>429 responses the provider sent during the batch, retried ones included.</summary>
    public int ThrottledResponses { get; init; }

    /// <summary>Workers the runner started, for tests: bounded by the inputs, not by a huge <c>MaxConcurrency</c>.</summary>
    internal int WorkersStarted { get; init; }

    /// <summary>How many items each provider answered or failed, by <see cref="BatchItem{T}.Provider"/> (with a fallback chain, who did the work).</summary>
    public IReadOnlyDictionary<string, int> CountByProvider()
        => this.Where(i => i.Provider is not null).GroupBy(i => i.Provider!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>The failed items, in input order.</summary>
    public IEnumerable<BatchItem<T>> Failures => this.Where(item => !item.Succeeded);

    /// <summary>Every value in input order, or one exception that lists every failed index.</summary>
    /// <exception cref="BatchFailedException">At least one item failed.</exception>
    public IReadOnlyList<T> GetValuesOrThrow()
    {
        if (FailedCount > 0)
        {
            throw new BatchFailedException(Count, Failures.Select(f => (f.Index, f.Error!)).ToArray());
        }

        var values = new T[Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = _items[i].Value!;
        }

        return values;
    }

    /// <summary>The same result with every value mapped; failures, usage and timings are kept.</summary>
    /// <typeparam name="TOut">The new value type.</typeparam>
    /// <param name="map">Maps one value.</param>
    public BatchResult<TOut> MapValues<TOut>(Func<T, TOut> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var items = new ResultBuffer<BatchItem<TOut>>();
        for (int i = 0; i < Count; i++)
        {
            items.Reserve(i);
            items[i] = _items[i].MapValue(map);
        }

        return new BatchResult<TOut>(items, Elapsed, PeakConcurrency) { MinConcurrency = MinConcurrency, ThrottledResponses = ThrottledResponses };
    }

    /// <inheritdoc />
    public IEnumerator<BatchItem<T>> GetEnumerator()
    {
        int count = Count;
        for (int i = 0; i < count; i++)
        {
            yield return _items[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public override string ToString() => $"BatchResult: {SucceededCount}/{Count} succeeded in {Elapsed.TotalSeconds:F2}s";
}
