namespace TypedBatch;

/// <summary>Per-call options of a batch. Anything left <see langword="null"/> falls back to the client's defaults.</summary>
public sealed record BatchOptions
{
    /// <summary>Most requests in flight at once; at least 1. Defaults to <c>TypedBatchOptions.MaxConcurrency</c>.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Overrides the model.</summary>
    public string? Model { get; init; }

    /// <summary>Overrides the temperature, 0 to 2.</summary>
    public double? Temperature { get; init; }

    /// <summary>Overrides the maximum output tokens, at least 1.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>
    /// Receives a <see cref="BatchProgress"/> while the batch runs: at once when the first item finishes, then at most
    /// every 100 ms while items finish (the last change before a lull is reported when the 100 ms are up), and once
    /// more when the batch ends, before the call returns or throws. Reports come one at a time, in order, on the batch's
    /// threads (a <see cref="Progress{T}"/> posts them to the context it was created on); a handler that throws is
    /// logged and the batch goes on.
    /// </summary>
    public IProgress<BatchProgress>? Progress { get; init; }

    /// <summary>
    /// Requests per minute for this batch alone: its requests wait for this budget and for the provider account's shared
    /// one. Other batches and clients are not affected.
    /// </summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>
    /// Tokens per minute for this batch alone (prompt estimate plus requested maximum output per attempt), under the
    /// provider account's shared budget. Other batches and clients are not affected.
    /// </summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>
    /// For typed results: how many times an answer that does not parse is sent back to the model with the parse error
    /// (0 to 5). Defaults to the method's <c>[Completion(MaxRepairAttempts)]</c>, else 1.
    /// </summary>
    public int? MaxRepairAttempts { get; init; }

    /// <summary>Whether 429s cut the concurrency limit and successes grow it back (on by default).</summary>
    public bool AdaptiveConcurrency { get; init; } = true;

    /// <summary>
    /// Makes the batch durable: every finished item is journaled before it is reported, and running the same batch
    /// again with the same journal sends nothing for the items journaled as succeeded (their results come back from the
    /// journal, <see cref="BatchItem{T}.FromJournal"/>). <see langword="null"/> (the default) journals nothing.
    /// </summary>
    public BatchJournal? Journal { get; init; }

    /// <summary>
    /// With a <see cref="Journal"/>: whether items journaled as failed are sent again (the default) or returned with
    /// their journaled error.
    /// </summary>
    public bool RetryJournaledFailures { get; init; } = true;

    /// <summary>
    /// How the batch is sent: <see cref="BatchMode.Live"/> (the default: concurrent requests under the rate limits) or
    /// <see cref="BatchMode.Deferred"/> (the provider's file-based Batch API: half the price, answers within its
    /// completion window, the same typed results in input order). Options of deferred mode are in <see cref="Deferred"/>.
    /// </summary>
    public BatchMode Mode { get; init; } = BatchMode.Live;

    /// <summary>Options of <see cref="BatchMode.Deferred"/>: sharding, polling, resubmission, a deadline. <see langword="null"/> means the defaults.</summary>
    public DeferredOptions? Deferred { get; init; }

    /// <summary>
    /// A hard budget for the batch, in USD (the currency of <see cref="ModelPrice"/>). Before each request (a repair
    /// included) its worst case is reserved: every byte of its messages a prompt token and the full <c>MaxTokens</c> of
    /// output, at the model's price. When what is spent and reserved leaves no room for a request, even after the
    /// requests in flight have settled, nothing more is sent: that item and every later one fail with
    /// <see cref="BatchErrorKind.BudgetExceeded"/> and the batch returns normally. <see cref="BatchResult{T}.Cost"/> never
    /// passes it. Needs a price for the model at every provider that bills (else the call throws at once, nothing sent)
    /// and, for chat, <c>MaxTokens</c>; live mode only. <see langword="null"/> (the default) sets no budget.
    /// </summary>
    public decimal? MaxCost { get; init; }

    /// <summary>
    /// Whether items whose rendered request is identical (same model, settings, schema and messages) are sent once and the
    /// answer given to each (<see cref="BatchItem{T}.DuplicateOf"/>). <see langword="null"/> (the default) turns it on when
    /// the request is deterministic (temperature 0) and off otherwise, so that sampling one prompt many times still gives
    /// distinct samples; <see langword="true"/> or <see langword="false"/> force it. Live chat batches.
    /// </summary>
    public bool? Deduplicate { get; init; }

