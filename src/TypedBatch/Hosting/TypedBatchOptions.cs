using System.Globalization;

namespace TypedBatch;

/// <summary>
/// Client configuration: the provider, its credentials, defaults for requests and how the HTTP pipeline behaves.
/// Bound from the <c>TypedBatch</c> configuration section, or read from environment variables by
/// <see cref="FromEnvironment"/>. <see cref="ToString"/> never shows secrets.
/// </summary>
public sealed class TypedBatchOptions
{
    /// <summary>The configuration section the <c>IConfiguration</c> overload binds.</summary>
    public const string SectionName = "TypedBatch";

    /// <summary>The model used when none is given: <c>gpt-4o-mini</c>, as in the original design.</summary>
    public const string DefaultModel = "gpt-4o-mini";

    /// <summary>
    /// The model used with <see cref="ProviderKind.Anthropic"/> when none is given: <c>claude-haiku-4-5</c>, the small,
    /// fast model, as <see cref="DefaultModel"/> is for OpenAI.
    /// </summary>
    public const string DefaultAnthropicModel = "claude-haiku-4-5";

    /// <summary>Copilot's unpublished limit, kept conservative as the original design did.</summary>
    public const int DefaultCopilotRequestsPerMinute = 60;

    /// <summary>Which service to call.</summary>
    public ProviderKind Provider { get; set; } = ProviderKind.OpenAI;

    /// <summary>The API key (OpenAI, or an OpenAI-compatible server that wants one). Secret.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The API base URL; defaults to <see cref="KnownEndpoints.OpenAI"/> for OpenAI. Required for OpenAI-compatible servers.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>The GitHub token exchanged for Copilot tokens. Secret.</summary>
    public string? GitHubToken { get; set; }

    /// <summary>Where the Copilot token exchange lives; override only for tests or proxies.</summary>
    public Uri CopilotTokenUrl { get; set; } = KnownEndpoints.CopilotTokenExchange;

    /// <summary>Azure OpenAI <c>api-version</c> for classic deployment URLs.</summary>
    public string AzureApiVersion { get; set; } = "2024-10-21";

    /// <summary>Use Azure's <c>/openai/v1/</c> API instead of classic deployment URLs.</summary>
    public bool AzureUseV1Api { get; set; }

    /// <summary>Supplies a Microsoft Entra ID bearer token for Azure OpenAI instead of an API key (set in code).</summary>
    public Func<CancellationToken, ValueTask<string>>? AzureTokenProvider { get; set; }

    /// <summary>
    /// Providers to move an item to, in order, when its call fails on the provider before with a retryable error, a
    /// timeout or a transport failure after all its retries. A provider that keeps failing is skipped for
    /// <see cref="CircuitBreakDuration"/> after <see cref="CircuitBreakFailures"/> failures in a row.
    /// </summary>
    public List<ProviderOptions> Fallbacks { get; set; } = [];

    /// <summary>Failures in a row after which a provider of a fallback chain is skipped for a while.</summary>
    public int CircuitBreakFailures { get; set; } = 5;

    /// <summary>How long a provider that tripped its breaker is skipped before one trial request.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The default chat model.</summary>
    public string Model { get; set; } = DefaultModel;

    /// <summary>The default embedding model.</summary>
    public string EmbeddingModel { get; set; } = DefaultEmbeddingModel;

    /// <summary>The embedding model used when none is given.</summary>
    private const string DefaultEmbeddingModel = "text-embedding-3-small";

    /// <summary>Default most requests in flight per batch.</summary>
    public int MaxConcurrency { get; set; } = 10;

