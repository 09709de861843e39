using System.Net;
using System.Text;

namespace TypedBatch.Tests.Wire;

/// <summary>
/// Stands in for the server: answers every request with the recorded status, headers and body, and keeps what it
/// received so tests can check what our client sent.
/// </summary>
internal sealed class RecordingHandler(RecordedExchange exchange) : HttpMessageHandler
{
    // The recorded values describe the original chunked or fixed-length transfer, not the body we serve.
    private static readonly HashSet<string> TransferHeaders = new(StringComparer.OrdinalIgnoreCase) { "Transfer-Encoding", "Content-Length" };

    private readonly List<CapturedRequest> _requests = [];

    public IReadOnlyList<CapturedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    public CapturedRequest LastRequest => Requests is { Count: > 0 } requests
        ? requests[^1]
        : throw new InvalidOperationException("No request reached the server.");

    /// <summary>Builds the recorded response: content headers on the content, the others on the response.</summary>
    public static HttpResponseMessage CreateResponse(RecordedExchange exchange)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(exchange.ResponseBodyText));
        var response = new HttpResponseMessage((HttpStatusCode)exchange.StatusCode) { Content = content };
        foreach ((string name, string[] values) in exchange.ResponseHeaders)
        {
            if (TransferHeaders.Contains(name))
            {
                continue;
            }

            // HttpResponseHeaders refuses content headers (Content-Type, …), so they go on the content.
            if (!response.Headers.TryAddWithoutValidation(name, values) && !content.Headers.TryAddWithoutValidation(name, values))
            {
                throw new InvalidOperationException($"The recorded header {name} fits neither the response nor its content.");
            }
        }

        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, IEnumerable<string>> header in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
        {
            headers[header.Key] = header.Value.ToArray();
        }

        lock (_requests)
        {
            _requests.Add(new CapturedRequest(request.Method, request.RequestUri, headers, body));
        }

        HttpResponseMessage response = CreateResponse(exchange);
        response.RequestMessage = request;
        return response;
    }
}
