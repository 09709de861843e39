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

    /// <summary>Receives a <see cref="BatchProgress"/> after every finished item.</summary>
    public IProgress<BatchProgress>? Progress { get; init; }

    /// <summary>Sets the requests-per-minute limit of the provider and model this batch calls (shared with every other batch on them).</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>Sets the tokens-per-minute limit of the provider and model this batch calls (shared with every other batch on them).</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>
    /// For typed results: how many times an answer that does not parse is sent back to the model with the parse error
    /// (0 to 5). Defaults to the method's <c>[Completion(MaxRepairAttempts)]</c>, else 1.
    /// </summary>
    public int? MaxRepairAttempts { get; init; }

    /// <summary>Whether 429s cut the concurrency limit and successes grow it back (on by default).</summary>
    public bool AdaptiveConcurrency { get; init; } = true;

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
    }
}

/// <summary>A snapshot of a running batch, reported after every finished item.</summary>
/// <param name="Completed">Items finished so far, successes and failures.</param>
/// <param name="Succeeded">Items that succeeded so far.</param>
/// <param name="Failed">Items that failed so far.</param>
/// <param name="InFlight">Requests in flight now.</param>
/// <param name="Elapsed">Time since the batch started.</param>
public readonly record struct BatchProgress(int Completed, int Succeeded, int Failed, int InFlight, TimeSpan Elapsed)
{
    /// <summary>The adaptive concurrency limit now: <c>MaxConcurrency</c>, lower after the provider answered 429.</summary>
    public int ConcurrencyLimit { get; init; }
}

/// <summary>What the runner logs about a batch and how wide it runs.</summary>
/// <param name="Operation">What is run, for example <c>chat</c> or <c>embeddings</c>.</param>
/// <param name="Provider">The provider's name.</param>
/// <param name="Model">The model.</param>
/// <param name="MaxConcurrency">Most items in flight at once.</param>
public sealed record BatchRunDescriptor(string Operation, string Provider, string Model, int MaxConcurrency)
{
    /// <summary>The temperature, for the log.</summary>
    public double? Temperature { get; init; }

    /// <summary>The maximum output tokens, for the log.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Receives progress after every finished item.</summary>
    public IProgress<BatchProgress>? Progress { get; init; }

    /// <summary>The batch size to log when the inputs are not a collection but the caller knows it.</summary>
    public int? Size { get; init; }

    /// <summary>What one unit of work is called in the summary's rate, for example <c>completions</c>.</summary>
    public string Unit { get; init; } = "completions";

    /// <summary>Whether 429s cut the concurrency limit and successes grow it back (on by default).</summary>
    public bool AdaptiveConcurrency { get; init; } = true;

    /// <summary>Whether the runner logs the summary itself; off when the caller logs one over derived items.</summary>
    public bool LogSummary { get; init; } = true;
}

/// <summary>What one unit of batch work produced: its value, tokens and HTTP attempts.</summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Usage">Tokens counted.</param>
/// <param name="Attempts">HTTP attempts made.</param>
/// <param name="Repairs">Repair re-asks made for an answer that did not parse.</param>
/// <param name="Provider">The provider that answered, when known.</param>
public readonly record struct BatchWorkResult<T>(T Value, TokenUsage Usage, int Attempts, int Repairs = 0, string? Provider = null);
