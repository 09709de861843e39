using System.Diagnostics;
using System.Globalization;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>The headers the real service puts on every chat and embeddings answer.</summary>
internal static class ResponseHeaders
{
    /// <summary>The header that carries the <see cref="RequestFingerprint"/> of the request.</summary>
    public const string Fingerprint = "x-emulator-fingerprint";


    /// <summary>Adds the rate-limit headers, the fingerprint when known and <c>openai-processing-ms</c>.</summary>
    /// <param name="response">The answer, before its body is written.</param>
    /// <param name="fingerprint">The request's fingerprint, or <see langword="null"/> for an invalid request.</param>
    /// <param name="startTimestamp">The <see cref="Stopwatch"/> timestamp at which the request arrived.</param>
    /// <param name="limits">The rate-limit state to report (after this request when it passed the limiter).</param>
    public static void Add(HttpResponse response, string? fingerprint, long startTimestamp, RateLimitSnapshot limits)
    {
        IHeaderDictionary headers = response.Headers;
        if (fingerprint is not null)
        {
            headers[Fingerprint] = fingerprint;
        }

        AddBucket(headers, "requests", limits.Requests);
        AddBucket(headers, "tokens", limits.Tokens);
        long elapsed = (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        headers["openai-processing-ms"] = elapsed.ToString(CultureInfo.InvariantCulture);
    }

    private static void AddBucket(IHeaderDictionary headers, string dimension, BucketState? bucket)
    {
        // An unlimited dimension sends no headers, like local servers: a made-up limit would be obeyed by clients.
        if (bucket is not { } state)
        {
            return;
        }

        headers["x-ratelimit-limit-" + dimension] = state.Limit.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-remaining-" + dimension] = state.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["x-ratelimit-reset-" + dimension] = GoDuration.Format(state.Reset);
    }
}
