namespace TypedBatch;

/// <summary>Which service the client talks to.</summary>
public enum ProviderKind
{
    /// <summary>OpenAI's API (<c>https://api.openai.com/v1</c>); needs <see cref="TypedBatchOptions.ApiKey"/>.</summary>
    OpenAI,

    /// <summary>
    /// Any OpenAI-compatible server at <see cref="TypedBatchOptions.BaseUrl"/>, with an optional key: Ollama, vLLM,
    /// LM Studio, llama.cpp (see <see cref="KnownEndpoints"/>) or the TypedBatch emulator.
    /// </summary>
    OpenAICompatible,

    /// <summary>GitHub Copilot's chat API, reached by exchanging <see cref="TypedBatchOptions.GitHubToken"/> for a Copilot token.</summary>
    GitHubCopilot,

    /// <summary>
    /// Azure OpenAI at the resource endpoint <see cref="TypedBatchOptions.BaseUrl"/>: classic deployment URLs with
    /// <c>api-version</c> (the model is the deployment name) or the <c>/openai/v1/</c> API; an <c>api-key</c> or a
    /// bearer token from <see cref="TypedBatchOptions.AzureTokenProvider"/>.
    /// </summary>
    AzureOpenAI,

    /// <summary>
    /// Anthropic's Messages API (<c>x-api-key</c>, <c>anthropic-version</c>); <see cref="TypedBatchOptions.BaseUrl"/>
    /// is the host root without <c>/v1</c> (default <see cref="KnownEndpoints.Anthropic"/>), as Anthropic's SDKs read
    /// <c>ANTHROPIC_BASE_URL</c>.
    /// </summary>
    Anthropic,

    /// <summary>
    /// Any Microsoft.Extensions.AI <c>IChatClient</c>, set with <see cref="TypedBatchOptions.UseChatClient"/> (Ollama
    /// through OllamaSharp, Azure AI Inference, Anthropic's SDK, a test double): TypedBatch's runner, limits from the
    /// options, retries of its transient failures, typed results, journal and cost over it. The primary provider only.
    /// </summary>
    ChatClient,
}

/// <summary>Default base URLs of well-known OpenAI-compatible servers.</summary>
public static class KnownEndpoints
{
    /// <summary>OpenAI.</summary>
    public static readonly Uri OpenAI = new("https://api.openai.com/v1");

    /// <summary>Anthropic's API host (the routes add <c>/v1/messages</c>).</summary>
    public static readonly Uri Anthropic = new("https://api.anthropic.com");

    /// <summary>Ollama's OpenAI-compatible API (the key is ignored; reads <c>max_tokens</c>).</summary>
    public static readonly Uri Ollama = new("http://localhost:11434/v1");

    /// <summary>vLLM's OpenAI-compatible server (<c>vllm serve</c>).</summary>
    public static readonly Uri Vllm = new("http://localhost:8000/v1");

    /// <summary>LM Studio's local server.</summary>
    public static readonly Uri LMStudio = new("http://localhost:1234/v1");

    /// <summary>llama.cpp's <c>llama-server</c>.</summary>
    public static readonly Uri LlamaCpp = new("http://localhost:8080/v1");

    /// <summary>GitHub's Copilot token exchange.</summary>
    public static readonly Uri CopilotTokenExchange = new("https://api.github.com/copilot_internal/v2/token");
}
