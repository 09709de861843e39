using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests.Mutation;

/// <summary>
/// The gate's edges on a fake clock that only the test moves: burst sizes, refill after a pause, reconfiguration, what
/// the server's headers change, the first-answer probe and its timeout, and the learned prompt correction. A wait that
/// must be over is awaited under a generous hang guard; one that must not be over is checked on the frozen clock.
/// </summary>
public sealed class RateLimitGateEdgeTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();

    private static Task Done(ValueTask wait) => wait.AsTask().WaitAsync(HangGuard);

    [Theory]
    [InlineData(600, 5, 100)]
    [InlineData(30, 1, 2000)]
    [InlineData(60, 1, 1000)]
    [InlineData(6000, 50, 10)]
    public async Task The_burst_is_half_a_seconds_budget_but_at_least_one_and_the_next_waits_for_the_rate(int perMinute, int burst, int nextMs)
    {
        var gate = new RateLimitGate(perMinute, timeProvider: _time);

        for (int i = 0; i < burst; i++)
        {
            gate.WaitAsync().IsCompleted.Should().BeTrue($"request {i} is within the burst");
        }

        ValueTask next = gate.WaitAsync();
        next.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(nextMs - 1));
        next.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(next);
    }

    [Fact]
    public async Task After_a_pause_the_budget_starts_empty_so_the_first_request_waits_the_pause_plus_one_interval()
    {
        var gate = new RateLimitGate(60, timeProvider: _time);
        gate.Pause(TimeSpan.FromSeconds(2));

        ValueTask wait = gate.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(2999));
        wait.IsCompleted.Should().BeFalse("nothing accrued while paused, then a request takes one second at 60 a minute");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(wait);
    }

    [Fact]
    public async Task A_shorter_pause_does_not_shorten_a_longer_one()
    {
        var gate = new RateLimitGate(timeProvider: _time);
        gate.Pause(TimeSpan.FromSeconds(5));
        gate.Pause(TimeSpan.FromSeconds(1));

        ValueTask first = gate.WaitAsync();
        ValueTask second = gate.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(4999));
        first.IsCompleted.Should().BeFalse();
        second.IsCompleted.Should().BeFalse("a pause holds everyone, no probe goes first");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(first);
        await Done(second);
    }

    [Fact]
    public async Task Reconfiguring_keeps_what_was_already_taken()
    {
        var gate = new RateLimitGate(600, timeProvider: _time);
        for (int i = 0; i < 5; i++)
        {
            await gate.WaitAsync();
        }

        gate.Configure(6000, null);
        gate.Configure(null, null);

        gate.RequestsPerMinute.Should().Be(6000);
        gate.TokensPerMinute.Should().BeNull();
        ValueTask next = gate.WaitAsync();
        next.IsCompleted.Should().BeFalse("the burst was spent; a higher limit does not refill it");
        _time.Advance(TimeSpan.FromMilliseconds(9));
        next.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(next);
    }

    [Fact]
    public async Task Configure_sets_only_what_it_is_given()
    {
        var gate = new RateLimitGate(600, timeProvider: _time);

        gate.Configure(null, 6000);

        gate.RequestsPerMinute.Should().Be(600);
        gate.TokensPerMinute.Should().Be(6000);
        gate.WaitAsync(tokens: 50).IsCompleted.Should().BeTrue();
        ValueTask next = gate.WaitAsync(tokens: 10);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        next.IsCompleted.Should().BeFalse("the token budget binds: 10 tokens at 100 a second");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(next);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_limit_below_one_is_no_limit(int perMinute)
    {
        var gate = new RateLimitGate(perMinute, perMinute, _time);

        gate.RequestsPerMinute.Should().BeNull();
        gate.TokensPerMinute.Should().BeNull();
    }

    [Fact]
    public void A_learned_limit_follows_the_server_until_one_is_configured()
    {
        var gate = new RateLimitGate(timeProvider: _time);

        gate.Observe(new RateLimitInfo { LimitRequests = 600, LimitTokens = 1000 });
        gate.Observe(new RateLimitInfo { LimitRequests = 1200 });
        gate.RequestsPerMinute.Should().Be(1200);
        gate.TokensPerMinute.Should().Be(1000);

        gate.Configure(100, null);
        gate.Observe(new RateLimitInfo { LimitRequests = 5000 });
        gate.RequestsPerMinute.Should().Be(100);
        FluentActions.Invoking(() => gate.Observe(null!)).Should().Throw<ArgumentNullException>();
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(3_000_000_000L)]
    public void A_server_limit_out_of_range_is_ignored(long limit)
    {
        var gate = new RateLimitGate(timeProvider: _time);

        gate.Observe(new RateLimitInfo { LimitRequests = limit, LimitTokens = limit, RemainingRequests = 0 });

        gate.RequestsPerMinute.Should().BeNull();
        gate.TokensPerMinute.Should().BeNull();
        gate.WaitAsync().IsCompleted.Should().BeTrue("with no limit known the first request goes as the probe");
    }

    [Fact]
    public async Task The_servers_remaining_tokens_lower_the_token_budget()
    {
        var gate = new RateLimitGate(tokensPerMinute: 6000, timeProvider: _time);

        gate.Observe(new RateLimitInfo { RemainingTokens = 0 });

        ValueTask next = gate.WaitAsync(tokens: 10);
        next.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(99));
        next.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(next);
    }

    [Fact]
    public void The_server_reporting_more_left_than_the_burst_does_not_raise_the_budget()
    {
        var gate = new RateLimitGate(60, timeProvider: _time);

        gate.Observe(new RateLimitInfo { RemainingRequests = 1000 });

        gate.WaitAsync().IsCompleted.Should().BeTrue();
        gate.WaitAsync().IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task The_same_server_limit_heard_again_during_a_pause_keeps_the_pause_from_accruing()
    {
        var gate = new RateLimitGate(timeProvider: _time);
        gate.Observe(new RateLimitInfo { LimitRequests = 600 });
        gate.Pause(TimeSpan.FromSeconds(10));

        gate.Observe(new RateLimitInfo { LimitRequests = 600 });
        _time.Advance(TimeSpan.FromSeconds(10));

        ValueTask next = gate.WaitAsync();
        next.IsCompleted.Should().BeFalse("nothing accrued during the pause");
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await Done(next);
    }

    [Fact]
    public async Task A_probe_that_never_answers_holds_the_others_for_five_seconds_at_most()
    {
        var gate = new RateLimitGate(timeProvider: _time);
        gate.WaitAsync().IsCompleted.Should().BeTrue("the probe goes at once");

        ValueTask held = gate.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(4999));
        held.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(held);

        gate.WaitAsync().IsCompleted.Should().BeTrue("after the timeout nobody is held any more");
        gate.RequestsPerMinute.Should().BeNull();
    }

    [Fact]
    public async Task A_held_request_can_be_cancelled()
    {
        var gate = new RateLimitGate(timeProvider: _time);
        await gate.WaitAsync();
        using var cts = new CancellationTokenSource();

        ValueTask held = gate.WaitAsync(cancellationToken: cts.Token);
        await cts.CancelAsync();

        await FluentActions.Awaiting(() => Done(held)).Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task A_request_released_by_the_first_answer_is_charged_at_the_limits_it_said()
    {
        var gate = new RateLimitGate(timeProvider: _time);
        await gate.WaitAsync();
        ValueTask held = gate.WaitAsync();

        gate.OnAnswer(new RateLimitInfo { LimitRequests = 60, RemainingRequests = 0 });
        gate.OnAnswer(null);

        await Task.Delay(20); // lets a wrongly released request finish; the assertion holds however long this takes
        held.IsCompleted.Should().BeFalse("the server said nothing is left: one second at 60 a minute");
        gate.RequestsPerMinute.Should().Be(60);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Done(held);
    }

    [Fact]
    public async Task An_answer_without_headers_releases_the_held_requests_without_limits()
    {
        var gate = new RateLimitGate(timeProvider: _time);
        await gate.WaitAsync();
        ValueTask held = gate.WaitAsync();

        gate.OnAnswer(null);

        await Done(held);
        gate.RequestsPerMinute.Should().BeNull();
        gate.WaitAsync().IsCompleted.Should().BeTrue();
    }

    [Fact]
    public async Task A_cancelled_wait_gives_its_tokens_back()
    {
        var gate = new RateLimitGate(tokensPerMinute: 6000, timeProvider: _time); // 100 a second, burst of 50
        await gate.WaitAsync(tokens: 50);
        using var cts = new CancellationTokenSource();
        ValueTask cancelled = gate.WaitAsync(tokens: 50, cts.Token);
        await cts.CancelAsync();
        await FluentActions.Awaiting(() => Done(cancelled)).Should().ThrowAsync<OperationCanceledException>();

        ValueTask next = gate.WaitAsync(tokens: 50);
        _time.Advance(TimeSpan.FromMilliseconds(499));
        next.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await Done(next);
    }

    [Theory]
    [InlineData(100, 200L, 1.1)]
    [InlineData(100, 1000L, 1.3)]
    [InlineData(100, 1L, 0.925)]
    [InlineData(100, 100L, 1.0)]
    [InlineData(0, 100L, 1.0)]
    [InlineData(100, 0L, 1.0)]
    [InlineData(-1, 100L, 1.0)]
    public void One_usage_moves_the_correction_a_tenth_of_the_way_within_a_quarter_and_four_times(int estimated, long actual, double correction)
    {
        var gate = new RateLimitGate(timeProvider: _time);

        gate.LearnPromptTokens(estimated, actual);

        gate.PromptCorrection.Should().BeApproximately(correction, 1e-9);
    }

    [Fact]
    public void The_prompt_estimate_counts_a_token_per_four_characters_and_the_chat_overhead()
    {
        TokenEstimator.EstimatePrompt([PromptMessage.System("abcd"), PromptMessage.User("abcde")]).Should().Be(3 + 4 + 1 + 4 + 2);
        TokenEstimator.EstimatePrompt([PromptMessage.User("a")]).Should().Be(8);
        FluentActions.Invoking(() => TokenEstimator.EstimatePrompt(null!)).Should().Throw<ArgumentNullException>();
        TokenEstimator.Reservation(10, 5, 1.05).Should().Be(16);
        TokenEstimator.Reservation(10, null, 1.0).Should().Be(10);
        TokenEstimator.Reservation(int.MaxValue, int.MaxValue, 4.0).Should().Be(int.MaxValue);
    }

    [Fact]
    public void The_registry_keeps_one_gate_per_account_and_model_created_with_the_accounts_limits()
    {
        var registry = new RateLimitRegistry(_time);

        RateLimitGate gate = registry.GateFor("acct", "m", 60, 600);

        registry.GateFor("acct", "m", 1, 1).Should().BeSameAs(gate);
        registry.GateFor("acct", "other", null, null).Should().NotBeSameAs(gate);
        registry.GateFor("other", "m", null, null).Should().NotBeSameAs(gate);
        gate.RequestsPerMinute.Should().Be(60);
        gate.TokensPerMinute.Should().Be(600);
        registry.Time.Should().BeSameAs(_time);
    }
}
