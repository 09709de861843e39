using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests;

public sealed class RateLimitGateTests
{
    [Fact]
    public async Task A_burst_of_half_a_seconds_budget_passes_then_requests_are_spaced_by_the_rate()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(240, timeProvider: time); // 4 per second, burst of 2

        await gate.WaitAsync();
        await gate.WaitAsync();
        ValueTask third = gate.WaitAsync();
        ValueTask fourth = gate.WaitAsync();

        third.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(249));
        third.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        await third;
        fourth.IsCompleted.Should().BeFalse("waiters are served in order, one token each");
        time.Advance(TimeSpan.FromMilliseconds(250));
        await fourth;
    }

    [Fact]
    public async Task Sixty_a_minute_allows_one_request_per_second()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(60, timeProvider: time);

        await gate.WaitAsync();
        ValueTask next = gate.WaitAsync();
        time.Advance(TimeSpan.FromMilliseconds(999));
        next.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        await next;
    }

    [Fact]
    public async Task A_cancelled_wait_gives_its_token_back()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(60, timeProvider: time);
        await gate.WaitAsync();
        using var cts = new CancellationTokenSource();

        ValueTask cancelled = gate.WaitAsync(cancellationToken: cts.Token);
        await cts.CancelAsync();
        Func<Task> act = async () => await cancelled;
        await act.Should().ThrowAsync<OperationCanceledException>();

        ValueTask next = gate.WaitAsync();
        time.Advance(TimeSpan.FromSeconds(1));
        await next; // served after one second, not two
    }

    [Fact]
    public async Task Idle_time_refills_no_more_than_the_burst()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(60, timeProvider: time);
        time.Advance(TimeSpan.FromMinutes(10));

        await gate.WaitAsync();
        gate.WaitAsync().IsCompleted.Should().BeFalse();
    }

    [Fact]
    public async Task Tokens_per_minute_bind_when_a_request_reserves_more_tokens_than_remain()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(tokensPerMinute: 6000, timeProvider: time); // 100 tokens per second, burst of 50

        await gate.WaitAsync(tokens: 50);
        ValueTask next = gate.WaitAsync(tokens: 25);
        time.Advance(TimeSpan.FromMilliseconds(249));
        next.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        await next;
    }

    [Fact]
    public async Task Server_headers_set_unconfigured_limits_and_lower_the_local_budget()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(timeProvider: time);
        await gate.WaitAsync(); // no limit known yet: free

        gate.Observe(new RateLimitInfo { LimitRequests = 600, RemainingRequests = 0 });

        gate.RequestsPerMinute.Should().Be(600);
        ValueTask next = gate.WaitAsync();
        next.IsCompleted.Should().BeFalse("the server said nothing is left");
        time.Advance(TimeSpan.FromMilliseconds(100));
        await next;
    }

    [Fact]
    public async Task A_configured_limit_is_not_replaced_by_the_servers()
    {
        var gate = new RateLimitGate(requestsPerMinute: 60, timeProvider: new FakeTimeProvider());

        gate.Observe(new RateLimitInfo { LimitRequests = 100_000 });

        gate.RequestsPerMinute.Should().Be(60);
        await gate.WaitAsync();
    }

    [Fact]
    public async Task A_429_pause_holds_every_caller()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(timeProvider: time);
        gate.Pause(TimeSpan.FromSeconds(2));

        ValueTask waiting = gate.WaitAsync();
        time.Advance(TimeSpan.FromMilliseconds(1999));
        waiting.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        await waiting;
    }

    [Fact]
    public void Usage_corrects_the_prompt_estimate()
    {
        var gate = new RateLimitGate(timeProvider: new FakeTimeProvider());
        for (int i = 0; i < 100; i++)
        {
            gate.LearnPromptTokens(estimatedPromptTokens: 100, actualPromptTokens: 150);
        }

        gate.PromptCorrection.Should().BeApproximately(1.5, 0.01);
        TokenEstimator.Reservation(100, maxTokens: 200, gate.PromptCorrection).Should().BeInRange(349, 351);
    }

    [Fact]
    public async Task A_request_larger_than_the_burst_is_charged_in_full()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(tokensPerMinute: 6000, timeProvider: time); // 100 tokens a second, burst of 50

        await gate.WaitAsync(tokens: 1000); // passes on the burst, and leaves 950 tokens of debt
        ValueTask next = gate.WaitAsync(tokens: 1);
        time.Advance(TimeSpan.FromSeconds(9.5));
        next.IsCompleted.Should().BeFalse("1,000 tokens at 100 a second take ten seconds to accrue");
        time.Advance(TimeSpan.FromSeconds(0.01));
        await next;
    }

    [Fact]
    public async Task The_end_of_a_pause_releases_requests_at_the_rate_not_in_a_burst()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(600, timeProvider: time); // 10 a second, burst of 5
        gate.Pause(TimeSpan.FromSeconds(10));

        Task[] waiting = Enumerable.Range(0, 20).Select(_ => gate.WaitAsync().AsTask()).ToArray();
        time.Advance(TimeSpan.FromSeconds(10));
        await Task.Delay(50);
        waiting.Count(w => w.IsCompleted).Should().Be(0, "nothing accrued while paused");

        time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(waiting.Take(10)).WaitAsync(TimeSpan.FromSeconds(10));
        waiting.Skip(11).Should().OnlyContain(w => !w.IsCompleted, "a second after the pause only a second's worth went");
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.WhenAll(waiting).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task With_no_limit_known_one_request_goes_first_and_the_rest_wait_for_its_answer()
    {
        var gate = new RateLimitGate(timeProvider: new FakeTimeProvider());

        await gate.WaitAsync();
        Task second = gate.WaitAsync().AsTask();
        await Task.Delay(20);
        second.IsCompleted.Should().BeFalse("the first answer may say the limits");

        gate.OnAnswer(new RateLimitInfo { LimitRequests = 60_000, RemainingRequests = 500 });

        await second.WaitAsync(TimeSpan.FromSeconds(5));
        gate.RequestsPerMinute.Should().Be(60_000);
        await gate.WaitAsync(); // limits known now: no more holding
    }
}
