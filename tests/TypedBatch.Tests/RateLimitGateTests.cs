using Microsoft.Extensions.Time.Testing;

namespace TypedBatch.Tests;

public sealed class RateLimitGateTests
{
    [Fact]
    public async Task A_burst_of_one_seconds_budget_passes_then_requests_are_spaced_by_the_rate()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(120, timeProvider: time); // 2 per second, burst of 2

        await gate.WaitAsync();
        await gate.WaitAsync();
        ValueTask third = gate.WaitAsync();
        ValueTask fourth = gate.WaitAsync();

        third.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(499));
        third.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        await third;
        fourth.IsCompleted.Should().BeFalse("waiters are served in order, one token each");
        time.Advance(TimeSpan.FromMilliseconds(500));
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
}
