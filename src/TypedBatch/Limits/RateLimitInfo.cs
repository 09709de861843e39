using System.Globalization;
using System.Net.Http.Headers;

namespace TypedBatch.Limits;

/// <summary>
/// What the server said about its rate limits on one response (the <c>x-ratelimit-*</c> headers).
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

    /// <summary>Whether any rate-limit header was present.</summary>
    public bool HasAny => LimitRequests.HasValue || RemainingRequests.HasValue || ResetRequests.HasValue
        || LimitTokens.HasValue || RemainingTokens.HasValue || ResetTokens.HasValue;

    /// <summary>Reads the <c>x-ratelimit-*</c> headers; <see langword="null"/> when there are none.</summary>
    /// <param name="headers">The response headers.</param>
    public static RateLimitInfo? FromHeaders(HttpResponseHeaders headers)
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
        return info.HasAny ? info : null;
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

    private static TimeSpan? ReadDuration(HttpResponseHeaders headers, string name)
        => headers.TryGetValues(name, out IEnumerable<string>? values) && TryParseDuration(values.FirstOrDefault(), out TimeSpan value)
            ? value
            : null;
}
