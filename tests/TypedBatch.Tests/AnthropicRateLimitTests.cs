using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests;

/// <summary>
/// Anthropic's <c>anthropic-ratelimit-*</c> headers as <see cref="RateLimitInfo"/> (RFC 3339 resets measured from the
/// clock), and the gate's separate input and output budgets: input charged on admission, output charged on what answers
/// produce, <c>max_tokens</c> never.
/// </summary>
public sealed class AnthropicRateLimitTests
{
    private static readonly DateTimeOffset Now = new(2025, 8, 21, 12, 40, 58, 500, TimeSpan.Zero);

    private static HttpResponseHeaders Headers(params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage();
        foreach ((string name, string value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response.Headers;
    }

    [Fact]
    public void Anthropic_headers_give_requests_input_and_output_budgets_with_resets_measured_from_the_clock()
    {
        var time = new FakeTimeProvider(Now);
        HttpResponseHeaders headers = Headers(
            ("anthropic-ratelimit-requests-limit", "1000"),
            ("anthropic-ratelimit-requests-remaining", "999"),
            ("anthropic-ratelimit-requests-reset", "2025-08-21T12:40:59Z"),
            ("anthropic-ratelimit-input-tokens-limit", "80000"),
            ("anthropic-ratelimit-input-tokens-remaining", "79000"),
            ("anthropic-ratelimit-input-tokens-reset", "2025-08-21T12:41:00.25Z"),
            ("anthropic-ratelimit-output-tokens-limit", "16000"),
            ("anthropic-ratelimit-output-tokens-remaining", "15000"),
            ("anthropic-ratelimit-output-tokens-reset", "2025-08-21T14:41:01+02:00"),
            ("anthropic-ratelimit-tokens-limit", "96000"),
            ("anthropic-ratelimit-tokens-remaining", "94000"),
            ("anthropic-ratelimit-tokens-reset", "2025-08-21T12:40:59Z"));

        RateLimitInfo info = RateLimitInfo.FromHeaders(headers, time)!;

        info.Should().BeEquivalentTo(new RateLimitInfo
        {
            LimitRequests = 1000,
            RemainingRequests = 999,
            ResetRequests = TimeSpan.FromMilliseconds(500),
            LimitInputTokens = 80000,
            RemainingInputTokens = 79000,
            ResetInputTokens = TimeSpan.FromMilliseconds(1750),
            LimitOutputTokens = 16000,
            RemainingOutputTokens = 15000,
            ResetOutputTokens = TimeSpan.FromMilliseconds(2500),
        }, "the tokens-* sum is not a budget of its own where input and output are metered apart");
    }

    [Fact]
    public void Without_separate_headers_the_tokens_headers_are_the_one_tokens_budget_and_a_past_or_unreadable_reset_is_zero_or_ignored()
    {
        var time = new FakeTimeProvider(Now);
        HttpResponseHeaders headers = Headers(
            ("anthropic-ratelimit-tokens-limit", "96000"),
            ("anthropic-ratelimit-tokens-remaining", "94000"),
            ("anthropic-ratelimit-tokens-reset", "2025-08-21T12:40:00Z"),
            ("anthropic-ratelimit-requests-reset", "soon"));

        RateLimitInfo info = RateLimitInfo.FromHeaders(headers, time)!;

        info.LimitTokens.Should().Be(96000);
        info.RemainingTokens.Should().Be(94000);
        info.ResetTokens.Should().Be(TimeSpan.Zero, "the instant has passed");
        info.ResetRequests.Should().BeNull();
        info.HasSeparateTokenLimits.Should().BeFalse();
        RateLimitInfo.FromHeaders(Headers(("request-id", "req_1")), time).Should().BeNull();
    }

    [Theory]
    [InlineData("2025-08-21T12:41:00Z", 1500)]
    [InlineData("2025-08-21T12:41:00.5Z", 2000)]
    [InlineData("2025-08-21T13:41:00+01:00", 1500)]
    public void Rfc3339_instants_are_read_as_the_wait_until_them(string text, int expectedMilliseconds)
    {
        RateLimitInfo.TryParseInstant(text, Now, out TimeSpan wait).Should().BeTrue();

        wait.Should().Be(TimeSpan.FromMilliseconds(expectedMilliseconds));
    }

    [Theory]
    [InlineData("")]
    [InlineData("2025-08-21")]
    [InlineData("2025-08-21T12:41:00")]
    [InlineData("6m0s")]
    [InlineData("Thu, 21 Aug 2025 12:41:00 GMT")]
    public void Text_that_is_no_rfc3339_instant_is_rejected(string text)
    {
        RateLimitInfo.TryParseInstant(text, Now, out _).Should().BeFalse();
    }

    [Fact]
    public async Task Separate_input_budget_is_charged_the_prompt_and_output_is_not_reserved_where_it_is_not_metered()
    {
        var time = new FakeTimeProvider(Now);
        var gate = new RateLimitGate(timeProvider: time);
        gate.OnAnswer(new RateLimitInfo { LimitInputTokens = 6000 }); // 100 a second, a bucket of 50

        // Prompt 50 with max_tokens 4096: the combined reservation (4146) would wait 41 s at any tokens limit.
        (await gate.WaitAsync(new TokenDemand(4146, 50, 4096))).Should().Be(0, "output is not metered here");
        ValueTask<int> second = gate.WaitAsync(new TokenDemand(4146, 50, 4096));

        gate.InputTokensPerMinute.Should().Be(6000);
        gate.TokensPerMinute.Should().BeNull();
        time.Advance(TimeSpan.FromMilliseconds(499));
        second.IsCompleted.Should().BeFalse("the first prompt emptied the input bucket");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await second;
    }

    [Fact]
    public async Task Output_is_estimated_from_max_tokens_and_settled_to_what_the_answer_produced()
    {
        var time = new FakeTimeProvider(Now);
        var gate = new RateLimitGate(timeProvider: time);
        gate.OnAnswer(new RateLimitInfo { LimitOutputTokens = 600 }); // 10 a second, a bucket of 5

        int first = await gate.WaitAsync(new TokenDemand(4106, 10, 4096));
        first.Should().Be(600, "Anthropic estimates output from max_tokens on arrival: here at most a minute's budget");

        // The answer produced 25 tokens: 575 come back, leaving a debt of 20 that the next request waits out (2.5 s).
        gate.SettleOutput(first, 25);
        ValueTask<int> next = gate.WaitAsync(new TokenDemand(4106, 10, 10));
        time.Advance(TimeSpan.FromMilliseconds(2499));
        next.IsCompleted.Should().BeFalse("20 tokens of debt, then the part of 10 a bucket holds (5) must accrue");
        time.Advance(TimeSpan.FromMilliseconds(1));
        (await next).Should().Be(10);
        gate.OutputTokensPerMinute.Should().Be(600);
    }

    [Fact]
    public async Task A_short_answer_gives_back_what_it_did_not_produce_and_without_max_tokens_the_answers_average_is_reserved()
    {
        var time = new FakeTimeProvider(Now);
        var gate = new RateLimitGate(timeProvider: time);
        gate.OnAnswer(new RateLimitInfo { LimitOutputTokens = 600 });

        int reserved = await gate.WaitAsync(new TokenDemand(0, 10, 2));
        reserved.Should().Be(2, "max_tokens is the estimate");
        gate.SettleOutput(reserved, 1);

        (await gate.WaitAsync(new TokenDemand(0, 10, null))).Should().Be(1, "without max_tokens: the answers so far were one token long");
        gate.WaitAsync(new TokenDemand(0, 10, 3)).IsCompleted.Should().BeTrue("5 - 2 + 1 given back - 1 leaves 3 tokens");
        gate.WaitAsync(new TokenDemand(0, 10, 1)).IsCompleted.Should().BeFalse("and then none");
    }

    [Fact]
    public async Task An_exhausted_output_budget_holds_requests_until_it_refills_and_a_pause_holds_every_budget()
    {
        var time = new FakeTimeProvider(Now);
        var gate = new RateLimitGate(timeProvider: time);
        gate.OnAnswer(new RateLimitInfo { LimitOutputTokens = 600, RemainingOutputTokens = 0, LimitInputTokens = 60_000 });

        ValueTask<int> held = gate.WaitAsync(new TokenDemand(0, 1, 0));
        time.Advance(TimeSpan.FromMilliseconds(499));
        held.IsCompleted.Should().BeFalse("the server said no output budget is left: the bucketful reserved must accrue first");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await held;

        gate.Pause(TimeSpan.FromSeconds(2));
        ValueTask<int> paused = gate.WaitAsync(new TokenDemand(0, 1, 1));
        time.Advance(TimeSpan.FromMilliseconds(1999));
        paused.IsCompleted.Should().BeFalse();
        time.Advance(TimeSpan.FromMilliseconds(200));
        await paused;
    }
}
