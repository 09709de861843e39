namespace TypedBatch.Emulator.Limits;

/// <summary>
/// The requests-per-minute and tokens-per-minute budgets of one server, shared by chat and
/// embeddings on both the OpenAI and the Copilot routes. A request passes only when both budgets
/// have room, and only a request that passes takes from them. The limits are read from the live
/// <see cref="EmulatorOptions"/>; changing one starts that budget again from full.
/// </summary>
internal sealed class RateLimiter(EmulatorOptions options)
{
    private readonly Lock _lock = new();
    private TokenBucket? _requests;
    private TokenBucket? _tokens;

    /// <summary>Takes one request and <paramref name="tokenCost"/> tokens when both budgets have room.</summary>
    /// <param name="tokenCost">The request's TPM cost (see <see cref="RequestCost"/>).</param>
    public RateLimitDecision TryAcquire(int tokenCost)
    {
        lock (_lock)
        {
            TokenBucket? requests = Current(ref _requests, options.RequestsPerMinute);
            TokenBucket? tokens = Current(ref _tokens, options.TokensPerMinute);
            if (tokens is not null && tokenCost > tokens.Limit)
            {
                return new(new RateLimitRejection("tokens", tokens.Limit, tokenCost, TimeSpan.Zero, TooLarge: true), Snapshot(requests, tokens));
            }

            TimeSpan requestWait = requests?.WaitFor(1) ?? TimeSpan.Zero;
            TimeSpan tokenWait = tokens?.WaitFor(tokenCost) ?? TimeSpan.Zero;
            if (requestWait > TimeSpan.Zero || tokenWait > TimeSpan.Zero)
            {
                // The longer wait is the one that binds; report that dimension.
                RateLimitRejection rejection = requestWait >= tokenWait
                    ? new RateLimitRejection("requests", requests!.Limit, 1, requestWait, TooLarge: false)
                    : new RateLimitRejection("tokens", tokens!.Limit, tokenCost, tokenWait, TooLarge: false);
                return new(rejection, Snapshot(requests, tokens));
            }

            requests?.Take(1);
            tokens?.Take(tokenCost);
            return new(null, Snapshot(requests, tokens));
        }
    }

    /// <summary>The header values as they are now, taking nothing (for answers refused before the limiter).</summary>
    public RateLimitSnapshot Peek()
    {
        lock (_lock)
        {
            return Snapshot(Current(ref _requests, options.RequestsPerMinute), Current(ref _tokens, options.TokensPerMinute));
        }
    }

    private TokenBucket? Current(ref TokenBucket? bucket, int perMinute)
    {
        if (perMinute <= 0)
        {
            bucket = null;
            return null;
        }

        if (bucket is null || bucket.Limit != perMinute)
        {
            bucket = new TokenBucket(perMinute, options.TimeProvider);
        }

        bucket.Refill();
        return bucket;
    }

    private static RateLimitSnapshot Snapshot(TokenBucket? requests, TokenBucket? tokens) =>
        new(requests?.State, tokens?.State);
}
