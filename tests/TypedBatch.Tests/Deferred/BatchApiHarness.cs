using System.Net;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;
using TypedBatch.Deferred;
using TypedBatch.Http;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Tests.Deferred;

/// <summary>What the stub server received: as the transport saw it, after every handler of the provider's chain.</summary>
internal sealed record ReceivedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string[]> Headers, byte[] Body, bool HasCallContext)
{
    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out string[]? values) ? string.Join(",", values) : null;

    /// <summary>The multipart parts by name, parsed from the bytes sent, as a server parses them.</summary>
    public async Task<Dictionary<string, (string? FileName, string? ContentType, byte[] Body)>> PartsAsync()
    {
        string boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(Header("Content-Type")).Boundary).Value!;
        var reader = new MultipartReader(boundary, new MemoryStream(Body));
        var parts = new Dictionary<string, (string?, string?, byte[])>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            var disposition = ContentDispositionHeaderValue.Parse(section.ContentDisposition);
            using var body = new MemoryStream();
            await section.Body.CopyToAsync(body);
            parts[HeaderUtilities.RemoveQuotes(disposition.Name).Value!] = (HeaderUtilities.RemoveQuotes(disposition.FileName).Value, section.ContentType, body.ToArray());
        }

        return parts;
    }
}

/// <summary>
/// A client's real provider runtime (its handler chain, credentials, retries, response validation, Refit and the JSON
/// context) whose transport is a scripted server, so each test sees what the Batch API client put on the wire and
/// how it reads answers it cannot get from the emulator.
/// </summary>
internal sealed class BatchApiHarness : IDisposable
{
    public const string ApiKey = "sk-batch-test-key-0123456789";

    private readonly ServiceProvider _services;
    private readonly List<ReceivedRequest> _requests = [];

    public BatchApiHarness(Func<ReceivedRequest, HttpResponseMessage> answer, Action<TypedBatchOptions>? configure = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.OpenAI;
            o.ApiKey = ApiKey;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(1);
            configure?.Invoke(o);
        });
        services.AddHttpClient(ProviderRuntime.TransportClientName).ConfigurePrimaryHttpMessageHandler(() => new StubServer(this, answer));
        _services = services.BuildServiceProvider();
        Runtime = _services.GetRequiredService<ProviderRuntime>();
    }

    public ProviderRuntime Runtime { get; }

    /// <summary>The primary provider's Batch API.</summary>
    public IRemoteBatchApi Api => ((OpenAICompatibleProvider)Runtime.Provider).Batches ?? throw new InvalidOperationException("The provider has no Batch API.");

    public IReadOnlyList<ReceivedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach ((string name, string value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    public static HttpResponseMessage Ok(string json) => Json(HttpStatusCode.OK, json);

    public void Dispose() => _services.Dispose();

    private sealed class StubServer(BatchApiHarness harness, Func<ReceivedRequest, HttpResponseMessage> answer) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Reading the content serializes it as the real transport would, every attempt anew.
            byte[] body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
            foreach (KeyValuePair<string, IEnumerable<string>> header in request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>()))
            {
                headers[header.Key] = header.Value.ToArray();
            }

            var received = new ReceivedRequest(request.Method, request.RequestUri!, headers, body, CallContext.Of(request) is not null);
            lock (harness._requests)
            {
                harness._requests.Add(received);
            }

            HttpResponseMessage response = answer(received);
            response.RequestMessage = request;
            return response;
        }
    }
}
