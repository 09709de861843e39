using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using TypedBatch.Limits;

namespace TypedBatch.Tests.Wire;

/// <summary>The <c>x-ratelimit-*</c> headers of every recorded response, and the Go-style durations they hold.</summary>
public sealed partial class RateLimitHeaderTests
{
    public static TheoryData<string, int> RecordedResponses()
    {
        var data = new TheoryData<string, int>();
        foreach (string recording in RecordedExchange.RecordingNames())
        {
            int entries = RecordedExchange.LoadAll(recording).Count;
            for (int i = 0; i < entries; i++)
            {
                data.Add(recording, i);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RecordedResponses))]
    public void Recorded_rate_limit_headers_are_read_into_the_numbers_they_say(string recording, int entry)
    {
        var recorded = RecordedExchange.Load(recording, entry);
        using HttpResponseMessage response = RecordingHandler.CreateResponse(recorded);

        var info = RateLimitInfo.FromHeaders(response.Headers);

        info.Should().Be(StraightforwardParse(response.Headers));
    }

    [Fact]
    public void Recordings_hold_responses_with_and_without_rate_limit_headers()
    {
        var all = RecordedExchange.RecordingNames().SelectMany(RecordedExchange.LoadAll).ToList();

        all.Count(e => e.ResponseHeaders.Keys.Any(k => k.StartsWith("x-ratelimit-", StringComparison.OrdinalIgnoreCase)))
            .Should().Be(8, "the chat, streaming and embeddings answers carry them; the 401, files and batch answers do not");
        all.Should().HaveCount(17);
    }

    [Theory]
    [InlineData("2ms", 2 * TimeSpan.TicksPerMillisecond)]
    [InlineData("0s", 0L)]
    [InlineData("6ms", 6 * TimeSpan.TicksPerMillisecond)]
    [InlineData("1s", TimeSpan.TicksPerSecond)]
    [InlineData("1.5s", 15 * TimeSpan.TicksPerSecond / 10)]
    [InlineData("6m0s", 6 * TimeSpan.TicksPerMinute)]
    [InlineData("1h2m3s", TimeSpan.TicksPerHour + 2 * TimeSpan.TicksPerMinute + 3 * TimeSpan.TicksPerSecond)]
    [InlineData("20ms", 20 * TimeSpan.TicksPerMillisecond)]
    [InlineData("3m12.5s", 3 * TimeSpan.TicksPerMinute + 125 * TimeSpan.TicksPerSecond / 10)]
    [InlineData("500us", TimeSpan.TicksPerMillisecond / 2)]
    [InlineData("7", 7 * TimeSpan.TicksPerSecond)]
    public void Go_style_durations_are_parsed(string text, long expectedTicks)
    {
        RateLimitInfo.TryParseDuration(text, out TimeSpan duration).Should().BeTrue();

        duration.Should().Be(TimeSpan.FromTicks(expectedTicks));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("5x")]
    [InlineData("-1s")]
    public void Invalid_durations_are_rejected(string text)
    {
        RateLimitInfo.TryParseDuration(text, out _).Should().BeFalse();
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e300")]
    public void Numbers_no_duration_can_hold_are_rejected_without_throwing(string text)
    {
        RateLimitInfo.TryParseDuration(text, out _).Should().BeFalse();
    }

    [Fact]
    public async Task Unreadable_rate_limit_header_is_ignored_and_the_answer_kept()
    {
        using var wire = new WireHarness(WithResetTokens("soon"));

        ChatCompletion answer = await wire.Provider.CompleteAsync(WireHarness.Chat("gpt-4o-mini", PromptMessage.User("Hello, world!")));

        answer.Content.Should().Be("Hello! How can I assist you today?");
        wire.LatestRateLimit!.ResetTokens.Should().BeNull();
        wire.LatestRateLimit.LimitTokens.Should().Be(150000000);
    }

    [Fact]
    public async Task Non_numeric_reset_header_does_not_lose_the_answer()
    {
        using var wire = new WireHarness(WithResetTokens("NaN"));

        ChatCompletion answer = await wire.Provider.CompleteAsync(WireHarness.Chat("gpt-4o-mini", PromptMessage.User("Hello, world!")));

        answer.Content.Should().Be("Hello! How can I assist you today?");
        wire.LatestRateLimit!.ResetTokens.Should().BeNull();
    }

    private static RecordedExchange WithResetTokens(string value)
    {
        var recorded = RecordedExchange.Load("ChatTests_HelloWorldChat");
        var headers = new Dictionary<string, string[]>(recorded.ResponseHeaders, StringComparer.OrdinalIgnoreCase)
        {
            ["x-ratelimit-reset-tokens"] = [value],
        };
        return recorded with { ResponseHeaders = headers };
    }

    private static RateLimitInfo? StraightforwardParse(HttpResponseHeaders headers)
    {
        string? Value(string name) => headers.TryGetValues(name, out IEnumerable<string>? values) ? values.Single() : null;
        long? Count(string name) => Value(name) is { } v ? long.Parse(v, CultureInfo.InvariantCulture) : null;

        TimeSpan? Duration(string name)
        {
            if (Value(name) is not { } v)
            {
                return null;
            }

            // The recordings hold whole milliseconds or seconds only; anything else should be added here on purpose.
            Match match = WholeDuration().Match(v);
            match.Success.Should().BeTrue("{0} should be a whole number of ms or s, not {1}", name, v);
            long amount = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            return match.Groups[2].Value == "ms" ? TimeSpan.FromMilliseconds(amount) : TimeSpan.FromSeconds(amount);
        }

        var info = new RateLimitInfo
        {
            LimitRequests = Count("x-ratelimit-limit-requests"),
            RemainingRequests = Count("x-ratelimit-remaining-requests"),
            ResetRequests = Duration("x-ratelimit-reset-requests"),
            LimitTokens = Count("x-ratelimit-limit-tokens"),
            RemainingTokens = Count("x-ratelimit-remaining-tokens"),
            ResetTokens = Duration("x-ratelimit-reset-tokens"),
        };
        return info == new RateLimitInfo() ? null : info;
    }

    [GeneratedRegex("^([0-9]+)(ms|s)$")]
    private static partial Regex WholeDuration();
}
