namespace TypedBatch;

/// <summary>
/// One provider of a fallback chain (<see cref="TypedBatchOptions.Fallbacks"/>): which service, where, and with which
/// credentials. <see cref="ToString"/> never shows secrets.
/// </summary>
public sealed class ProviderOptions
{
    /// <summary>The name in logs and results; defaults to the provider kind's name.</summary>
    public string? Name { get; set; }

    /// <summary>Which service.</summary>
    public ProviderKind Provider { get; set; } = ProviderKind.OpenAICompatible;

    /// <summary>The API key. Secret.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The base URL (for Azure OpenAI, the resource endpoint such as <c>https://my.openai.azure.com</c>).</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The GitHub token, for Copilot. Secret.</summary>
    public string? GitHubToken { get; set; }

    /// <summary>The Copilot token exchange URL.</summary>
    public Uri CopilotTokenUrl { get; set; } = KnownEndpoints.CopilotTokenExchange;

    /// <summary>
    /// The model (for Azure classic deployments, the deployment name) requests use on this provider, whatever the
    /// request asked for; <see langword="null"/> keeps the request's model.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>Requests per minute for this provider; learned from its headers when not set.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Tokens per minute for this provider; learned from its headers when not set.</summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>Azure OpenAI <c>api-version</c> for classic deployment URLs.</summary>
    public string AzureApiVersion { get; set; } = "2024-10-21";

    /// <summary>Use Azure's <c>/openai/v1/</c> API (deployment as <c>model</c>) instead of classic deployment URLs.</summary>
    public bool AzureUseV1Api { get; set; }

    /// <summary>Supplies a Microsoft Entra ID bearer token for Azure OpenAI instead of an API key (set in code).</summary>
    public Func<CancellationToken, ValueTask<string>>? AzureTokenProvider { get; set; }

    /// <summary>The base URL in effect.</summary>
    public Uri EffectiveBaseUrl => Provider switch
    {
        ProviderKind.OpenAI => BaseUrl ?? KnownEndpoints.OpenAI,
        ProviderKind.GitHubCopilot => BaseUrl ?? new Uri("https://api.githubcopilot.com"),
        ProviderKind.Anthropic => BaseUrl ?? KnownEndpoints.Anthropic,
        ProviderKind.ChatClient => BaseUrl ?? throw new InvalidOperationException($"{Describe()}: an IChatClient provider has no base URL of TypedBatch's; its client knows where it sends."),
        _ => BaseUrl ?? throw new InvalidOperationException($"{Describe()}: BaseUrl is required."),
    };

    /// <summary>Throws when the provider cannot work, naming what to set.</summary>
    /// <param name="path">Where these options sit, for the message.</param>
    public void Validate(string path = "TypedBatchOptions")
    {
        if (Problem(path) is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
    }

    /// <summary>What makes the provider unusable, or <see langword="null"/>.</summary>
    internal string? Problem(string path)
    {
        string? problem = Provider switch
        {
            ProviderKind.OpenAI when string.IsNullOrEmpty(ApiKey) => "ApiKey is required for the OpenAI provider (environment: OPENAI_API_KEY)",
            ProviderKind.Anthropic when string.IsNullOrEmpty(ApiKey) && BaseUrl is null => "ApiKey is required for the Anthropic provider (environment: ANTHROPIC_API_KEY)",
            ProviderKind.OpenAICompatible when BaseUrl is null => "BaseUrl is required for an OpenAI-compatible provider (environment: OPENAI_BASE_URL), e.g. http://localhost:11434/v1 for Ollama",
            ProviderKind.GitHubCopilot when string.IsNullOrEmpty(GitHubToken) => "GitHubToken is required for the GitHub Copilot provider (environment: GITHUB_TOKEN)",
            ProviderKind.AzureOpenAI when BaseUrl is null => "BaseUrl (the resource endpoint, environment: AZURE_OPENAI_ENDPOINT) is required for Azure OpenAI",
            ProviderKind.AzureOpenAI when string.IsNullOrEmpty(ApiKey) && AzureTokenProvider is null => "ApiKey (environment: AZURE_OPENAI_API_KEY) or AzureTokenProvider is required for Azure OpenAI",
            < ProviderKind.OpenAI or > ProviderKind.ChatClient => $"Provider has an unknown value {(int)Provider}",
            _ => null,
        };
        if (problem is null && BaseUrl is { IsAbsoluteUri: false } or { Scheme: not ("http" or "https") })
        {
            problem = $"BaseUrl must be an absolute http or https URL; got '{BaseUrl}'";
        }

        if (problem is null && (RequestsPerMinute is < 1 || TokensPerMinute is < 1))
        {
            problem = "RequestsPerMinute and TokensPerMinute must be at least 1 when set";
        }

        if (problem is null && BaseUrl is { Fragment.Length: > 0 })
        {
            problem = $"BaseUrl must not have a fragment ('{BaseUrl.Fragment}'); a fragment is never sent to the server";
        }

        return problem is null ? null : $"{path}: {problem}.";
    }

    /// <summary>Describes the provider with secrets masked.</summary>
    public override string ToString()
        => $"ProviderOptions {{ Name = {Name}, Provider = {Provider}, BaseUrl = {BaseUrl}, Model = {Model}, ApiKey = {(ApiKey is null ? "(none)" : "***")}, GitHubToken = {(GitHubToken is null ? "(none)" : "***")} }}";

    internal string DefaultName => Name ?? Provider switch
    {
        ProviderKind.OpenAI => "openai",
        ProviderKind.GitHubCopilot => "github-copilot",
        ProviderKind.AzureOpenAI => "azure-openai",
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.ChatClient => "chat-client",
        _ => "openai-compatible",
    };

    private string Describe() => Name ?? Provider.ToString();
}
