namespace TypedBatch;

/// <summary>
/// Turns a method's or call's settings, the call's <see cref="BatchOptions"/> and the client's defaults into one
/// <see cref="BatchPlan"/>. The only place where those three meet: what a call overrides wins, then the method's
/// attributes, then the client's options.
/// </summary>
internal static class BatchPlanner
{
    /// <summary>The plan of a chat batch.</summary>
    /// <param name="operation">What is run, for the log.</param>
    /// <param name="provider">The provider's name.</param>
    /// <param name="settings">The method's settings (or the untyped call's, with the original design's defaults applied).</param>
    /// <param name="options">The call's options; validated here.</param>
    /// <param name="defaults">The client's options.</param>
    /// <param name="maxRepairAttempts">The method's repair budget, for typed results.</param>
    public static BatchPlan Chat(string operation, string provider, CompletionSettings settings, BatchOptions? options, TypedBatchOptions defaults, int maxRepairAttempts = 1)
    {
        options?.Validate(nameof(options));
        CompletionSettings resolved = Resolve(settings, options, defaults);
        return Common(new BatchPlan(operation, provider, resolved.Model!, options?.MaxConcurrency ?? defaults.MaxConcurrency), options) with
        {
            Settings = resolved,
            MaxRepairAttempts = options?.MaxRepairAttempts ?? maxRepairAttempts,
            Deduplicate = options?.Deduplicate ?? resolved.Temperature == 0,
        };
    }

    /// <summary>Refuses what a streamed batch cannot do, before anything is sent: deferred mode and budgets.</summary>
    /// <param name="options">The call's options.</param>
    public static void EnsureStreamable(BatchOptions? options)
    {
        if (options?.Mode == BatchMode.Deferred)
        {
            throw new ArgumentException("A streamed batch is sent live: deferred mode answers whole files, not streams. Use the batch method without streaming for BatchMode.Deferred.", $"{nameof(options)}.{nameof(BatchOptions.Mode)}");
        }

        if (options?.MaxCost is not null)
        {
            throw new ArgumentException("MaxCost is not supported for streamed batches yet: use the batch method without streaming for a budget.", $"{nameof(options)}.{nameof(BatchOptions.MaxCost)}");
        }
    }

    /// <summary>The plan of an embeddings batch: its items are inputs, packed into large requests by the engine.</summary>
    public static BatchPlan Embeddings(string operation, string provider, string? model, int? dimensions, BatchOptions? options, TypedBatchOptions defaults)
    {
        options?.Validate(nameof(options));
        string resolved = options?.Model ?? model ?? defaults.EmbeddingModel;
        return Common(new BatchPlan(operation, provider, resolved, options?.MaxConcurrency ?? defaults.MaxConcurrency), options) with
        {
            Dimensions = dimensions,
            Unit = "embeddings",
        };
    }

    /// <summary>The plan of a batch over a hand-written implementation: no provider or model of TypedBatch's.</summary>
    public static BatchPlan Custom(string operation, BatchOptions? options, int defaultConcurrency)
    {
        options?.Validate(nameof(options));
        if (options?.Journal is not null)
        {
            throw new ArgumentException("A journal needs the generated client (or the untyped batch API): the results of a hand-written implementation cannot be journaled and rebuilt.", $"{nameof(options)}.{nameof(BatchOptions.Journal)}");
        }

        if (options?.MaxCost is not null)
        {
            throw new ArgumentException("A budget needs the generated client (or the untyped batch API): TypedBatch cannot price or hold back the requests of a hand-written implementation.", $"{nameof(options)}.{nameof(BatchOptions.MaxCost)}");
        }

        if (options?.Mode == BatchMode.Deferred)
        {
            throw new ArgumentException("Deferred mode needs the generated client (or the untyped batch API): a hand-written implementation sends its own requests.", $"{nameof(options)}.{nameof(BatchOptions.Mode)}");
        }

        return Common(new BatchPlan(operation, "custom", options?.Model ?? "default", options?.MaxConcurrency ?? defaultConcurrency), options);
    }

    /// <summary>The settings of one call: the call's overrides, then the method's, then the client's model.</summary>
    public static CompletionSettings Resolve(CompletionSettings settings, BatchOptions? overrides, TypedBatchOptions defaults)
    {
        if (overrides is null || (overrides.Model is null && overrides.Temperature is null && overrides.MaxTokens is null))
        {
            return settings.Model is null ? settings with { Model = defaults.Model } : settings;
        }

        return settings with
        {
            Model = overrides.Model ?? settings.Model ?? defaults.Model,
            Temperature = overrides.Temperature ?? settings.Temperature,
            MaxTokens = overrides.MaxTokens ?? settings.MaxTokens,
        };
    }

    private static BatchPlan Common(BatchPlan plan, BatchOptions? options) => options is null ? plan : plan with
    {
        Progress = options.Progress,
        AdaptiveConcurrency = options.AdaptiveConcurrency,
        RequestsPerMinute = options.RequestsPerMinute,
        TokensPerMinute = options.TokensPerMinute,
        Journal = options.Journal,
        RetryJournaledFailures = options.RetryJournaledFailures,
        Mode = options.Mode,
        Deferred = options.Deferred ?? plan.Deferred,
        Budget = options.MaxCost is { } max ? new CostBudget(max) : null,
        Hedging = options.Hedging ?? BatchHedging.Default,
    };
}
