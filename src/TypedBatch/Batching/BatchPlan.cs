namespace TypedBatch;

/// <summary>
/// One batch, resolved: what runs, against which provider and model, with which settings, how wide, under which
/// limits of its own, and where progress goes. Every batch entry point builds one through <see cref="BatchPlanner"/>
/// and hands it to the <see cref="BatchRunner"/>; nothing downstream reads <see cref="BatchOptions"/> again.
/// </summary>
/// <param name="Operation">What is run, for the log: <c>chat</c>, <c>embeddings</c>, or <c>IPrompts.Method</c>.</param>
/// <param name="Provider">The provider's name, for the log.</param>
/// <param name="Model">The model.</param>
/// <param name="MaxConcurrency">Most requests in flight at once.</param>
internal sealed record BatchPlan(string Operation, string Provider, string Model, int MaxConcurrency)
{
    /// <summary>The request settings every item is sent with (model resolved), for chat batches.</summary>
    public CompletionSettings Settings { get; init; } = new();

    /// <summary>The temperature, for the log.</summary>
    public double? Temperature => Settings.Temperature;

    /// <summary>The maximum output tokens, for the log.</summary>
    public int? MaxTokens => Settings.MaxTokens;

    /// <summary>Requested embedding dimensions, for embedding batches.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Receives progress after every finished item.</summary>
    public IProgress<BatchProgress>? Progress { get; init; }

    /// <summary>The batch size to log when the inputs are not a collection but the caller knows it.</summary>
    public int? Size { get; init; }

    /// <summary>What one item is called in the summary's rate, for example <c>completions</c>.</summary>
    public string Unit { get; init; } = "completions";

    /// <summary>Whether 429s cut the concurrency limit and successes grow it back.</summary>
    public bool AdaptiveConcurrency { get; init; } = true;

    /// <summary>The batch's own requests-per-minute budget, under the provider account's shared one.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>The batch's own tokens-per-minute budget, under the provider account's shared one.</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>For typed results: re-asks after an answer that does not parse.</summary>
    public int MaxRepairAttempts { get; init; } = 1;

    /// <summary>Where finished items are journaled and a rerun resumes from, if anywhere.</summary>
    public BatchJournal? Journal { get; init; }

    /// <summary>With a journal: whether items journaled as failed are sent again.</summary>
    public bool RetryJournaledFailures { get; init; } = true;

    /// <summary>Live requests, or the provider's Batch API.</summary>
    public BatchMode Mode { get; init; } = BatchMode.Live;

    /// <summary>The options of deferred mode (the defaults when the call set none).</summary>
    public DeferredOptions Deferred { get; init; } = DefaultDeferred;

    /// <summary>Whether identical requests are sent once and their answer fanned out (live chat batches).</summary>
    public bool Deduplicate { get; init; }

    /// <summary>The batch's hard budget (<see cref="BatchOptions.MaxCost"/>), one per call, shared by its requests and repairs.</summary>
    public CostBudget? Budget { get; init; }

    /// <summary>How slow requests of a live batch are hedged (<see cref="BatchOptions.Hedging"/>).</summary>
    public BatchHedging Hedging { get; init; } = BatchHedging.Default;

    /// <summary>Whether the runner logs this batch's start and summary (a deferred batch's live part is logged by it instead).</summary>
    public bool Logged { get; init; } = true;

    private static readonly DeferredOptions DefaultDeferred = new();
}

/// <summary>What one unit of batch work produced: its value, tokens and HTTP attempts.</summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Usage">Tokens counted.</param>
/// <param name="Attempts">HTTP attempts made.</param>
/// <param name="Repairs">Repair re-asks made for an answer that did not parse.</param>
/// <param name="Provider">The provider that answered, when known.</param>
internal readonly record struct BatchWorkResult<T>(T Value, TokenUsage Usage, int Attempts, int Repairs = 0, string? Provider = null)
{
    /// <summary>The completion the value was built from (the last one, after repairs), for the journal.</summary>
    public ChatCompletion? Completion { get; init; }

    /// <summary>Whether the result was read back from the journal instead of sent.</summary>
    public bool FromJournal { get; init; }

    /// <summary>Whether the value was answered through the provider's Batch API (kept in the journal, so a replay says so too).</summary>
    public bool Deferred { get; init; }

    /// <summary>What it cost in USD, every answer it took included; <see langword="null"/> when a model had no price.</summary>
    public decimal? Cost { get; init; } = 0m;

    /// <summary>The index of the item whose identical request answered this one (sent once, fanned out).</summary>
    public int? DuplicateOf { get; init; }

    /// <summary>Whether a hedge of a slow request took part (<see cref="BatchItem{T}.Hedged"/>).</summary>
    public bool Hedged { get; init; }

    /// <summary>A journaled failure replayed as it was (with <c>RetryJournaledFailures = false</c>).</summary>
    public BatchError? Error { get; init; }
}

/// <summary>The work of one input of a batch; <paramref name="index"/> is its place in the batch (for the journal).</summary>
internal delegate ValueTask<BatchWorkResult<T>> BatchWork<in TIn, T>(TIn input, int index, CancellationToken cancellationToken);
