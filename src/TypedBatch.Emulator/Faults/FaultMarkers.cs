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

    /// <summary><c>[[quota]]</c>: answer 429 <c>insufficient_quota</c>.</summary>
    public bool Quota { get; init; }

    /// <summary><c>[[x-should-retry:false]]</c> or <c>:true</c>: the <c>x-should-retry</c> header of any error answer.</summary>
    public bool? ShouldRetry { get; init; }

    /// <summary><c>[[retry-after:N]]</c>: <c>Retry-After: N</c> on an injected error.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary><c>[[retry-after-ms:N]]</c>: <c>retry-after-ms: N</c> on an injected error.</summary>
    public int? RetryAfterMilliseconds { get; init; }

    /// <summary><c>[[retry-after-date:N]]</c>: <c>Retry-After</c> as an HTTP date N seconds ahead on an injected error.</summary>
    public int? RetryAfterDateSeconds { get; init; }

    /// <summary><c>[[drip-error:S]]</c> (S) or <c>[[drip-ok]]</c> (200): announce 100,000 bytes, then send one byte every half second.</summary>
    public int DripStatus { get; init; }

    /// <summary>The content type of a drip: JSON for <c>[[drip-error:S]]</c>, <c>text/plain</c> for <c>[[drip-ok]]</c>, none for <c>[[drip-ok:none]]</c>.</summary>
    public string? DripContentType { get; init; }

    /// <summary><c>[[echo-key]]</c>: a 401 that echoes the caller's credential in its error fields and <c>x-request-id</c>.</summary>
    public bool EchoKey { get; init; }

    /// <summary><c>[[echo-key-html:N]]</c>: a 502 HTML page with the caller's credential after N characters.</summary>
    public int? EchoKeyHtmlOffset { get; init; }

    /// <summary><c>[[redirect:S]]</c>: answer S (301, 302, 303, 307 or 308) with a <c>Location</c> on the secondary origin.</summary>
    public int RedirectStatus { get; init; }

    /// <summary><c>[[dup-index]]</c>: an embeddings answer with an extra entry repeating index 0.</summary>
    public bool DuplicateIndex { get; init; }

    /// <summary><c>[[missing-index]]</c>: an embeddings answer without its last entry.</summary>
    public bool MissingIndex { get; init; }

    /// <summary><c>[[oversize:MB]]</c>: a valid chat completion whose content is about MB megabytes.</summary>
    public int OversizeMegabytes { get; init; }

    /// <summary><c>[[hang]]</c>: never answer, until the client goes away or the server stops.</summary>
    public bool Hang { get; init; }

    /// <summary><c>[[stream-cut:K]]</c>: a streamed answer whose body ends after K content chunks (no finish reason, no <c>[DONE]</c>).</summary>
    public int? StreamCutAfter { get; init; }

    /// <summary><c>[[stream-error:K]]</c>: a streamed answer that sends an error event after K content chunks and ends.</summary>
    public int? StreamErrorAfter { get; init; }

    /// <summary>The optional third part of a stream fault, <c>[[stream-cut:K:T]]</c>: only the first T receipts of the request; 0 means every one.</summary>
    public int StreamFaultTimes { get; init; }

    /// <summary><c>[[drip-stream:MS]]</c>: a streamed answer that waits MS milliseconds before each chunk.</summary>
    public int StreamDripMilliseconds { get; init; }

    /// <summary>Whether any retry-after marker was given; they then replace the default retry hints.</summary>
    public bool HasRetryHint => RetryAfterSeconds is not null || RetryAfterMilliseconds is not null || RetryAfterDateSeconds is not null;
}

/// <summary>
/// Reads <c>[[fail:503]]</c>, <c>[[fail:500:2]]</c>, <c>[[delay:250]]</c>, <c>[[malformed]]</c>,
/// <c>[[quota]]</c>, <c>[[x-should-retry:false]]</c>, <c>[[retry-after:5]]</c>,
/// <c>[[retry-after-ms:1500]]</c>, <c>[[retry-after-date:3]]</c>, the hostile-server markers (<c>[[drip-error:500]]</c>,
/// <c>[[drip-ok]]</c>, <c>[[drip-ok:none]]</c>, <c>[[echo-key]]</c>, <c>[[echo-key-html:N]]</c>, <c>[[redirect:307]]</c>,
/// <c>[[dup-index]]</c>, <c>[[missing-index]]</c>, <c>[[oversize:MB]]</c>, <c>[[hang]]</c>), the stream markers
/// (<c>[[stream-cut:K]]</c>, <c>[[stream-error:K]]</c>, either with <c>:T</c> for the first T receipts only,
/// <c>[[drip-stream:MS]]</c>) and the bad-answer markers of
/// <see cref="BadAnswerMarkers"/> anywhere in a text. Unknown or
/// out-of-range markers are ignored; the first fail marker and the first bad-answer marker win and
/// delays add up.
/// </summary>
internal static class FaultMarkers
{
    private const int MaxDelayMilliseconds = 600_000;
    private const int MaxOversizeMegabytes = 1024;
    private const int MaxEchoOffset = 16 * 1024 * 1024;

