using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Refit;
using TypedBatch.Deferred;
using TypedBatch.Http;
using TypedBatch.Interop;
using TypedBatch.Limits;
using TypedBatch.Providers;
using TypedBatch.Providers.Anthropic;
using TypedBatch.Providers.Azure;
using TypedBatch.Providers.Copilot;
using TypedBatch.Providers.OpenAI;
using TypedBatch.Resilience;

namespace TypedBatch;

/// <summary>
/// Builds a client's providers, one per entry of the chain (the primary first), each with its own
/// <see cref="HttpClient"/> at its real base address and its own handler chain, outermost first:
/// <list type="number">
/// <item><see cref="BaseQueryHandler"/>, when the base URL has a query: that query on the request, once per call;</item>
/// <item><see cref="RateLimitHandlers.Admission"/>: the first attempt's budget, before any timeout starts;</item>
/// <item>the resilience pipeline (<see cref="ProviderPipeline"/>): total timeout, the one retry loop, attempt timeout;</item>
/// <item><see cref="ResponseValidationHandler"/>: every body but a stream (or a Batch API file download's 2xx body) read into memory inside the attempt timeout; a 2xx body cut off mid-stream becomes a retryable failure;</item>
/// <item>the provider's credentials (bearer key, Azure <c>api-key</c> or Entra token, Copilot token and API base);</item>
/// <item><see cref="RateLimitHandlers.Attempt"/>: each retry's budget, and what every answer says about the limits;</item>
/// <item><see cref="FirstByteTimeoutHandler"/>: the response's status and headers within <see cref="TypedBatchOptions.FirstByteTimeout"/>, after any wait at the gate;</item>
/// <item><see cref="RedirectHandler"/>: 307/308 to the same origin followed, every other redirect refused;</item>
/// <item>the transport: <c>IHttpClientFactory</c>'s handler for <see cref="TransportClientName"/>, so handlers added
/// with <c>ConfigureHttpClientDefaults</c> (proxies, recording, telemetry) still apply, over a pooled
/// <see cref="SocketsHttpHandler"/> that never follows redirects itself, without the factory's per-request logging
/// handlers.</item>
/// </list>
/// The chain above the transport is built here rather than as named clients: how many providers there are is known
/// only when the options are, after the factory's names are registered. Each provider but Copilot also gets its Batch
/// API (<see cref="OpenAIBatchApi"/>, Anthropic's <see cref="AnthropicBatchApi"/>) over the same client, whose calls carry no <see cref="CallContext"/> and so pass
/// the rate-limit handlers uncharged.
/// </summary>
internal sealed class ProviderRuntime : IDisposable
{
    /// <summary>Copilot's chat API when no other base is configured; the token exchange usually names the account's own.</summary>
    public static readonly Uri CopilotApiBase = new("https://api.githubcopilot.com");

    private readonly List<IDisposable> _owned = [];
    private readonly HttpMessageHandler _transport;
    private readonly TimeProvider _time;

    /// <summary>The <c>IHttpClientFactory</c> name of the providers' shared transport.</summary>
    public const string TransportClientName = "TypedBatch.Provider";

    public ProviderRuntime(IOptions<TypedBatchOptions> options, IHttpClientFactory httpClientFactory, IHttpMessageHandlerFactory handlerFactory, RateLimitRegistry registry, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _transport = handlerFactory.CreateHandler(TransportClientName);
        Options = options.Value;
        if (Options.Provider == ProviderKind.Anthropic && Options.Model == TypedBatchOptions.DefaultModel)
        {
            Options.Model = TypedBatchOptions.DefaultAnthropicModel; // gpt-4o-mini is no Anthropic model
        }

        Options.Validate();
        _time = time;
        ProviderOptions[] chain = [Options.Primary, .. Options.Fallbacks];
        Redactor = new SecretRedactor(chain.SelectMany(p => new[] { p.ApiKey, p.GitHubToken }).ToArray());
        Prices = Options.PricesFile is { } file ? Options.Prices.Clone().AddJsonFile(file) : Options.Prices;
        ILogger pricingLogger = loggerFactory.CreateLogger("TypedBatch.Pricing");
        EmbeddingGeneratorCalls? embeddings = Options.EmbeddingGenerator is { } generator ? EmbeddingGenerator(generator, registry, new Pricing(Prices, ProviderKind.ChatClient, pricingLogger)) : null;
        IChatProvider[] providers = chain.Select<ProviderOptions, IChatProvider>((p, i) => i == 0 && Options.ChatClient is { } chatClient
            ? ChatClient(chatClient, embeddings, registry, new Pricing(Prices, ProviderKind.ChatClient, pricingLogger))
            : Create(p, httpClientFactory, registry, loggerFactory, new Pricing(Prices, p.Provider, pricingLogger), i == 0 ? embeddings : null)).ToArray();
        Provider = providers.Length == 1
            ? providers[0]
            : new FallbackChatProvider(providers, Options.CircuitBreakFailures, Options.CircuitBreakDuration, time);
    }

