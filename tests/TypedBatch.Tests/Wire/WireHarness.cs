using Refit;
using TypedBatch.Limits;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Tests.Wire;

/// <summary>
/// The real client stack (Refit's generated <see cref="IOpenAIApi"/>, the source-generated JSON context, the
/// rate-limit attempt handler and <see cref="OpenAICompatibleProvider"/>) talking to a <see cref="RecordingHandler"/>.
/// </summary>
internal sealed class WireHarness : IDisposable
{
    public const string ApiKey = "sk-wire-test-key-0123456789";

    private readonly HttpClient _http;

    public WireHarness(RecordedExchange exchange, string apiKey = ApiKey)
    {
        Server = new RecordingHandler(exchange);
        var limits = new ProviderLimits(new RateLimitRegistry(TimeProvider.System), "wire-test#" + Guid.NewGuid().ToString("N"), null, null, TimeSpan.FromSeconds(60));
        Limits = limits;
        _http = new HttpClient(new RateLimitHandlers.Attempt(limits) { InnerHandler = new LatestRateLimitHandler(this) { InnerHandler = Server } })
        {
            // As in ProviderRuntime: the real base address, no trailing slash; Refit appends the route.
            BaseAddress = new Uri("https://api.openai.com/v1"),
        };
        Provider = new OpenAICompatibleProvider("openai", RestService.ForGenerated<IOpenAIApi>(_http, WireJsonContext.Wire), new SecretRedactor(apiKey));
    }

    public RecordingHandler Server { get; }

    /// <summary>The limits the production handler learned from the recorded answers.</summary>
    public ProviderLimits Limits { get; }

    /// <summary>The last response's rate-limit headers, as the production parser reads them.</summary>
    public RateLimitInfo? LatestRateLimit { get; private set; }

    public OpenAICompatibleProvider Provider { get; }

    public static ChatRequest Chat(string model, params PromptMessage[] messages)
        => new(messages, new CompletionSettings { Model = model });

    public void Dispose() => _http.Dispose();

    private sealed class LatestRateLimitHandler(WireHarness harness) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            harness.LatestRateLimit = RateLimitInfo.FromHeaders(response.Headers);
            return response;
        }
    }
}