    /// <summary>
    /// Requests per minute allowed to this provider and model, shared by every batch in the process; every HTTP attempt
    /// counts. <see langword="null"/> means learned from the server's <c>x-ratelimit-limit-requests</c> header, except
    /// for Copilot, which sends none and defaults to <see cref="DefaultCopilotRequestsPerMinute"/>.
    /// </summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>
    /// Tokens per minute allowed to this provider and model (prompt estimate plus requested maximum output per
    /// attempt); <see langword="null"/> means learned from the server's <c>x-ratelimit-limit-tokens</c> header, if it sends one.
    /// </summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>
    /// Retries after the first attempt, for 408, 409, 429 (rate limits, not quota), 500, 502, 503, 504, 529 (Anthropic overloaded), timeouts,
    /// transport errors and cut-off bodies.
    /// </summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// The longest server-requested wait (<c>Retry-After</c>, <c>retry-after-ms</c>) that is honoured; a longer one fails
    /// the call at once with a clear error instead of hanging the batch.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Base delay of the exponential backoff (jittered); a server's <c>Retry-After</c> wins.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Limit on one HTTP attempt. Sized for LLM completions, which can take minutes, not the 10 s HTTP default.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>Limit on one call, all attempts and backoff included.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// For streamed calls, the limit on the wait for the response's first byte (its status and headers), per attempt: a
    /// streaming server starts its response before it writes the answer, so one that accepted the request and says
    /// nothing is given up on then, and the attempt is retried like any timeout (2 minutes, for models that think before
    /// their first token; <see cref="Timeout.InfiniteTimeSpan"/> leaves only <see cref="AttemptTimeout"/>). A whole
    /// answer's headers come only when it is written, so other calls are bounded by <see cref="AttemptTimeout"/> alone.
    /// Within a batch, hedging (<see cref="BatchOptions.Hedging"/>) acts much sooner on a request that hangs.
    /// </summary>
    public TimeSpan FirstByteTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// For streamed answers: the longest wait for the next bytes of the stream once it began. A reasoning model can
    /// think for a while between chunks, so this is generous (2 minutes; <see cref="Timeout.InfiniteTimeSpan"/> for no
    /// limit). A stream that falls silent before its first update is retried; one that falls silent later fails the
    /// call, since part of the answer was already handed out.
    /// </summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How typed results ask for JSON: <see cref="StructuredOutputMode.JsonSchema"/> (strict <c>json_schema</c>), or for
    /// servers without it <see cref="StructuredOutputMode.JsonObjectWithSchemaInPrompt"/>.
    /// </summary>
    public StructuredOutputMode StructuredOutputs { get; set; } = StructuredOutputMode.JsonSchema;

    /// <summary>Most inputs per embeddings request (OpenAI accepts 2,048).</summary>
    public int EmbeddingInputsPerRequest { get; set; } = 2048;

    /// <summary>Estimated tokens per embeddings request (OpenAI accepts 300,000); inputs are packed below this.</summary>
    public int EmbeddingTokensPerRequest { get; set; } = 250_000;

    /// <summary>The default of <see cref="MaxResponseBytes"/>: 32 MiB.</summary>
    public const long DefaultMaxResponseBytes = 32 * 1024 * 1024;

    /// <summary>
    /// Largest response body read, in bytes (at least 1,024, at most <see cref="Array.MaxLength"/>). A larger body (by its <c>Content-Length</c>, or once that
    /// much has arrived) is read no further and fails its call, without retries: a server that answers gigabytes
    /// cannot exhaust the process's memory. Batch API result files are streamed, not held, and are not limited by it.
    /// </summary>
    public long MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;

    /// <summary>
    /// Prices by model, for <see cref="BatchItem{T}.Cost"/>, <see cref="BatchResult{T}.Cost"/> and
    /// budgets: the built-in, dated prices of the common OpenAI and Azure OpenAI models, which
    /// <see cref="PriceTable.Set"/>, <see cref="PricesFile"/> and the <c>TypedBatch:Prices</c> configuration section
    /// override and extend.
    /// </summary>
    public PriceTable Prices { get; set; } = new();

    /// <summary>A JSON file of prices (the format of <see cref="PriceTable.AddJson"/>) read over <see cref="Prices"/> when the client is built.</summary>
    public string? PricesFile { get; set; }

