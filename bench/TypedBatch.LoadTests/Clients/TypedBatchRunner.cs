using Microsoft.Extensions.DependencyInjection;

namespace TypedBatch.LoadTests.Clients;

/// <summary>How a TypedBatch runner is set up; everything but <see cref="Default"/> is for diagnosing overhead only.</summary>
internal enum TypedBatchVariant
{
    /// <summary><c>TypedBatchClient.Create</c> with the defaults and the generated <c>ExplainBatchAsync</c>.</summary>
    Default,

    /// <summary>The untyped <c>CreateChatCompletionsBatchAsync</c> instead of the generated method.</summary>
    Untyped,

    /// <summary><c>MaxRetries = 0</c>: no Polly retry strategy in the pipeline.</summary>
    NoRetries,

    /// <summary><c>Hedging = BatchHedging.Disabled</c>: no hedging of slow requests (what hedging costs per request).</summary>
    NoHedging,

    /// <summary>
    /// The same requests streamed through <c>StreamChatCompletionsBatchAsync</c>, every delta read: what streamed
    /// transport costs against the whole-answer batch.
    /// </summary>
    Streamed,

    /// <summary>
    /// The official SDK's <c>AsIChatClient()</c> as TypedBatch's provider (<c>UseChatClient</c>, the SDK's own retries):
    /// what TypedBatch's runner costs on top of the M.E.AI client the <c>meai</c> runner drives directly.
    /// </summary>
    ChatClient,

    /// <summary>Through <c>AddTypedBatch</c> with <c>ConfigureHttpClientDefaults(b =&gt; b.RemoveAllLoggers())</c>: no IHttpClientFactory logging handlers.</summary>
    NoHttpClientLogging,
}

/// <summary>
/// TypedBatch through the generated <c>ExplainBatchAsync</c>: one batch of all topics at <c>MaxConcurrency</c>, with the
/// client's defaults otherwise (3 retries, adaptive concurrency, limits learned from the <c>x-ratelimit-*</c> headers
/// unless <c>requestsPerMinute</c> or <c>tokensPerMinute</c> configure them).
/// </summary>
internal sealed class TypedBatchRunner : IClientRunner
{
    private readonly TypedBatchClient _client;
    private readonly ServiceProvider? _services;
    private readonly ILoadPrompts _prompts;
    private readonly BatchOptions _options;
    private readonly BatchOptions _untypedOptions;
    private readonly TypedBatchVariant _variant;

    public TypedBatchRunner(string name, Uri baseUrl, string model, int concurrency, int? requestsPerMinute = null, int? tokensPerMinute = null, TypedBatchVariant variant = TypedBatchVariant.Default)
    {
        Name = name;
        _variant = variant;
        var options = new TypedBatchOptions
        {
            Provider = ProviderKind.OpenAICompatible,
            BaseUrl = baseUrl,
            ApiKey = "unused",
            Model = model,
            MaxConcurrency = concurrency,
            RequestsPerMinute = requestsPerMinute,
            TokensPerMinute = tokensPerMinute,
            MaxRetries = variant == TypedBatchVariant.NoRetries ? 0 : new TypedBatchOptions().MaxRetries,
        };
        if (variant == TypedBatchVariant.NoHttpClientLogging)
        {
            var services = new ServiceCollection();
            services.AddTypedBatch(o =>
            {
                o.Provider = options.Provider;
                o.BaseUrl = options.BaseUrl;
                o.ApiKey = options.ApiKey;
                o.Model = options.Model;
                o.MaxConcurrency = options.MaxConcurrency;
            });
            services.ConfigureHttpClientDefaults(static http => http.RemoveAllLoggers());
            _services = services.BuildServiceProvider();
            _client = _services.GetRequiredService<TypedBatchClient>();
        }
        else if (variant == TypedBatchVariant.ChatClient)
        {
            _client = TypedBatchClient.Create(options.UseChatClient(Microsoft.Extensions.AI.OpenAIClientExtensions.AsIChatClient(OpenAISdkRunner.Create(baseUrl, model))));
        }
        else
        {
            _client = TypedBatchClient.Create(options);
        }

        _prompts = _client.For<ILoadPrompts>();
        _options = new BatchOptions { MaxConcurrency = concurrency, Model = model, Hedging = variant == TypedBatchVariant.NoHedging ? BatchHedging.Disabled : null };
        _untypedOptions = _options with { Temperature = Workload.Temperature, MaxTokens = Workload.MaxTokens };
    }

    public string Name { get; }

    public async Task<RunOutcome> RunAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        int succeeded = 0;
        string? firstError = null;
        void Count(bool success, BatchError? error)
        {
            succeeded += success ? 1 : 0;
            firstError ??= error?.ToString();
        }

        int? hedged = null;
        if (_variant == TypedBatchVariant.Streamed)
        {
            long characters = 0;
            await foreach (BatchDelta delta in _client.StreamChatCompletionsBatchAsync(Conversations(topics), _untypedOptions, cancellationToken))
            {
                characters += delta.Text?.Length ?? 0;
                if (delta.Item is { } item)
                {
                    Count(item.Succeeded, item.Error);
                }
            }

            if (succeeded > 0 && characters == 0)
            {
                throw new InvalidOperationException($"{Name}: no text delta arrived.");
            }
        }
        else if (_variant == TypedBatchVariant.Untyped)
        {
            BatchResult<ChatCompletion> result = await _client.CreateChatCompletionsBatchAsync(Conversations(topics), _untypedOptions, cancellationToken);
            foreach (BatchItem<ChatCompletion> item in result)
            {
                Count(item.Succeeded, item.Error);
            }

            hedged = result.HedgedCount;
        }
        else
        {
            BatchResult<string> result = await _prompts.ExplainBatchAsync(topics, _options, cancellationToken);
            foreach (BatchItem<string> item in result)
            {
                Count(item.Succeeded, item.Error);
            }

            hedged = result.HedgedCount;
        }

        return new RunOutcome(succeeded, topics.Count - succeeded, firstError, hedged);
    }

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    private static IEnumerable<IReadOnlyList<PromptMessage>> Conversations(IReadOnlyList<string> topics)
        => topics.Select(static t => (IReadOnlyList<PromptMessage>)[PromptMessage.System(Workload.SystemPrompt), PromptMessage.User(Workload.UserPrompt(t))]);
}
