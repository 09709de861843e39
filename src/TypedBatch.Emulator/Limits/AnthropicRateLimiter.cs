namespace TypedBatch.Emulator.Limits;

/// <summary>
/// The budgets of Anthropic's <c>/v1/messages</c>: requests, input tokens and output tokens per minute,
/// each a <see cref="TokenBucket"/>, kept for each model separately (Anthropic applies its limits per
/// model). Input tokens are reserved when a request arrives; output tokens are estimated from its
/// <c>max_tokens</c> on arrival and adjusted to the tokens produced once the answer is known
/// (<see cref="ChargeOutput"/>), as Anthropic's rate-limit reference says OTPM is metered. The limits are read from the live <see cref="EmulatorOptions"/>; changing one
/// starts that budget again from full.
/// </summary>
internal sealed class AnthropicRateLimiter(EmulatorOptions options)
{
    /// <summary>The dimension names, as Anthropic's headers and messages spell them.</summary>
    public const string Requests = "requests";

    /// <summary>See <see cref="Requests"/>.</summary>
    public const string InputTokens = "input_tokens";

    /// <summary>See <see cref="Requests"/>.</summary>
    public const string OutputTokens = "output_tokens";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ModelBuckets> _models = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes one request, <paramref name="inputTokens"/> and the output estimate (<paramref name="maxOutputTokens"/>,
    /// at most a bucketful) when the model's budgets have room for them.
    /// </summary>
    public RateLimitDecision TryAcquire(string model, int inputTokens, int maxOutputTokens = 0)
    {
        lock (_lock)
        {
            ModelBuckets buckets = Current(model);
            if (buckets.Input is { } input && inputTokens > input.Limit)
            {
                return new(new RateLimitRejection(InputTokens, input.Limit, inputTokens, TimeSpan.Zero, TooLarge: true), buckets.Snapshot());
            }

            (string Type, TokenBucket? Bucket, double Cost)[] dimensions =
            [
                (Requests, buckets.Requests, 1),
                (InputTokens, buckets.Input, inputTokens),
                (OutputTokens, buckets.Output, Math.Max(1, Math.Min(maxOutputTokens, buckets.Output?.Limit ?? 0))),
            ];
            RateLimitRejection? rejection = null;
            foreach ((string type, TokenBucket? bucket, double cost) in dimensions)
            {
                TimeSpan wait = bucket?.WaitFor(cost) ?? TimeSpan.Zero;
                if (wait > TimeSpan.Zero && (rejection is null || wait > rejection.RetryAfter))
                {
                    rejection = new RateLimitRejection(type, bucket!.Limit, (long)cost, wait, TooLarge: false);
                }
            }

            if (rejection is not null)
            {
                return new(rejection, buckets.Snapshot());
            }

            buckets.Requests?.Take(1);
            buckets.Input?.Take(inputTokens);
            buckets.Output?.Take(Math.Min(maxOutputTokens, buckets.Output.Limit));
            return new(null, buckets.Snapshot());
        }
    }

    /// <summary>
    /// Adjusts the output estimate taken on arrival (<paramref name="maxOutputTokens"/>, at most a bucketful) to the
    /// tokens the answer produced (possibly into debt); returns the headers' values after it.
    /// </summary>
    public RateLimitSnapshot ChargeOutput(string model, int outputTokens, int maxOutputTokens = 0)
    {
        lock (_lock)
        {
            ModelBuckets buckets = Current(model);
            buckets.Output?.Take(outputTokens - Math.Min(maxOutputTokens, buckets.Output.Limit));
            return buckets.Snapshot();
        }
    }

    /// <summary>The model's header values as they are now, taking nothing.</summary>
    public RateLimitSnapshot Peek(string model)
    {
        lock (_lock)
        {
            return Current(model).Snapshot();
        }
    }

    private ModelBuckets Current(string model)
    {
        if (!_models.TryGetValue(model, out ModelBuckets? buckets))
        {
            buckets = new ModelBuckets();
            _models[model] = buckets;
        }

        TimeProvider time = options.TimeProvider;
        buckets.Requests = Refreshed(buckets.Requests, options.AnthropicRequestsPerMinute, time);
        buckets.Input = Refreshed(buckets.Input, options.AnthropicInputTokensPerMinute, time);
        buckets.Output = Refreshed(buckets.Output, options.AnthropicOutputTokensPerMinute, time);
        return buckets;
    }

    private static TokenBucket? Refreshed(TokenBucket? bucket, int perMinute, TimeProvider time)
    {
        if (perMinute <= 0)
        {
            return null;
        }

        if (bucket is null || bucket.Limit != perMinute)
        {
            bucket = new TokenBucket(perMinute, time);
        }

        bucket.Refill();
        return bucket;
    }

    private sealed class ModelBuckets
    {
        public TokenBucket? Requests { get; set; }

        public TokenBucket? Input { get; set; }

        public TokenBucket? Output { get; set; }

        public RateLimitSnapshot Snapshot() =>
            new(Requests?.State, null) { InputTokens = Input?.State, OutputTokens = Output?.State };
    }
}
