using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;

namespace TypedBatch.Emulator;

/// <summary>The last <see cref="Capacity"/> requests received, for <see cref="EmulatorServer.CapturedRequests"/>.</summary>
internal sealed class RequestCapture
{
    /// <summary>How many requests are kept; older ones are dropped first.</summary>
    public const int Capacity = 10_000;

    // Headers that carry secrets; their values are masked unless a test opts in.
    private static readonly FrozenSet<string> CredentialHeaders = FrozenSet.ToFrozenSet(
        ["Authorization", "Proxy-Authorization", "api-key", "x-api-key", "Cookie", "x-goog-api-key"], StringComparer.OrdinalIgnoreCase);

    private readonly ConcurrentQueue<CapturedRequest> _requests = new();
    private long _sequence;

    /// <summary>A snapshot, oldest first.</summary>
    public IReadOnlyList<CapturedRequest> Snapshot() => _requests.ToArray();

    /// <summary>Forgets every captured request.</summary>
    public void Clear() => _requests.Clear();

    /// <summary>
    /// Records <paramref name="context"/>'s request, reading its body whole and putting it back as a
    /// fresh stream so the endpoint reads the same bytes.
    /// </summary>
    public async Task CaptureAsync(HttpContext context, bool secondaryOrigin, bool keepCredentials)
    {
        HttpRequest request = context.Request;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, context.RequestAborted);
        byte[] body = buffer.ToArray();
        request.Body = new MemoryStream(body, writable: false);

        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach ((string name, StringValues values) in request.Headers)
        {
            headers[name] = !keepCredentials && CredentialHeaders.Contains(name) ? EmulatorOptions.CapturedCredentialMask : string.Join(", ", values.ToArray());
        }

        _requests.Enqueue(new CapturedRequest(
            Interlocked.Increment(ref _sequence), request.Method, request.Path.Value + request.QueryString.Value, headers, body, secondaryOrigin));
        while (_requests.Count > Capacity)
        {
            _requests.TryDequeue(out _);
        }
    }
}