    /// <summary>
    /// Whether the provider-call spans carry the prompt and the answer (<c>gen_ai.input.messages</c>,
    /// <c>gen_ai.output.messages</c>). Off by default: prompts and answers may hold personal or secret data.
    /// </summary>
    public bool RecordContent { get; set; }

    /// <summary>
    /// The Microsoft.Extensions.AI chat client chat requests go to, set with <see cref="UseChatClient"/>;
    /// <see langword="null"/> for TypedBatch's own HTTP providers.
    /// </summary>
    // Fields, not properties: the configuration binder's source generator would try to bind an interface.
    internal Microsoft.Extensions.AI.IChatClient? ChatClient;

    /// <summary>
    /// The Microsoft.Extensions.AI embedding generator embeddings go to, set with <see cref="UseEmbeddingGenerator"/>;
    /// <see langword="null"/> for the provider's own embeddings API.
    /// </summary>
    internal Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>? EmbeddingGenerator;

    /// <summary>
    /// Which exceptions of a <see cref="ChatClient"/> or <see cref="EmbeddingGenerator"/> are transient, and so retried
    /// by TypedBatch's one retry loop (up to <see cref="MaxRetries"/>, with backoff). <see langword="null"/> means the
    /// default rule: an <see cref="HttpRequestException"/> with status 408, 409, 429, 500, 502, 503 or 504, or with none
    /// (the connection failed), a <see cref="TimeoutException"/> or an <see cref="IOException"/>, anywhere in the chain;
    /// an attempt that outlives <see cref="AttemptTimeout"/> is always retried. A client with retries of its own (the
    /// OpenAI and Azure SDKs retry three times) throws its own exception types after them, which the default rule does
    /// not retry again: one loop, the client's. To make TypedBatch's the one loop (its backoff shares the batch's rate
    /// gate and adaptive concurrency), turn the client's retries off and say here what is transient.
    /// </summary>
    public Func<Exception, bool>? IsTransientClientError { get; set; }

    /// <summary>
    /// Sends chat requests to a Microsoft.Extensions.AI <see cref="Microsoft.Extensions.AI.IChatClient"/> (Ollama through
    /// OllamaSharp, Azure AI Inference, Anthropic's SDK, a test double) instead of TypedBatch's own HTTP providers:
    /// sets <see cref="Provider"/> to <see cref="ProviderKind.ChatClient"/>. Generated methods, typed results (a strict
    /// schema through <c>ChatResponseFormat.ForJsonSchema</c>), the batch runner, adaptive concurrency, retries of
    /// transient failures (<see cref="IsTransientClientError"/>), per-item errors, the journal and cost work over it; its
    /// limits are <see cref="RequestsPerMinute"/> and <see cref="TokensPerMinute"/> (there are no headers to learn
    /// from), its usage the answers' <c>UsageDetails</c>, its prices by model from <see cref="Prices"/>. It has no
    /// Batch API (deferred mode). The model sent is <see cref="Model"/>, or the client's <c>DefaultModelId</c> when
    /// <see cref="Model"/> is still <see cref="DefaultModel"/>. TypedBatch does not dispose the client, and never sees its
    /// credentials: set <see cref="ApiKey"/> to the client's key (it is not sent anywhere) for error messages to mask it.
    /// </summary>
    /// <param name="chatClient">The client; its own middleware (caching, telemetry) stays in place.</param>
    /// <returns>These options.</returns>
    public TypedBatchOptions UseChatClient(Microsoft.Extensions.AI.IChatClient chatClient)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ChatClient = chatClient;
        Provider = ProviderKind.ChatClient;
        if (Model == DefaultModel && chatClient.GetService(typeof(Microsoft.Extensions.AI.ChatClientMetadata)) is Microsoft.Extensions.AI.ChatClientMetadata { DefaultModelId: { Length: > 0 } model })
        {
            Model = model; // the client's own model, unless one was chosen
        }