    /// <summary>
    /// How slow requests are hedged: once the batch has answered enough requests, one still unanswered after a multiple
    /// of the batch's p95 latency (and a floor of a few seconds) gets one duplicate request and the first answer wins
    /// (<see cref="BatchItem{T}.Hedged"/>), so a request that hangs does not hold the batch for the attempt timeout.
    /// <see langword="null"/> (the default) means <see cref="BatchHedging.Default"/>, which is on;
    /// <see cref="BatchHedging.Disabled"/> turns it off. Live chat batches.
    /// </summary>
    public BatchHedging? Hedging { get; init; }

    /// <summary>Throws when a value is out of range, naming it.</summary>
    /// <param name="paramName">The argument name to report.</param>
    public void Validate(string paramName = "options")
    {
        if (MaxConcurrency is { } workers)
        {
            Guard.Workers(workers, $"{paramName}.{nameof(MaxConcurrency)}");
        }

        if (Model is not null && string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException("Model must not be blank.", $"{paramName}.{nameof(Model)}");
        }

        Guard.Temperature(Temperature, $"{paramName}.{nameof(Temperature)}");
        Guard.MaxTokens(MaxTokens, $"{paramName}.{nameof(MaxTokens)}");
        if (RequestsPerMinute is < 1)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(RequestsPerMinute)}", RequestsPerMinute, "RequestsPerMinute must be at least 1.");
        }

        if (TokensPerMinute is < 1)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(TokensPerMinute)}", TokensPerMinute, "TokensPerMinute must be at least 1.");
        }

        if (MaxRepairAttempts is < 0 or > 5)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MaxRepairAttempts)}", MaxRepairAttempts, "MaxRepairAttempts must be between 0 and 5.");
        }

        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(Mode)}", Mode, "Unknown BatchMode value.");
        }

        if (MaxCost is <= 0)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MaxCost)}", MaxCost, "MaxCost must be more than 0.");
        }

        if (MaxCost is not null && Mode == BatchMode.Deferred)
        {
            throw new ArgumentException("MaxCost is not supported in deferred mode yet: a deferred batch's requests are all submitted before any answer settles its cost. Use BatchMode.Live with a budget.", $"{paramName}.{nameof(MaxCost)}");
        }

        Deferred?.Validate($"{paramName}.{nameof(Deferred)}");
        Hedging?.Validate($"{paramName}.{nameof(Hedging)}");
    }
}

/// <summary>A snapshot of a running batch (see <see cref="BatchOptions.Progress"/> for when it is reported).</summary>
/// <param name="Completed">Items finished so far, successes and failures.</param>
/// <param name="Succeeded">Items that succeeded so far.</param>
/// <param name="Failed">Items that failed so far.</param>
/// <param name="InFlight">Requests in flight now.</param>
/// <param name="Elapsed">Time since the batch started.</param>
public readonly record struct BatchProgress(int Completed, int Succeeded, int Failed, int InFlight, TimeSpan Elapsed)
{
    /// <summary>The adaptive concurrency limit now: <c>MaxConcurrency</c>, lower after the provider answered 429.</summary>
    public int ConcurrencyLimit { get; init; }

    /// <summary>In <see cref="BatchMode.Deferred"/>, the provider's own counts of the remote batches; otherwise <see langword="null"/>.</summary>
    public DeferredProgress? Deferred { get; init; }

    /// <summary>HTTP retries of the finished items so far (their attempts after the first).</summary>
    public int Retries { get; init; }

    /// <summary>Tokens of the finished items so far.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>What the finished items cost so far, in USD; <see langword="null"/> when a model has no price.</summary>
    public decimal? Cost { get; init; }

    /// <summary>The batch's size when it is known (a collection, or a lazy batch's given size); otherwise <see langword="null"/>.</summary>
    public int? Total { get; init; }

    /// <summary>Items finished per second so far.</summary>
    public double ItemsPerSecond => Elapsed > TimeSpan.Zero ? Completed / Elapsed.TotalSeconds : 0;

    /// <summary>The time left at the rate so far, when the size is known and an item has finished; otherwise <see langword="null"/>.</summary>
    public TimeSpan? EstimatedRemaining => Total is { } total && Completed > 0 && ItemsPerSecond > 0
        ? TimeSpan.FromSeconds(Math.Max(0, total - Completed) / ItemsPerSecond)
        : null;
}

/// <summary>What the provider reports of a deferred batch's remote batches, summed over the ones not yet read.</summary>
/// <param name="Batches">Remote batches submitted and not yet read back.</param>
/// <param name="Requests">Requests in those batches (<c>request_counts.total</c>).</param>
/// <param name="Completed">Of those, answered so far (<c>request_counts.completed</c>).</param>
/// <param name="Failed">Of those, failed so far (<c>request_counts.failed</c>).</param>
public readonly record struct DeferredProgress(int Batches, int Requests, int Completed, int Failed);
