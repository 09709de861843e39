using System.Globalization;

namespace TypedBatch.Emulator.Limits;

/// <summary>
/// Formats durations the way the real service writes <c>x-ratelimit-reset-*</c> and "try again in":
/// Go's <c>time.Duration</c> style, rounded up to whole milliseconds. Zero is <c>0s</c>; below a
/// second whole milliseconds (<c>120ms</c>); below a minute seconds with up to three decimals
/// (<c>1s</c>, <c>1.2s</c>, <c>17.28s</c>); then minutes and seconds (<c>6m0s</c>, <c>1m30.5s</c>)
/// and hours (<c>1h0m0s</c>).
/// </summary>
internal static class GoDuration
{
    /// <summary>The duration as Go would print it after rounding up to a whole millisecond.</summary>
    public static string Format(TimeSpan duration)
    {
        long milliseconds = CeilingMilliseconds(duration);
        if (milliseconds <= 0)
        {
            return "0s";
        }

        if (milliseconds < 1000)
        {
            return milliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        long hours = milliseconds / 3_600_000;
        long minutes = milliseconds / 60_000 % 60;
        string seconds = Seconds(milliseconds % 60_000);
        if (hours > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{hours}h{minutes}m{seconds}s");
        }

        return minutes > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{minutes}m{seconds}s")
            : seconds + "s";
    }

    /// <summary>The duration in whole milliseconds, rounded up; zero or less stays as is (truncated).</summary>
    public static long CeilingMilliseconds(TimeSpan duration) =>
        duration <= TimeSpan.Zero ? (long)duration.TotalMilliseconds : (duration.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;

    // 1500 -> "1.5", 1000 -> "1", 17280 -> "17.28", 0 -> "0".
    private static string Seconds(long milliseconds) =>
        (milliseconds / 1000m).ToString("0.###", CultureInfo.InvariantCulture);
}
