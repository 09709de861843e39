using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace TypedBatch.Emulator;

/// <summary>The headers the real service puts on every chat and embeddings answer.</summary>
internal static class ResponseHeaders
{
    /// <summary>The header that carries the <see cref="RequestFingerprint"/> of the request.</summary>
    public const string Fingerprint = "x-emulator-fingerprint";

    // No limit is enforced yet, so the limits are large constants that never run out.
    private static readonly StringValues Limit = "1000000";
    private static readonly StringValues Remaining = "999999";
    private static readonly StringValues Reset = "0s";

    /// <summary>Adds the rate-limit headers, the fingerprint when known and <c>openai-processing-ms</c>.</summary>
    /// <param name="response">The answer, before its body is written.</param>
    /// <param name="fingerprint">The request's fingerprint, or <see langword="null"/> for an invalid request.</param>
    /// <param name="startTimestamp">The <see cref="Stopwatch"/> timestamp at which the request arrived.</param>
    public static void Add(HttpResponse response, string? fingerprint, long startTimestamp)
    {
        var headers = response.Headers;
        if (fingerprint is not null)
        {
            headers[Fingerprint] = fingerprint;
        }

        headers["x-ratelimit-limit-requests"] = Limit;
        headers["x-ratelimit-remaining-requests"] = Remaining;
        headers["x-ratelimit-reset-requests"] = Reset;
        headers["x-ratelimit-limit-tokens"] = Limit;
        headers["x-ratelimit-remaining-tokens"] = Remaining;
        headers["x-ratelimit-reset-tokens"] = Reset;
        var elapsed = (long)Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        headers["openai-processing-ms"] = elapsed.ToString(CultureInfo.InvariantCulture);
    }
}
