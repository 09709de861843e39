using System.Globalization;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>
/// The rate-limit headers of Anthropic's answers: <c>anthropic-ratelimit-{requests,input-tokens,output-tokens,tokens}-{limit,remaining,reset}</c>,
/// the reset being the time the bucket is full again as an RFC 3339 timestamp in whole seconds
/// (<c>2025-02-24T22:25:32Z</c>, as recorded from the real service).
/// </summary>
/// <remarks>
/// Checked against Anthropic's rate-limits reference (docs.anthropic.com/en/api/rate-limits, "Response headers"):
/// the <c>tokens-*</c> headers show "the most restrictive limit currently in effect"; without workspace
/// limits "the total tokens remaining, where total is the sum of input and output tokens", so here the
/// limit and remaining are the sums of ITPM and OTPM, and the reset the earlier of the two (a recorded
/// real answer shows 96000 = 80000 + 16000 and the input reset). The reference rounds token
/// <c>remaining</c> values to the nearest thousand; the emulator reports whole tokens, so the small limits
/// tests use stay observable. An unlimited dimension sends no headers.
/// </remarks>
internal static class AnthropicHeaders
{
    /// <summary>Adds the fingerprint (when known) and the rate-limit headers of <paramref name="limits"/>.</summary>
    public static void Add(HttpResponse response, string? fingerprint, RateLimitSnapshot limits, DateTimeOffset now)
    {
        IHeaderDictionary headers = response.Headers;
        if (fingerprint is not null)
        {
            headers[ResponseHeaders.Fingerprint] = fingerprint;
        }

        AddBucket(headers, "requests", limits.Requests, now);
        AddBucket(headers, "input-tokens", limits.InputTokens, now);
        AddBucket(headers, "output-tokens", limits.OutputTokens, now);
        if (limits.InputTokens is not null || limits.OutputTokens is not null)
        {
            BucketState input = limits.InputTokens ?? default;
            BucketState output = limits.OutputTokens ?? default;
            TimeSpan reset = limits.InputTokens is null ? output.Reset
                : limits.OutputTokens is null ? input.Reset
                : input.Reset < output.Reset ? input.Reset : output.Reset;
            AddBucket(headers, "tokens", new BucketState(input.Limit + output.Limit, input.Remaining + output.Remaining, reset), now);
        }
    }

    /// <summary>An instant as Anthropic writes it: RFC 3339, UTC, whole seconds rounded up.</summary>
    public static string Rfc3339(DateTimeOffset instant)
    {
        long ticks = instant.UtcTicks;
        long rounded = ticks % TimeSpan.TicksPerSecond == 0 ? ticks : ticks - (ticks % TimeSpan.TicksPerSecond) + TimeSpan.TicksPerSecond;
        return new DateTimeOffset(rounded, TimeSpan.Zero).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    private static void AddBucket(IHeaderDictionary headers, string dimension, BucketState? bucket, DateTimeOffset now)
    {
        if (bucket is not { } state)
        {
            return;
        }

        string prefix = "anthropic-ratelimit-" + dimension;
        headers[prefix + "-limit"] = state.Limit.ToString(CultureInfo.InvariantCulture);
        headers[prefix + "-remaining"] = state.Remaining.ToString(CultureInfo.InvariantCulture);
        headers[prefix + "-reset"] = Rfc3339(now + state.Reset);
    }
}
