namespace TypedBatch.Limits;

/// <summary>
/// A requests-per-minute and tokens-per-minute budget: the shared one of a provider account and model (every batch of
/// every client resolved from one service provider waits here), or one batch's own, narrower one. Two token buckets
/// refill continuously at the limit's rate and hold at most half a second's budget (at least one request): providers
/// meter with a one-second bucket, and the half-second client burst leaves room for requests that reach the server
/// closer together than they left the client. Every HTTP attempt, retries included, takes one request and its
/// estimated tokens; waiters are served in order by reserving future budget. The gate corrects itself from what the server says: the
/// <c>x-ratelimit-remaining-*</c> headers lower the local budget when the server knows less is left, the
/// <c>x-ratelimit-limit-*</c> headers set the limits when none were configured, and a 429's retry hint pauses
/// everyone, so that one throttled request does not turn into a storm.
/// <para>
/// A server that meters input and output tokens apart (Anthropic's <c>anthropic-ratelimit-input-tokens-*</c> and
/// <c>-output-tokens-*</c>) teaches the gate two more buckets, never configured locally. The input bucket is charged
/// the prompt estimate, as the server charges it on arrival. The output bucket is charged as Anthropic meters it: an
/// estimate from the request's <c>max_tokens</c> on arrival (at most a minute's budget; without one, what answers have
/// been producing), adjusted to the tokens the answer produced once its usage is known (<see cref="SettleOutput"/>); an
/// attempt that failed gives its estimate back (<see cref="ReleaseOutput"/>).
/// </para>
/// </summary>
internal sealed class RateLimitGate
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Bucket _requests = new();
    private readonly Bucket _tokens = new();
    private readonly Bucket _input = new();
    private readonly Bucket _output = new();
    private double _expectedOutput;
    private bool _outputSampled;
    private long _pausedUntil;
    private double _promptCorrection = 1.0;
    private bool _observedAny;
    private bool _probeInFlight;
    private TaskCompletionSource _firstResponse = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates a gate.</summary>
    /// <param name="requestsPerMinute">Requests allowed per minute; <see langword="null"/> until configured or learned from the server.</param>
    /// <param name="tokensPerMinute">Tokens allowed per minute; <see langword="null"/> until configured or learned from the server.</param>
    /// <param name="timeProvider">The clock.</param>
    public RateLimitGate(int? requestsPerMinute = null, int? tokensPerMinute = null, TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        long now = _time.GetTimestamp();
        _requests.Configure(requestsPerMinute, now, _time.TimestampFrequency, fromServer: false);
        _tokens.Configure(tokensPerMinute, now, _time.TimestampFrequency, fromServer: false);
    }

    /// <summary>The requests-per-minute limit in force, configured or learned; <see langword="null"/> when none.</summary>
    public int? RequestsPerMinute => _requests.Limit;

    /// <summary>The tokens-per-minute limit in force, configured or learned; <see langword="null"/> when none.</summary>
    public int? TokensPerMinute => _tokens.Limit;

    /// <summary>The input-tokens-per-minute limit the server reported, when it meters input apart; else <see langword="null"/>.</summary>
    public int? InputTokensPerMinute => _input.Limit;

    /// <summary>The output-tokens-per-minute limit the server reported, when it meters output apart; else <see langword="null"/>.</summary>
    public int? OutputTokensPerMinute => _output.Limit;

    /// <summary>How estimated prompt tokens compare with what the server counted (1 = exact), learned from usage.</summary>
    public double PromptCorrection => Volatile.Read(ref _promptCorrection);

    /// <summary>Sets the configured limits; a configured limit is never replaced by one the server reports.</summary>
    /// <param name="requestsPerMinute">Requests per minute, or <see langword="null"/> to leave as is.</param>
    /// <param name="tokensPerMinute">Tokens per minute, or <see langword="null"/> to leave as is.</param>
    public void Configure(int? requestsPerMinute, int? tokensPerMinute)
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (requestsPerMinute is not null)
            {
                _requests.Configure(requestsPerMinute, now, _time.TimestampFrequency, fromServer: false);
            }

            if (tokensPerMinute is not null)
            {
                _tokens.Configure(tokensPerMinute, now, _time.TimestampFrequency, fromServer: false);
            }
        }
    }

    /// <summary>Waits until one request of <paramref name="tokens"/> tokens fits both budgets, then takes it.</summary>
    /// <param name="tokens">The attempt's estimated tokens (prompt estimate plus requested maximum output).</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait gives its budget back.</param>
    public ValueTask WaitAsync(int tokens = 0, CancellationToken cancellationToken = default)
    {
        ValueTask<int> wait = WaitAsync(new TokenDemand(tokens, 0, 0), cancellationToken);
        return wait.IsCompletedSuccessfully ? ValueTask.CompletedTask : new ValueTask(wait.AsTask());
    }

    /// <summary>
    /// Waits until one request fits every budget, then takes it: <see cref="TokenDemand.Tokens"/> from the tokens
    /// budget, and where the server meters input and output apart, <see cref="TokenDemand.Input"/> from the input budget
    /// and the expected output from the output budget.
    /// </summary>
    /// <param name="demand">What the attempt asks for.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled wait gives its budget back.</param>
    /// <returns>The output tokens reserved, for <see cref="SettleOutput"/>.</returns>
    public ValueTask<int> WaitAsync(TokenDemand demand, CancellationToken cancellationToken = default)
    {
        TimeSpan wait;
        int output;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            double pause = Math.Max(0, (_pausedUntil - now) / (double)_time.TimestampFrequency);
            if (_requests.Limit is null && _tokens.Limit is null && !_observedAny && pause == 0)
            {
                // No limit configured and none heard yet: one request goes first and the rest wait for its answer,
                // which usually says the limits, instead of a whole first wave running into them blind.
                if (!_probeInFlight)
                {
                    _probeInFlight = true;
                    return ValueTask.FromResult(0);
                }

                return new ValueTask<int>(WaitForFirstAnswerAsync(_firstResponse.Task, demand, cancellationToken));
            }

            double requestWait = _requests.Take(1, now);
            double tokenWait = _tokens.Take(demand.Tokens, now);
            double inputWait = _input.Take(demand.Input, now);
            output = _output.Limit is null ? 0 : ExpectedOutput(demand.MaxOutput);
            double outputWait = _output.Admit(output, now);
            double seconds = Math.Max(Math.Max(pause, requestWait), Math.Max(tokenWait, Math.Max(inputWait, outputWait)));
            if (seconds <= 0)
            {
                return ValueTask.FromResult(output);
            }

            wait = TimeSpan.FromSeconds(seconds);
        }

        return new ValueTask<int>(DelayAsync(wait, demand, output, cancellationToken));
    }

    /// <summary>
    /// An answer's usage arrived: the output bucket is charged what it produced, less what its attempt reserved (an
    /// answer shorter than expected gives the rest back), and later reservations follow the answers' lengths.
    /// </summary>
    /// <param name="reserved">What <see cref="WaitAsync(TokenDemand, CancellationToken)"/> reserved for the answer.</param>
    /// <param name="outputTokens">The output tokens the server counted.</param>
    public void SettleOutput(int reserved, long outputTokens)
    {
        if (outputTokens < 0)
        {
            return;
        }

        lock (_lock)
        {
            _expectedOutput = _outputSampled ? _expectedOutput + (0.1 * (outputTokens - _expectedOutput)) : outputTokens;
            _outputSampled = true;
            _output.Charge(outputTokens - reserved, _time.GetTimestamp());
        }
    }

    /// <summary>An attempt that got no answer gives back the output it reserved (the server charges only answers).</summary>
    /// <param name="reserved">What <see cref="WaitAsync(TokenDemand, CancellationToken)"/> reserved.</param>
    public void ReleaseOutput(int reserved)
    {
        if (reserved <= 0)
        {
            return;
        }

        lock (_lock)
        {
            _output.Charge(-reserved, _time.GetTimestamp());
        }
    }

    /// <summary>
    /// The output an attempt reserves: its <c>max_tokens</c>, as the server estimates it (at most a minute's budget);
    /// without one, what answers have produced on average, else a bucketful. Like every token charge, it may go into
    /// debt that later requests wait out.
    /// </summary>
    private int ExpectedOutput(int? maxOutput)
    {
        double expected = maxOutput is int max && max > 0 ? max : _outputSampled ? _expectedOutput : _output.Capacity;
        return (int)Math.Ceiling(Math.Min(expected, _output.Limit ?? expected));
    }

    /// <summary>
    /// The first answer (or failure) of an endpoint and model arrived: whatever it said about limits is applied, and
    /// the requests held behind the first one go on.
    /// </summary>
    /// <param name="info">The rate-limit headers, if the answer had any.</param>
    public void OnAnswer(RateLimitInfo? info)
    {
        if (info is not null)
        {
            Observe(info);
        }

        TaskCompletionSource? release = null;
        lock (_lock)
        {
            if (!_observedAny)
            {
                _observedAny = true;
                release = _firstResponse;
            }
        }

        release?.TrySetResult();
    }

    /// <summary>Lowers the local budget to what the server says is left, and learns limits that were not configured.</summary>
    /// <param name="info">The response's rate-limit headers.</param>
    public void Observe(RateLimitInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            _requests.Observe(info.LimitRequests, info.RemainingRequests, now, _time.TimestampFrequency);
            _tokens.Observe(info.LimitTokens, info.RemainingTokens, now, _time.TimestampFrequency);
            _input.Observe(info.LimitInputTokens, info.RemainingInputTokens, now, _time.TimestampFrequency);
            _output.Observe(info.LimitOutputTokens, info.RemainingOutputTokens, now, _time.TimestampFrequency);
        }
    }

    /// <summary>A 429 said to wait: nobody sends through this gate before then.</summary>
    /// <param name="retryAfter">The server's hint, or a short default.</param>
    public void Pause(TimeSpan retryAfter)
    {
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            long until = now + (long)(retryAfter.TotalSeconds * _time.TimestampFrequency);
            _pausedUntil = Math.Max(_pausedUntil, until);

            // Nothing accrues while paused, so the end of the pause releases one request at a time, not a burst.
            _requests.Hold(now, _pausedUntil);
            _tokens.Hold(now, _pausedUntil);
            _input.Hold(now, _pausedUntil);
            _output.Hold(now, _pausedUntil);
        }
    }

    /// <summary>Learns how the prompt estimate compares with the tokens the server counted.</summary>
    /// <param name="estimatedPromptTokens">What was estimated before sending, uncorrected.</param>
    /// <param name="actualPromptTokens">What the server's <c>usage</c> reported.</param>
    public void LearnPromptTokens(int estimatedPromptTokens, long actualPromptTokens)
    {
        if (estimatedPromptTokens <= 0 || actualPromptTokens <= 0)
        {
            return;
        }

        double ratio = Math.Clamp(actualPromptTokens / (double)estimatedPromptTokens, 0.25, 4.0);
        lock (_lock)
        {
            _promptCorrection += 0.1 * (ratio - _promptCorrection);
        }
    }

    private async Task<int> WaitForFirstAnswerAsync(Task firstAnswer, TokenDemand demand, CancellationToken cancellationToken)
    {
        // A probe that never answers must not hold everyone: after a while the others go on regardless.
        try
        {
            await firstAnswer.WaitAsync(FirstAnswerTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            OnAnswer(null);
        }

        return await WaitAsync(demand, cancellationToken).ConfigureAwait(false);
    }

    private static readonly TimeSpan FirstAnswerTimeout = TimeSpan.FromSeconds(5);

    private async Task<int> DelayAsync(TimeSpan wait, TokenDemand demand, int output, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            return output;
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                _requests.GiveBack(1);
                _tokens.GiveBack(demand.Tokens);
                _input.GiveBack(demand.Input);
                _output.GiveBack(output);
            }

            throw;
        }
    }

    /// <summary>One continuously refilling budget; may go into debt, which is the queue of reserved waits.</summary>
    private sealed class Bucket
    {
        private double _available;
        private double _capacity;
        private double _perSecond;
        private double _perTick;
        private long _frequency = 1;
        private long _last;
        private bool _configured;

        public int? Limit { get; private set; }

        /// <summary>The most the bucket holds: half a second's budget, at least one.</summary>
        public double Capacity => _capacity;

        public void Configure(int? perMinute, long now, long frequency, bool fromServer)
        {
            if (perMinute is not { } limit || limit <= 0 || (fromServer && _configured) || (fromServer && Limit == limit))
            {
                return;
            }

            Refill(now);
            _configured |= !fromServer;
            bool first = Limit is null;
            Limit = limit;
            _perSecond = limit / 60.0;
            _perTick = _perSecond / frequency;
            _frequency = frequency;
            _capacity = Math.Max(1.0, _perSecond / 2);
            _available = first ? _capacity : Math.Min(_available, _capacity);
            _last = now;
        }

        /// <summary>Takes <paramref name="amount"/> and returns the seconds to wait until it is covered (0 when available now).</summary>
        public double Take(int amount, long now)
        {
            if (Limit is null || amount <= 0)
            {
                return 0;
            }

            Refill(now);

            // The whole amount is charged, even beyond the burst, and later callers wait for the debt; this caller waits
            // only until the part a full bucket could hold has accrued (a full bucket lets a large request through).
            double before = _available;
            _available -= amount;
            double held = now < _last ? (_last - now) / (double)_frequency : 0;
            return (Math.Max(0, Math.Min(amount, _capacity) - before) / _perSecond) + held;
        }

        /// <summary>
        /// Admits a request when the bucket is not exhausted (at least one token, or the part of
        /// <paramref name="amount"/> a full bucket holds, has accrued) and takes <paramref name="amount"/>; returns the
        /// seconds to wait. Unlike <see cref="Take"/>, a request that reserves nothing still waits out a debt.
        /// </summary>
        public double Admit(int amount, long now)
        {
            if (Limit is null)
            {
                return 0;
            }

            Refill(now);
            double before = _available;
            _available -= Math.Max(0, amount);
            double held = now < _last ? (_last - now) / (double)_frequency : 0;
            return (Math.Max(0, Math.Max(1, Math.Min(amount, _capacity)) - before) / _perSecond) + held;
        }

        /// <summary>Charges (or, negative, gives back) <paramref name="amount"/> after the fact; may go into debt.</summary>
        public void Charge(long amount, long now)
        {
            if (Limit is null || amount == 0)
            {
                return;
            }

            Refill(now);
            _available = Math.Min(_capacity, _available - amount);
        }

        /// <summary>Stops accruing until <paramref name="until"/>, keeping no more than is available now.</summary>
        public void Hold(long now, long until)
        {
            if (Limit is null)
            {
                return;
            }

            Refill(now);
            _available = Math.Min(_available, 0);
            _last = Math.Max(_last, until);
        }

        public void GiveBack(int amount)
        {
            if (Limit is not null && amount > 0)
            {
                _available = Math.Min(_capacity, _available + amount);
            }
        }

        public void Observe(long? limit, long? remaining, long now, long frequency)
        {
            if (limit is { } serverLimit && serverLimit is > 0 and <= int.MaxValue)
            {
                Configure((int)serverLimit, now, frequency, fromServer: true);
            }

            if (Limit is not null && remaining is { } left)
            {
                Refill(now);
                _available = Math.Min(_available, left);
            }
        }

        private void Refill(long now)
        {
            if (now <= _last)
            {
                return; // held by a pause until _last
            }

            if (Limit is not null)
            {
                _available = Math.Min(_capacity, _available + ((now - _last) * _perTick));
            }

            _last = now;
        }
    }
}

/// <summary>What one attempt asks of a <see cref="RateLimitGate"/>.</summary>
/// <param name="Tokens">For a tokens-per-minute limit: the prompt estimate plus the requested maximum output.</param>
/// <param name="Input">For a server that meters input apart: the prompt estimate.</param>
/// <param name="MaxOutput">The requested maximum output, which caps the output reserved where output is metered apart.</param>
internal readonly record struct TokenDemand(int Tokens, int Input, int? MaxOutput);
