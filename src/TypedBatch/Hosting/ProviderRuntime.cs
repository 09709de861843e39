using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TypedBatch.Providers;
using TypedBatch.Providers.Azure;
using TypedBatch.Providers.Copilot;

namespace TypedBatch;

/// <summary>
/// What a client's HTTP pipeline and providers share: the options, the retry rules, the secret redactor, the
/// rate-limit observer, and one <see cref="ProviderEndpoint"/> per provider of the chain (the primary first).
/// </summary>
internal sealed class ProviderRuntime : IDisposable
{
    private readonly List<CopilotTokenSource> _tokenSources = [];
    private readonly TimeProvider _time;

    public ProviderRuntime(IOptions<TypedBatchOptions> options, IHttpClientFactory httpClientFactory, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Options = options.Value;
        Options.Validate();
        _time = time;
        ProviderOptions[] chain = [Options.Primary, .. Options.Fallbacks];
        Redactor = new SecretRedactor(chain.SelectMany(p => new[] { p.ApiKey, p.GitHubToken }).ToArray());
        RetryPolicy = new Resilience.RetryPolicy(Options.MaxRetryAfter, time);
        Providers = chain.Select(p => new ProviderEntry(p, CreateEndpoint(p, httpClientFactory, loggerFactory), this)).ToArray();
    }

    public TypedBatchOptions Options { get; }

    public SecretRedactor Redactor { get; }

    public RateLimitObserver Observer { get; } = new();

    public Resilience.RetryPolicy RetryPolicy { get; }

    /// <summary>The providers in fallback order.</summary>
    public IReadOnlyList<ProviderEntry> Providers { get; }

    public void Dispose()
    {
        foreach (CopilotTokenSource source in _tokenSources)
        {
            source.Dispose();
        }
    }

    private ProviderEndpoint CreateEndpoint(ProviderOptions provider, IHttpClientFactory httpClientFactory, ILoggerFactory loggerFactory)
    {
        switch (provider.Provider)
        {
            case ProviderKind.GitHubCopilot:
                var tokens = new CopilotTokenSource(
                    httpClientFactory.CreateClient(TypedBatchServiceCollectionExtensions.CopilotTokenClientName),
                    provider.CopilotTokenUrl, provider.GitHubToken!, Redactor, _time, loggerFactory.CreateLogger<CopilotTokenSource>());
                _tokenSources.Add(tokens);
                return new CopilotEndpoint(tokens, CopilotHeaders.Default, provider.CopilotTokenUrl, provider.GitHubToken!);
            case ProviderKind.AzureOpenAI:
                return new AzureOpenAIEndpoint(provider.BaseUrl!, provider.AzureApiVersion, provider.AzureUseV1Api, provider.ApiKey, provider.AzureTokenProvider);
            default:
                return new OpenAIEndpoint(provider.DefaultName, provider.EffectiveBaseUrl, provider.ApiKey);
        }
    }

    /// <summary>One provider of the chain: its endpoint, its model override and its rate-limit gates.</summary>
    internal sealed class ProviderEntry(ProviderOptions options, ProviderEndpoint endpoint, ProviderRuntime runtime)
    {
        private readonly ConcurrentDictionary<string, RateLimitGate> _gates = new();

        public string Name { get; } = options.Name ?? endpoint.Name;

        public ProviderEndpoint Endpoint { get; } = endpoint;

        public string? Model { get; } = options.Model;

        /// <summary>
        /// The process-wide gate of this endpoint and a model, with the configured limits applied once; limits that
        /// are not configured are learned from the server's headers.
        /// </summary>
        public RateLimitGate GateFor(string model)
            => _gates.GetOrAdd(model, static (m, entry) =>
            {
                RateLimitGate gate = RateLimitGates.For(entry.Endpoint.MeteringKey, m, entry._runtime._time);
                gate.Configure(entry._options.RequestsPerMinute, entry._options.TokensPerMinute);
                return gate;
            }, this);

        private readonly ProviderOptions _options = options;
        private readonly ProviderRuntime _runtime = runtime;
    }
}