    public TypedBatchOptions Options { get; }

    public SecretRedactor Redactor { get; }

    /// <summary>The prices in effect: the options' table, with <see cref="TypedBatchOptions.PricesFile"/> read over a copy of it.</summary>
    public PriceTable Prices { get; }

    /// <summary>The primary provider, or the fallback chain.</summary>
    public IChatProvider Provider { get; }

    public void Dispose()
    {
        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }
    }

    /// <summary>
    /// The provider over an M.E.AI chat client: named, and metered, as the client's metadata names its provider; its
    /// limits are the options' (there are no headers to learn from).
    /// </summary>
    private ChatClientProvider ChatClient(Microsoft.Extensions.AI.IChatClient chatClient, EmbeddingGeneratorCalls? embeddings, RateLimitRegistry registry, Pricing pricing)
    {
        string? described = (chatClient.GetService(typeof(Microsoft.Extensions.AI.ChatClientMetadata)) as Microsoft.Extensions.AI.ChatClientMetadata)?.ProviderName;
        string name = described ?? "chat-client";
        ClientCalls calls = Calls(name, chatClient, registry);
        return new ChatClientProvider(name, described ?? TypedBatchTelemetry.ProviderName(ProviderKind.ChatClient), chatClient, calls, embeddings, pricing, Options, StreamSettings.From(Options, _time));
    }

    private EmbeddingGeneratorCalls EmbeddingGenerator(Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> generator, RateLimitRegistry registry, Pricing pricing)
    {
        string? described = (generator.GetService(typeof(Microsoft.Extensions.AI.EmbeddingGeneratorMetadata)) as Microsoft.Extensions.AI.EmbeddingGeneratorMetadata)?.ProviderName;
        string name = described ?? "embedding-generator";
        return new EmbeddingGeneratorCalls(name, described ?? TypedBatchTelemetry.ProviderName(ProviderKind.ChatClient), generator, Calls(name, generator, registry), pricing);
    }

    /// <summary>The gates, retry loop and timeouts of calls into a client; its limits metered per client instance.</summary>
    private ClientCalls Calls(string name, object client, RateLimitRegistry registry)
    {
        string account = $"client:{name}#{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(client):x8}";
        var limits = new ProviderLimits(registry, account, Options.RequestsPerMinute, Options.TokensPerMinute, Options.MaxRetryAfter);
        return new ClientCalls(name, limits, Options, Options.IsTransientClientError, Redactor, _time);
    }

    private IChatProvider Create(ProviderOptions provider, IHttpClientFactory httpClientFactory, RateLimitRegistry registry, ILoggerFactory loggerFactory, Pricing pricing, EmbeddingGeneratorCalls? embeddings)
    {
        string name = provider.Name ?? provider.DefaultName;
        var limits = new ProviderLimits(registry, AccountKey(provider), provider.RequestsPerMinute, provider.TokensPerMinute, Options.MaxRetryAfter, OpenAIErrors.IsQuotaError);
        var retries = new RetryPolicy(Options.MaxRetryAfter, _time, OpenAIErrors.IsQuotaError);
        ResiliencePipeline<HttpResponseMessage> pipeline = ProviderPipeline.Build(Options, retries, _time);

        // The configured URL's query goes on each request (BaseQueryHandler); the HttpClient's base is its path alone.
        Uri configured = provider.Provider switch
        {
            ProviderKind.GitHubCopilot => provider.BaseUrl ?? CopilotApiBase,
            ProviderKind.AzureOpenAI => provider.BaseUrl!,
            _ => provider.EffectiveBaseUrl,
        };
        Uri root = TrimSlash(new Uri(configured.GetLeftPart(UriPartial.Path)));
        (Uri baseAddress, DelegatingHandler? credentials) = provider.Provider switch
        {
            ProviderKind.GitHubCopilot => (root, (DelegatingHandler?)CopilotCredentials(provider, root, httpClientFactory, loggerFactory)),
            ProviderKind.AzureOpenAI => (Join(root, provider.AzureUseV1Api ? "openai/v1" : "openai"), new AzureAuthHandler(provider.ApiKey, provider.AzureTokenProvider)),
            ProviderKind.Anthropic => (root, new AnthropicAuthHandler(provider.ApiKey)),
            _ => (root, string.IsNullOrEmpty(provider.ApiKey) ? null : new OpenAIAuthHandler(provider.ApiKey)),
        };

        HttpMessageHandler handler = Chain(
            configured.Query.Length > 1 ? new BaseQueryHandler(configured.Query) : null,
            new RateLimitHandlers.Admission(limits),
            new ResilienceHandler(pipeline),
            new ResponseValidationHandler(Options.MaxResponseBytes),
            credentials,
            new RateLimitHandlers.Attempt(limits),
            new FirstByteTimeoutHandler(Options.FirstByteTimeout, _time),
            new RedirectHandler(),
            new TransportHandler(_transport));
        _owned.Add(handler);

        // Refit joins the base address's path and the route, so the base has no trailing slash.
        var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = TrimSlash(baseAddress), Timeout = Timeout.InfiniteTimeSpan };
        _owned.Add(http);
        if (provider.Provider == ProviderKind.Anthropic)
        {
            // Message Batches ride the same client, as OpenAI's Batch API does.
            var messageBatches = new AnthropicBatchApi(name, RestService.ForGenerated<IAnthropicBatchWire>(http, AnthropicBatchJsonContext.Default), http, Redactor);
            return new AnthropicProvider(name, RestService.ForGenerated<IAnthropicApi>(http, AnthropicJsonContext.Wire), Redactor, Options.StructuredOutputs, limits, provider.Model, pricing, Options.RecordContent, StreamSettings.From(Options, _time), messageBatches);
        }

        bool azureClassic = provider.Provider == ProviderKind.AzureOpenAI && !provider.AzureUseV1Api;
        IChatWire wire = azureClassic
            ? new AzureDeploymentRoutes(RestService.ForGenerated<IAzureOpenAIApi>(http, WireJsonContext.Wire), provider.AzureApiVersion)
            : new OpenAIRoutes(RestService.ForGenerated<IOpenAIApi>(http, WireJsonContext.Wire));

        // The Batch API rides the same client (credentials, retries, redirects); Copilot has none.
        IRemoteBatchApi? batches = provider.Provider == ProviderKind.GitHubCopilot
            ? null
            : new OpenAIBatchApi(
                name,
                RestService.ForGenerated<IOpenAIBatchWire>(http, WireJsonContext.Wire),
                azureClassic ? BatchRoutes.AzureClassic(provider.AzureApiVersion) : BatchRoutes.OpenAI,
                http.BaseAddress,
                Redactor);
        return new OpenAICompatibleProvider(name, wire, Redactor, Options.StructuredOutputs, limits, provider.Model, batches, pricing, Options.RecordContent, StreamSettings.From(Options, _time), embeddings);
    }

    private CopilotHandler CopilotCredentials(ProviderOptions provider, Uri defaultBase, IHttpClientFactory httpClientFactory, ILoggerFactory loggerFactory)
    {
        var tokens = new CopilotTokenSource(
            httpClientFactory.CreateClient(Microsoft.Extensions.DependencyInjection.TypedBatchServiceCollectionExtensions.CopilotTokenClientName),
            provider.CopilotTokenUrl, provider.GitHubToken!, Redactor, _time, loggerFactory.CreateLogger<CopilotTokenSource>());
        _owned.Add(tokens);
        return new CopilotHandler(tokens, CopilotHeaders.Default, defaultBase, Redactor);
    }

    /// <summary>
    /// Where a provider's limits are metered: its API (for Copilot, the account's token exchange) and a short,
    /// irreversible tag of its credential, so that two accounts on one endpoint have separate budgets.
    /// </summary>
    private static string AccountKey(ProviderOptions provider) => provider.Provider switch
    {
        ProviderKind.GitHubCopilot => provider.CopilotTokenUrl.AbsoluteUri + "#account-" + CredentialTag(provider.GitHubToken),
        ProviderKind.AzureOpenAI => TrimSlash(provider.BaseUrl!).AbsoluteUri + "#account-" + (provider.AzureTokenProvider is null ? CredentialTag(provider.ApiKey) : "entra"),
        _ => TrimSlash(provider.EffectiveBaseUrl).AbsoluteUri + "#account-" + CredentialTag(provider.ApiKey),
    };

    private static string CredentialTag(string? secret)
        => string.IsNullOrEmpty(secret) ? "anonymous" : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)), 0, 6);

    private static Uri Join(Uri root, string path) => new(root.AbsoluteUri.TrimEnd('/') + "/" + path);

    private static Uri TrimSlash(Uri uri) => uri.AbsolutePath.Length > 1 && uri.AbsolutePath.EndsWith('/') ? new Uri(uri.AbsoluteUri.TrimEnd('/')) : uri;

    /// <summary>
    /// The bottom of a provider's chain: sends through the factory's pooled transport, which the factory owns, so
    /// disposing the provider's chain does not dispose it.
    /// </summary>
    private sealed class TransportHandler(HttpMessageHandler transport) : HttpMessageHandler
    {
        private readonly HttpMessageInvoker _invoker = new(transport, disposeHandler: false);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            => _invoker.SendAsync(request, cancellationToken);
    }

    private static HttpMessageHandler Chain(params HttpMessageHandler?[] handlers)
    {
        HttpMessageHandler inner = handlers[^1]!;
        for (int i = handlers.Length - 2; i >= 0; i--)
        {
            if (handlers[i] is DelegatingHandler outer)
            {
                outer.InnerHandler = inner;
                inner = outer;
            }
        }

        return inner;
    }
}
