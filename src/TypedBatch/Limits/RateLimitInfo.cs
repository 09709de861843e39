using System.Globalization;
using System.Net.Http.Headers;

namespace TypedBatch.Limits;

/// <summary>
/// What the server said about its rate limits on one response: OpenAI's <c>x-ratelimit-*</c> headers, or Anthropic's
/// <c>anthropic-ratelimit-*</c> (requests, input tokens and output tokens apart, resets as RFC 3339 instants).
/// Any value the server did not send is <see langword="null"/>.
/// </summary>
internal sealed record RateLimitInfo
{
    /// <summary>Requests allowed per window (<c>x-ratelimit-limit-requests</c>).</summary>
    public long? LimitRequests { get; init; }

    /// <summary>Requests left in the window (<c>x-ratelimit-remaining-requests</c>).</summary>
    public long? RemainingRequests { get; init; }

    /// <summary>Time until the request budget is full again (<c>x-ratelimit-reset-requests</c>).</summary>
    public TimeSpan? ResetRequests { get; init; }

    /// <summary>Tokens allowed per window (<c>x-ratelimit-limit-tokens</c>).</summary>
    public long? LimitTokens { get; init; }

    /// <summary>Tokens left in the window (<c>x-ratelimit-remaining-tokens</c>).</summary>
    public long? RemainingTokens { get; init; }

    /// <summary>Time until the token budget is full again (<c>x-ratelimit-reset-tokens</c>).</summary>
    public TimeSpan? ResetTokens { get; init; }

    /// <summary>Input tokens allowed per window, metered apart from output (<c>anthropic-ratelimit-input-tokens-limit</c>).</summary>
    public long? LimitInputTokens { get; init; }

    /// <summary>Input tokens left in the window (<c>anthropic-ratelimit-input-tokens-remaining</c>).</summary>
    public long? RemainingInputTokens { get; init; }

    /// <summary>Time until the input-token budget is full again (<c>anthropic-ratelimit-input-tokens-reset</c>).</summary>
    public TimeSpan? ResetInputTokens { get; init; }

    /// <summary>Output tokens allowed per window, counted on what answers produce (<c>anthropic-ratelimit-output-tokens-limit</c>).</summary>
    public long? LimitOutputTokens { get; init; }

    /// <summary>Output tokens left in the window (<c>anthropic-ratelimit-output-tokens-remaining</c>).</summary>
    public long? RemainingOutputTokens { get; init; }

    /// <summary>Time until the output-token budget is full again (<c>anthropic-ratelimit-output-tokens-reset</c>).</summary>
    public TimeSpan? ResetOutputTokens { get; init; }

    /// <summary>Whether input and output tokens are limited separately.</summary>
    public bool HasSeparateTokenLimits => LimitInputTokens.HasValue || RemainingInputTokens.HasValue || LimitOutputTokens.HasValue || RemainingOutputTokens.HasValue;

    /// <summary>Whether any rate-limit header was present.</summary>
    public bool HasAny => LimitRequests.HasValue || RemainingRequests.HasValue || ResetRequests.HasValue
        || LimitTokens.HasValue || RemainingTokens.HasValue || ResetTokens.HasValue
        || HasSeparateTokenLimits || ResetInputTokens.HasValue || ResetOutputTokens.HasValue;

    /// <summary>Reads the <c>x-ratelimit-*</c> or <c>anthropic-ratelimit-*</c> headers; <see langword="null"/> when there are none.</summary>
    /// <param name="headers">The response headers.</param>
    /// <param name="time">The clock Anthropic's reset instants are measured from; the system clock when none.</param>
    public static RateLimitInfo? FromHeaders(HttpResponseHeaders headers, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var info = new RateLimitInfo
        {
            LimitRequests = ReadLong(headers, "x-ratelimit-limit-requests"),
            RemainingRequests = ReadLong(headers, "x-ratelimit-remaining-requests"),
            ResetRequests = ReadDuration(headers, "x-ratelimit-reset-requests"),
            LimitTokens = ReadLong(headers, "x-ratelimit-limit-tokens"),
            RemainingTokens = ReadLong(headers, "x-ratelimit-remaining-tokens"),
            ResetTokens = ReadDuration(headers, "x-ratelimit-reset-tokens"),
        };
        if (!info.HasAny)
        {
            info = FromAnthropicHeaders(headers, (time ?? TimeProvider.System).GetUtcNow());
        }

        return info.HasAny ? info : null;
    }

