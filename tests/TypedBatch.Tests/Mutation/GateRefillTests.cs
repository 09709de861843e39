using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests.Mutation;

/// <summary>Survivors of the 2026-12-01 run: the refill rate between two requests, and configured token limits.</summary>
public sealed class GateRefillTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Time_already_passed_counts_toward_the_next_request()
    {
        var gate = new RateLimitGate(60, timeProvider: _time); // one a second, burst of one
        await gate.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(500));

        ValueTask next = gate.WaitAsync();
        _time.Advance(TimeSpan.FromMilliseconds(499));
        next.IsCompleted.Should().BeFalse("half the interval had accrued; the other half is still to come");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await next.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void A_configured_token_limit_is_not_replaced_by_the_servers()
    {
        var built = new RateLimitGate(tokensPerMinute: 1000, timeProvider: _time);
        var configured = new RateLimitGate(timeProvider: _time);
        configured.Configure(null, 2000);

        built.Observe(new RateLimitInfo { LimitTokens = 500_000 });
        configured.Observe(new RateLimitInfo { LimitTokens = 500_000 });

        built.TokensPerMinute.Should().Be(1000);
        configured.TokensPerMinute.Should().Be(2000);
    }
}