    /// <summary>Adds the markers found in <paramref name="text"/> to <paramref name="plan"/>.</summary>
    public static FaultPlan Read(FaultPlan plan, string? text)
    {
        if (text is null)
        {
            return plan;
        }

        int start = text.IndexOf("[[", StringComparison.Ordinal);
        while (start >= 0)
        {
            int end = text.IndexOf("]]", start + 2, StringComparison.Ordinal);
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

        if (marker.SequenceEqual("quota"))
        {
            return plan with { Quota = true };
        }

        if (ReadHostileMarker(plan, marker) is { } hostile)
        {
            return hostile;
        }

        if (marker.SequenceEqual("x-should-retry:false") || marker.SequenceEqual("x-should-retry:true"))
        {
            return plan with { ShouldRetry = marker.EndsWith("true") };
        }

        if (marker.StartsWith("retry-after:") && TryReadNumber(marker["retry-after:".Length..], out int seconds))
        {
            return plan with { RetryAfterSeconds = seconds };
        }

        if (marker.StartsWith("retry-after-ms:") && TryReadNumber(marker["retry-after-ms:".Length..], out int milliseconds))
        {
            return plan with { RetryAfterMilliseconds = milliseconds };
        }

        if (marker.StartsWith("retry-after-date:") && TryReadNumber(marker["retry-after-date:".Length..], out int dateSeconds))
        {
            return plan with { RetryAfterDateSeconds = dateSeconds };
        }

        if (plan.BadAnswer == BadAnswer.None && BadAnswerMarkers.TryRead(marker, out BadAnswer badAnswer, out int badTimes))
        {
            return plan with { BadAnswer = badAnswer, BadAnswerTimes = badTimes };
        }

        if (marker.StartsWith("delay:") && TryReadNumber(marker["delay:".Length..], out int delay))
        {
            return plan with { DelayMilliseconds = (int)Math.Min((long)plan.DelayMilliseconds + delay, MaxDelayMilliseconds) };
        }

        if (marker.StartsWith("fail:") && plan.FailStatus == 0)
        {
            ReadOnlySpan<char> rest = marker["fail:".Length..];
            int colon = rest.IndexOf(':');
            int times = 0;
            if (colon >= 0 && (!TryReadNumber(rest[(colon + 1)..], out times) || times == 0))
            {
                return plan;
            }

            if (TryReadNumber(colon >= 0 ? rest[..colon] : rest, out int status) && status is >= 400 and <= 599)
            {
                return plan with { FailStatus = status, FailTimes = times };
            }
        }

        return plan;
    }

    private static FaultPlan? ReadHostileMarker(FaultPlan plan, ReadOnlySpan<char> marker)
    {
        switch (marker)
        {
            case "drip-ok":
                return plan with { DripStatus = StatusCodes.Status200OK, DripContentType = "text/plain" };
            case "drip-ok:none":
                return plan with { DripStatus = StatusCodes.Status200OK, DripContentType = null };
            case "echo-key":
                return plan with { EchoKey = true };
            case "dup-index":
                return plan with { DuplicateIndex = true };
            case "missing-index":
                return plan with { MissingIndex = true };
            case "hang":
                return plan with { Hang = true };
        }

        if (marker.StartsWith("drip-error:") && TryReadNumber(marker["drip-error:".Length..], out int dripStatus) && dripStatus is >= 400 and <= 599)
        {
            return plan with { DripStatus = dripStatus, DripContentType = JsonOutput.ContentType };
        }

        if (marker.StartsWith("echo-key-html:") && TryReadNumber(marker["echo-key-html:".Length..], out int offset) && offset <= MaxEchoOffset)
        {
            return plan with { EchoKeyHtmlOffset = offset };
        }

        if (marker.StartsWith("redirect:") && TryReadNumber(marker["redirect:".Length..], out int redirect) && redirect is 301 or 302 or 303 or 307 or 308)
        {
            return plan with { RedirectStatus = redirect };
        }

        if (marker.StartsWith("drip-stream:") && TryReadNumber(marker["drip-stream:".Length..], out int drip) && drip <= MaxDelayMilliseconds)
        {
            return plan with { StreamDripMilliseconds = drip };
        }

        bool cut = marker.StartsWith("stream-cut:");
        if (cut || marker.StartsWith("stream-error:"))
        {
            ReadOnlySpan<char> rest = marker[(cut ? "stream-cut:" : "stream-error:").Length..];
            int colon = rest.IndexOf(':');
            int times = 0;
            if (TryReadNumber(colon >= 0 ? rest[..colon] : rest, out int after) && (colon < 0 || TryReadNumber(rest[(colon + 1)..], out times)))
            {
                return cut
                    ? plan with { StreamCutAfter = after, StreamFaultTimes = times }
                    : plan with { StreamErrorAfter = after, StreamFaultTimes = times };
            }
        }

        if (marker.StartsWith("oversize:") && TryReadNumber(marker["oversize:".Length..], out int megabytes) && megabytes is > 0 and <= MaxOversizeMegabytes)
        {
            return plan with { OversizeMegabytes = megabytes };
        }

        return null;
    }

    private static bool TryReadNumber(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