        return this;
    }

    /// <summary>
    /// Sends embeddings requests to a Microsoft.Extensions.AI embedding generator instead of the provider's embeddings
    /// API, with the same packing, runner, retries (<see cref="IsTransientClientError"/>), limits, usage and cost.
    /// Chat requests are unaffected. Embeddings then have no Batch API (deferred mode). The model sent is
    /// <see cref="EmbeddingModel"/>, or the generator's <c>DefaultModelId</c> when <see cref="EmbeddingModel"/> is still
    /// its default. TypedBatch does not dispose the generator.
    /// </summary>
    /// <param name="generator">The generator.</param>
    /// <returns>These options.</returns>
    public TypedBatchOptions UseEmbeddingGenerator(Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        EmbeddingGenerator = generator;
        if (EmbeddingModel == DefaultEmbeddingModel && generator.GetService(typeof(Microsoft.Extensions.AI.EmbeddingGeneratorMetadata)) is Microsoft.Extensions.AI.EmbeddingGeneratorMetadata { DefaultModelId: { Length: > 0 } model })
        {
            EmbeddingModel = model; // the generator's own model, unless one was chosen
        }

        return this;
    }

    /// <summary>The base URL in effect for the configured provider.</summary>
    public Uri EffectiveBaseUrl => Primary.EffectiveBaseUrl;

    /// <summary>The top-level provider settings as the first provider of the chain.</summary>
    internal ProviderOptions Primary => new()
    {
        Provider = Provider,
        ApiKey = ApiKey,
        BaseUrl = BaseUrl,
        GitHubToken = GitHubToken,
        CopilotTokenUrl = CopilotTokenUrl,
        RequestsPerMinute = EffectiveRequestsPerMinute,
        TokensPerMinute = TokensPerMinute,
        AzureApiVersion = AzureApiVersion,
        AzureUseV1Api = AzureUseV1Api,
        AzureTokenProvider = AzureTokenProvider,
    };

    /// <summary>The client-side requests-per-minute limit in effect, if any.</summary>
    public int? EffectiveRequestsPerMinute => RequestsPerMinute ?? (Provider == ProviderKind.GitHubCopilot ? DefaultCopilotRequestsPerMinute : null);

    /// <summary>
    /// Reads the environment variables, first match wins: <c>USE_COPILOT_CHAT=true</c> (or <c>1</c>, <c>yes</c>) with
    /// <c>GITHUB_TOKEN</c> for Copilot (<c>COPILOT_REQUESTS_PER_MINUTE</c>, default 60); else <c>AZURE_OPENAI_ENDPOINT</c>
    /// with <c>AZURE_OPENAI_API_KEY</c> for Azure OpenAI; else <c>OPENAI_BASE_URL</c> for an OpenAI-compatible server
    /// (<c>OPENAI_API_KEY</c> optional); else <c>OPENAI_API_KEY</c> for OpenAI; else <c>ANTHROPIC_API_KEY</c> (and
    /// <c>ANTHROPIC_BASE_URL</c>, the host root without <c>/v1</c>) for Anthropic. <c>MODEL_CHOICE</c> sets the model
    /// (default <c>gpt-4o-mini</c>, for Anthropic <see cref="DefaultAnthropicModel"/>).
    /// </summary>
    /// <param name="getVariable">Reads a variable; defaults to <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <exception cref="InvalidOperationException">No provider can be configured; the message names the variables to set.</exception>
    public static TypedBatchOptions FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        string? Read(string name) => getVariable(name) is { Length: > 0 } value ? value.Trim() : null;

        var options = new TypedBatchOptions { Model = Read("MODEL_CHOICE") ?? DefaultModel };
        string? apiKey = Read("OPENAI_API_KEY");
        string? baseUrl = Read("OPENAI_BASE_URL");

        if (IsYes(Read("USE_COPILOT_CHAT")))
        {
            options.Provider = ProviderKind.GitHubCopilot;
            options.GitHubToken = Read("GITHUB_TOKEN")
                ?? throw new InvalidOperationException("USE_COPILOT_CHAT is true but GITHUB_TOKEN is not set. Set GITHUB_TOKEN to a GitHub token with Copilot access, or unset USE_COPILOT_CHAT.");
            if (Read("COPILOT_REQUESTS_PER_MINUTE") is { } rpmText)
            {
                options.RequestsPerMinute = int.TryParse(rpmText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int rpm) && rpm > 0
                    ? rpm
                    : throw new InvalidOperationException($"COPILOT_REQUESTS_PER_MINUTE must be a positive integer; got '{rpmText}'.");
            }

            if (Read("COPILOT_TOKEN_URL") is { } tokenUrl)
            {
                options.CopilotTokenUrl = ParseUrl("COPILOT_TOKEN_URL", tokenUrl);
            }

            return options;
        }

        if (Read("AZURE_OPENAI_ENDPOINT") is { } azureEndpoint)
        {
            options.Provider = ProviderKind.AzureOpenAI;
            options.BaseUrl = ParseUrl("AZURE_OPENAI_ENDPOINT", azureEndpoint);
            options.ApiKey = Read("AZURE_OPENAI_API_KEY")
                ?? throw new InvalidOperationException("AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not. Set the key, or configure TypedBatchOptions.AzureTokenProvider in code.");
            options.AzureApiVersion = Read("AZURE_OPENAI_API_VERSION") ?? options.AzureApiVersion;
            return options;
        }

        if (baseUrl is not null)
        {
            options.Provider = ProviderKind.OpenAICompatible;
            options.BaseUrl = ParseUrl("OPENAI_BASE_URL", baseUrl);
            options.ApiKey = apiKey;
            return options;
        }

        if (apiKey is not null)
        {
            options.Provider = ProviderKind.OpenAI;
            options.ApiKey = apiKey;
            return options;
        }

        string? anthropicKey = Read("ANTHROPIC_API_KEY");
        string? anthropicBase = Read("ANTHROPIC_BASE_URL");
        if (anthropicKey is not null || anthropicBase is not null)
        {
            options.Provider = ProviderKind.Anthropic;
            options.ApiKey = anthropicKey;
            options.BaseUrl = anthropicBase is null ? null : ParseUrl("ANTHROPIC_BASE_URL", anthropicBase);
            options.Model = Read("MODEL_CHOICE") ?? DefaultAnthropicModel;
            return options;
        }

        throw new InvalidOperationException(
            "No LLM provider is configured: set OPENAI_API_KEY (OpenAI), or OPENAI_BASE_URL (an OpenAI-compatible server such as Ollama at http://localhost:11434/v1), or USE_COPILOT_CHAT=true with GITHUB_TOKEN (GitHub Copilot), or ANTHROPIC_API_KEY (Anthropic).");
    }

    /// <summary>Throws when the options cannot work, naming every property to fix.</summary>
    /// <exception cref="InvalidOperationException">A required value is missing or a value is out of range.</exception>
    public void Validate()
    {
        IReadOnlyList<string> problems = TypedBatchOptionsValidator.Problems(this);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }
    }

    /// <summary>Describes the options with secrets masked.</summary>
    public override string ToString()
        => $"TypedBatchOptions {{ Provider = {Provider}, BaseUrl = {BaseUrl}, Model = {Model}, ApiKey = {Mask(ApiKey)}, GitHubToken = {Mask(GitHubToken)}, MaxConcurrency = {MaxConcurrency}, RequestsPerMinute = {RequestsPerMinute}, TokensPerMinute = {TokensPerMinute}, MaxRetries = {MaxRetries}, AttemptTimeout = {AttemptTimeout}, TotalTimeout = {TotalTimeout}, Fallbacks = [{string.Join(", ", Fallbacks)}] }}";

    internal TypedBatchOptions Clone() => (TypedBatchOptions)MemberwiseClone();

    private static string Mask(string? secret) => secret is null ? "(none)" : "***";

    /// <summary>The original design's switches read <c>1</c>, <c>true</c> and <c>yes</c> (any case) as on.</summary>
    internal static bool IsYes(string? value)
        => value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase));

    private static Uri ParseUrl(string variable, string value)
        => Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new InvalidOperationException($"{variable} must be an absolute http or https URL; got '{value}'.");
}
