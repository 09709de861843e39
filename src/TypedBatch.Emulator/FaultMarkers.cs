using System.Globalization;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>
/// The faults a request asks for through markers in its text. <see cref="FailStatus"/> 0 means no
/// failure; <see cref="FailTimes"/> 0 with a status means "always".
/// </summary>
internal readonly record struct FaultPlan(int FailStatus, int FailTimes, int DelayMilliseconds, bool Malformed)
{
    /// <summary>The bad answer asked for (chat only); <see cref="Structured.BadAnswer.None"/> when none.</summary>
    public BadAnswer BadAnswer { get; init; }

    /// <summary>How many answers of the conversation are bad; 0 means all of them.</summary>
    public int BadAnswerTimes { get; init; }
}

/// <summary>
/// Reads <c>[[fail:503]]</c>, <c>[[fail:500:2]]</c>, <c>[[delay:250]]</c>, <c>[[malformed]]</c> and
/// the bad-answer markers of <see cref="BadAnswerMarkers"/> anywhere in a text. Unknown or
/// out-of-range markers are ignored; the first fail marker and the first bad-answer marker win and
/// delays add up.
/// </summary>
internal static class FaultMarkers
{
    private const int MaxDelayMilliseconds = 600_000;

    /// <summary>Adds the markers found in <paramref name="text"/> to <paramref name="plan"/>.</summary>
    public static FaultPlan Read(FaultPlan plan, string? text)
    {
        if (text is null)
        {
            return plan;
        }

        var start = text.IndexOf("[[", StringComparison.Ordinal);
        while (start >= 0)
        {
            var end = text.IndexOf("]]", start + 2, StringComparison.Ordinal);
            if (end < 0)
            {
                break;
            }

            plan = ReadMarker(plan, text.AsSpan(start + 2, end - start - 2));
            start = text.IndexOf("[[", end + 2, StringComparison.Ordinal);
        }

        return plan;
    }

    private static FaultPlan ReadMarker(FaultPlan plan, ReadOnlySpan<char> marker)
    {
        if (marker.SequenceEqual("malformed"))
        {
            return plan with { Malformed = true };
        }

        if (plan.BadAnswer == BadAnswer.None && BadAnswerMarkers.TryRead(marker, out var badAnswer, out var badTimes))
        {
            return plan with { BadAnswer = badAnswer, BadAnswerTimes = badTimes };
        }

        if (marker.StartsWith("delay:") && TryReadNumber(marker["delay:".Length..], out var delay))
        {
            return plan with { DelayMilliseconds = (int)Math.Min((long)plan.DelayMilliseconds + delay, MaxDelayMilliseconds) };
        }

        if (marker.StartsWith("fail:") && plan.FailStatus == 0)
        {
            var rest = marker["fail:".Length..];
            var colon = rest.IndexOf(':');
            var times = 0;
            if (colon >= 0 && (!TryReadNumber(rest[(colon + 1)..], out times) || times == 0))
            {
                return plan;
            }

            if (TryReadNumber(colon >= 0 ? rest[..colon] : rest, out var status) && status is >= 400 and <= 599)
            {
                return plan with { FailStatus = status, FailTimes = times };
            }
        }

        return plan;
    }

    private static bool TryReadNumber(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
