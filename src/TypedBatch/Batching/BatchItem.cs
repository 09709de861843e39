using System.Diagnostics.CodeAnalysis;

namespace TypedBatch;

/// <summary>Creates <see cref="BatchItem{T}"/> values.</summary>
public static class BatchItem
{
    /// <summary>Creates a successful item.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="index">The input's position.</param>
    /// <param name="value">The value.</param>
    /// <param name="usage">Tokens counted.</param>
    /// <param name="attempts">HTTP attempts made.</param>
    /// <param name="latency">Time from start to finish of this item.</param>
    /// <param name="repairs">Repair re-asks made.</param>
    /// <param name="provider">The provider that answered.</param>
    /// <param name="cost">What it cost in USD; <see langword="null"/> when unknown.</param>
    public static BatchItem<T> Success<T>(int index, T value, TokenUsage usage, int attempts, TimeSpan latency, int repairs = 0, string? provider = null, decimal? cost = null)
        => new(index, value, null, usage, attempts, latency, repairs, provider, cost: cost);

    /// <summary>Creates a failed item.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="index">The input's position.</param>
    /// <param name="error">Why it failed.</param>
    /// <param name="usage">Tokens counted before it failed.</param>
    /// <param name="attempts">HTTP attempts made.</param>
    /// <param name="latency">Time from start to finish of this item.</param>
    /// <param name="repairs">Repair re-asks made.</param>
    /// <param name="cost">What it cost in USD before it failed; <see langword="null"/> when unknown.</param>
    public static BatchItem<T> Failure<T>(int index, BatchError error, TokenUsage usage, int attempts, TimeSpan latency, int repairs = 0, decimal? cost = 0m)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(index, default, error, usage, attempts, latency, repairs, error.Provider, cost: cost);
    }
}

/// <summary>The outcome of one input of a batch: its value or its error, never both.</summary>
/// <typeparam name="T">The value type.</typeparam>
public readonly struct BatchItem<T>
{
    internal BatchItem(int index, T? value, BatchError? error, TokenUsage usage, int attempts, TimeSpan latency, int repairs = 0, string? provider = null, bool fromJournal = false, bool deferred = false, decimal? cost = 0m, int? duplicateOf = null, bool hedged = false)
    {
        Hedged = hedged;
        DuplicateOf = duplicateOf;
        Cost = cost;
        FromJournal = fromJournal;
        Deferred = deferred;
        Repairs = repairs;
        Provider = provider;
        Index = index;
        Value = value;
        Error = error;
        Usage = usage;
        Attempts = attempts;
        Latency = latency;
    }

    /// <summary>The input's zero-based position in the batch.</summary>
    public int Index { get; }

    /// <summary>
    /// The value, when <see cref="Succeeded"/>; otherwise the default. After <c>if (item.Succeeded)</c> the compiler
    /// knows it is set; for a nullable <typeparamref name="T"/> (a method returning <c>Task&lt;Person?&gt;</c>) a
    /// successful value may still be the <see langword="null"/> the model answered.
    /// </summary>
    public T? Value { get; }

    /// <summary>Why the item failed, when it did.</summary>
    public BatchError? Error { get; }

    /// <summary>Whether the item has a value.</summary>
    [MemberNotNullWhen(false, nameof(Error))]
    [MemberNotNullWhen(true, nameof(Value))]
    public bool Succeeded => Error is null;

    /// <summary>Tokens counted for this item.</summary>
    public TokenUsage Usage { get; }

    /// <summary>
    /// What this item cost, in USD: every answer it took (repairs included) priced from its usage by the client's
    /// <see cref="PriceTable"/>, at the Batch API's discount where it was answered <see cref="Deferred"/>. Zero when
    /// nothing was billed (nothing sent, an HTTP failure, GitHub Copilot and local servers without a price);
    /// <see langword="null"/> when the model has no price. A journaled item keeps the cost of the run that sent it.
    /// </summary>
    public decimal? Cost { get; }

    /// <summary>
    /// With <see cref="BatchOptions.Deduplicate"/>: the index of the earlier item whose identical request was sent and
    /// whose answer (or error) this item shares; its own usage, cost and attempts are zero. <see langword="null"/> for an
    /// item that was sent (or replayed) itself.
    /// </summary>
    public int? DuplicateOf { get; }

    /// <summary>HTTP attempts made for this item, retries included (0 when nothing was sent).</summary>
    public int Attempts { get; }

    /// <summary>Time from the start of this item to its result.</summary>
    public TimeSpan Latency { get; }

    /// <summary>
    /// Times a typed answer that did not parse was sent back to the model to be repaired. Counted apart from
    /// <see cref="Attempts"/>, which are HTTP retries of one request.
    /// </summary>
    public int Repairs { get; }

    /// <summary>The provider that answered (or last failed), when known; with a fallback chain, which one it was.</summary>
    public string? Provider { get; }

    /// <summary>
    /// Whether the item was read back from the batch's journal instead of sent (a resumed batch); its usage and attempts
    /// are those of the run that journaled it.
    /// </summary>
    public bool FromJournal { get; }

    /// <summary>
    /// Whether the item was answered through the provider's Batch API (<see cref="BatchMode.Deferred"/>), which bills at
    /// the batch discount; false for items sent live (repairs aside), including those a deadline sent live.
    /// </summary>
    public bool Deferred { get; }

    /// <summary>
    /// Whether the item's request was slow enough to be hedged (<see cref="BatchOptions.Hedging"/>): a duplicate request
    /// was sent and the first answer taken. The tokens and cost of both count in <see cref="Usage"/> and
    /// <see cref="Cost"/> when both answered; a request cancelled before it answered reports none.
    /// </summary>
    public bool Hedged { get; }

    /// <summary>The same item at another index (a sub-run's item mapped back to its place in the batch), marked deferred or not.</summary>
    internal BatchItem<T> At(int index, bool deferred) => new(index, Value, Error, Usage, Attempts, Latency, Repairs, Provider, FromJournal, deferred, Cost, DuplicateOf, Hedged);

    /// <summary>The value, or an exception describing the error.</summary>
    /// <exception cref="BatchItemFailedException">The item failed.</exception>
    public T GetValueOrThrow() => Error is null ? Value! : throw new BatchItemFailedException(Index, Error);

    /// <summary>The same item with its value mapped; a failed item stays failed.</summary>
    /// <typeparam name="TOut">The new value type.</typeparam>
    /// <param name="map">Maps the value.</param>
    public BatchItem<TOut> MapValue<TOut>(Func<T, TOut> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Error is null
            ? new BatchItem<TOut>(Index, map(Value!), null, Usage, Attempts, Latency, Repairs, Provider, FromJournal, Deferred, Cost, DuplicateOf, Hedged)
            : new BatchItem<TOut>(Index, default, Error, Usage, Attempts, Latency, Repairs, Provider, FromJournal, Deferred, Cost, DuplicateOf, Hedged);
    }

    /// <inheritdoc />
    public override string ToString() => Succeeded ? $"#{Index}: {Value}" : $"#{Index} failed: {Error}";
}