    /// <summary>
    /// Anthropic's headers. <c>tokens-*</c> is "the most restrictive limit in effect", without workspace limits the sum
    /// of the input and output budgets: where the input and output headers say more, it is not read, else it is the
    /// one tokens budget.
    /// </summary>
    private static RateLimitInfo FromAnthropicHeaders(HttpResponseHeaders headers, DateTimeOffset now)
    {
        const string Prefix = "anthropic-ratelimit-";
        var info = new RateLimitInfo
        {
            LimitRequests = ReadLong(headers, Prefix + "requests-limit"),
            RemainingRequests = ReadLong(headers, Prefix + "requests-remaining"),
            ResetRequests = ReadInstant(headers, Prefix + "requests-reset", now),
            LimitInputTokens = ReadLong(headers, Prefix + "input-tokens-limit"),
            RemainingInputTokens = ReadLong(headers, Prefix + "input-tokens-remaining"),
            ResetInputTokens = ReadInstant(headers, Prefix + "input-tokens-reset", now),
            LimitOutputTokens = ReadLong(headers, Prefix + "output-tokens-limit"),
            RemainingOutputTokens = ReadLong(headers, Prefix + "output-tokens-remaining"),
            ResetOutputTokens = ReadInstant(headers, Prefix + "output-tokens-reset", now),
        };
        return info.HasSeparateTokenLimits
            ? info
            : info with
            {
                LimitTokens = ReadLong(headers, Prefix + "tokens-limit"),
                RemainingTokens = ReadLong(headers, Prefix + "tokens-remaining"),
                ResetTokens = ReadInstant(headers, Prefix + "tokens-reset", now),
            };
    }

    /// <summary>Parses an RFC 3339 instant (<c>2025-08-21T12:40:59Z</c>, fractions and offsets allowed) as the time from <paramref name="now"/> until it, never negative.</summary>
    /// <param name="text">The instant's text.</param>
    /// <param name="now">The instant the wait is measured from.</param>
    /// <param name="wait">The time until the instant, zero when it has passed.</param>
    /// <returns>Whether the text was an RFC 3339 date and time.</returns>
    public static bool TryParseInstant(ReadOnlySpan<char> text, DateTimeOffset now, out TimeSpan wait)
    {
        wait = TimeSpan.Zero;
        text = text.Trim();

        // RFC 3339 always has a date, a 'T' (or 't'/space) and a zone: a bare date or a local time is not one.
        if (text.Length < 20 || text[4] != '-' || (text[^1] is not ('Z' or 'z') && text[^6] is not ('+' or '-'))
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out DateTimeOffset instant))
        {
            return false;
        }

        wait = instant > now ? instant - now : TimeSpan.Zero;
        return true;
    }

    /// <summary>
    /// Parses a Go-style duration as OpenAI sends it: <c>2ms</c>, <c>0s</c>, <c>1.5s</c>, <c>6m0s</c>, <c>1h2m3s</c>,
    /// also <c>us</c>/<c>µs</c> and <c>ns</c>. A bare number is taken as seconds.
    /// </summary>
    /// <param name="text">The duration text.</param>
    /// <param name="duration">The parsed duration.</param>
    /// <returns>Whether the text was a valid duration.</returns>
    public static bool TryParseDuration(ReadOnlySpan<char> text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }

        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double bareSeconds))
        {
            if (!double.IsFinite(bareSeconds) || bareSeconds * TimeSpan.TicksPerSecond >= TimeSpan.MaxValue.Ticks)
            {
                return false;
            }

            duration = TimeSpan.FromTicks((long)(bareSeconds * TimeSpan.TicksPerSecond));
            return true;
        }

        double totalTicks = 0;
        while (!text.IsEmpty)
        {
            int numberLength = 0;
            while (numberLength < text.Length && (char.IsAsciiDigit(text[numberLength]) || text[numberLength] == '.'))
            {
                numberLength++;
            }

            if (numberLength == 0 || !double.TryParse(text[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value))
            {
                return false;
            }

            text = text[numberLength..];
            int unitLength = 0;
            while (unitLength < text.Length && !char.IsAsciiDigit(text[unitLength]) && text[unitLength] != '.')
            {
                unitLength++;
            }

            double ticksPerUnit = text[..unitLength] switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" or "μs" => TimeSpan.TicksPerMillisecond / 1000.0,
                "ns" => TimeSpan.TicksPerMillisecond / 1_000_000.0,
                _ => -1,
            };
            if (ticksPerUnit < 0)
            {
                return false;
            }

            totalTicks += value * ticksPerUnit;
            if (totalTicks >= TimeSpan.MaxValue.Ticks)
            {
                return false;
            }

            text = text[unitLength..];
        }

        duration = TimeSpan.FromTicks((long)Math.Round(totalTicks));
        return true;
    }

    private static long? ReadLong(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out IEnumerable<string>? values)
           && long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : null;

    private static TimeSpan? ReadInstant(HttpResponseHeaders headers, string name, DateTimeOffset now)
        => headers.TryGetValues(name, out IEnumerable<string>? values) && TryParseInstant(values.FirstOrDefault(), now, out TimeSpan wait)
            ? wait
            : null;

    private static TimeSpan? ReadDuration(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out IEnumerable<string>? values) && TryParseDuration(values.FirstOrDefault(), out TimeSpan value)
            ? value
            : null;
}
