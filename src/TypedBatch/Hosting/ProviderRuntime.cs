using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TypedBatch.Providers;
using TypedBatch.Providers.Copilot;

namespace TypedBatch;

/// <summary>
/// The per-client pieces the HTTP pipeline and the provider share: the provider's name, the secret redactor,
/// the rate-limit observer, the request-rate gate and, for Copilot, the token source.
/// </summary>
internal sealed class ProviderRuntime : IDisposable
{
    private readonly Lazy<CopilotTokenSource>? _copilotTokens;

    public ProviderRuntime(IOptions<TypedBatchOptions> options, IHttpClientFactory httpClientFactory, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Options = options.Value;
        Options.Validate();
        Redactor = new SecretRedactor(Options.ApiKey, Options.GitHubToken);
        Name = Options.Provider switch
        {
            ProviderKind.OpenAI => "openai",
            ProviderKind.GitHubCopilot => CopilotTokenSource.CopilotProviderName,
            _ => "openai-compatible",
        };
        RateGate = Options.EffectiveRequestsPerMinute is { } rpm ? new RequestRateGate(rpm, time) : null;
        RefitBaseAddress = Options.Provider == ProviderKind.GitHubCopilot && Options.BaseUrl is null
            ? CopilotHeaders.PlaceholderBase
            : Normalize(Options.EffectiveBaseUrl);
        if (Options.Provider == ProviderKind.GitHubCopilot)
        {
            _copilotTokens = new Lazy<CopilotTokenSource>(() => new CopilotTokenSource(
                httpClientFactory.CreateClient(TypedBatchServiceCollectionExtensions.CopilotTokenClientName),
                Options.CopilotTokenUrl, Options.GitHubToken!, Redactor, time, loggerFactory.CreateLogger<CopilotTokenSource>()));
        }
    }

    public TypedBatchOptions Options { get; }

    public string Name { get; }

    public SecretRedactor Redactor { get; }

    public RateLimitObserver Observer { get; } = new();

    public RequestRateGate? RateGate { get; }

    /// <summary>Refit joins base path and route by concatenation, so the base must not end with a slash.</summary>
    public Uri RefitBaseAddress { get; }

    public DelegatingHandler CreateRateGateHandler() => RateGate is null ? new PassThroughHandler() : new RequestRateGateHandler(RateGate);

    public DelegatingHandler CreateAuthHandler() => _copilotTokens is null
        ? new BearerAuthHandler(Options.ApiKey)
        : new CopilotAuthHandler(_copilotTokens.Value, new CopilotHeaders("vscode-chat", "vscode/1.99.0", "copilot-chat/0.26.0", "GitHubCopilotChat/0.26.0"));

    public void Dispose()
    {
        if (_copilotTokens is { IsValueCreated: true })
        {
            _copilotTokens.Value.Dispose();
        }
    }

    private static Uri Normalize(Uri baseUrl) => new(baseUrl.AbsoluteUri.TrimEnd('/'));

    private sealed class PassThroughHandler : DelegatingHandler;
}
