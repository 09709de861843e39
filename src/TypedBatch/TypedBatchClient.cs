using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

using TypedBatch.Providers;

namespace TypedBatch;

/// <summary>
/// The entry point: one provider (or fallback chain), its defaults, and the engine every batch runs on. Thread-safe;
/// create one and share it.
/// </summary>
/// <remarks>
/// Batch methods return one <see cref="BatchItem{T}"/> per input, in input order, and never throw for a failed item.
/// They throw <see cref="ArgumentException"/> for invalid arguments before anything is sent, and
/// <see cref="OperationCanceledException"/> when the token is cancelled (in-flight requests are aborted at once).
/// </remarks>
public sealed class TypedBatchClient : IDisposable, IAsyncDisposable
{
    private readonly ServiceProvider? _ownedServices;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, object> _promptClients = new();
    private readonly ILogger _logger;

    /// <summary>The original design's sampling temperature for untyped batches.</summary>
    public const double DefaultTemperature = 0.3;

    /// <summary>The original design's maximum output tokens for untyped batches.</summary>
    public const int DefaultMaxTokens = 200;

    /// <summary>Creates a client over a provider.</summary>
    /// <param name="provider">The provider, for example a fake in tests.</param>
    /// <param name="options">Defaults (model, concurrency, embedding packing); the provider settings in it are not used.</param>
    /// <param name="loggerFactory">Where batches log their start and summary.</param>
    /// <param name="timeProvider">The clock.</param>
    public TypedBatchClient(IChatProvider provider, TypedBatchOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(provider, options, loggerFactory, timeProvider, null, null)
    {
    }

    /// <summary>A client over the providers built from options, whose secrets are masked in the model's answers kept on errors too.</summary>
    internal TypedBatchClient(IChatProvider provider, TypedBatchOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider, SecretRedactor redactor)
        : this(provider, options, loggerFactory, timeProvider, redactor, null)
    {
    }

    private TypedBatchClient(IChatProvider provider, TypedBatchOptions? options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, SecretRedactor? redactor, ServiceProvider? ownedServices)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Provider = provider;
        Options = options ?? new TypedBatchOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<TypedBatchClient>();
        Engine = new BatchEngine(provider, Options, loggerFactory, timeProvider ?? TimeProvider.System, redactor);
        _ownedServices = ownedServices;
    }

    /// <summary>The provider requests go to.</summary>
    public IChatProvider Provider { get; }

    /// <summary>The options in effect.</summary>
    public TypedBatchOptions Options { get; }

    /// <summary>What every batch of this client and of its prompt clients runs on.</summary>
    internal BatchEngine Engine { get; }

    /// <summary>Creates a client with its own HTTP pipeline (retries, timeouts, rate limits) for the given options.</summary>
    /// <param name="options">The options; validated.</param>
    /// <param name="loggerFactory">Where to log; none by default.</param>
    /// <exception cref="InvalidOperationException">The options are incomplete; the message names what to set.</exception>
    public static TypedBatchClient Create(TypedBatchOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        TypedBatchOptions copy = options.Clone();
        copy.Validate();

        var services = new ServiceCollection();
        if (loggerFactory is not null)
        {
            services.AddSingleton(loggerFactory);
        }

        services.AddSingleton<IOptions<TypedBatchOptions>>(Microsoft.Extensions.Options.Options.Create(copy));
        services.AddTypedBatchCore();
        ServiceProvider provider = services.BuildServiceProvider();
        var client = new TypedBatchClient(provider.GetRequiredService<IChatProvider>(), copy, provider.GetRequiredService<ILoggerFactory>(), provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ProviderRuntime>().Redactor, provider);
        if (client._logger.IsEnabled(LogLevel.Information))
        {
            // Never the user info or query of the URL: a proxy URL may carry a key. Copilot's API base is the one its
            // token exchange names, logged when the first token arrives.
            string baseUrl = copy.Provider switch
            {
                ProviderKind.GitHubCopilot when copy.BaseUrl is null => "from the token exchange at " + copy.CopilotTokenUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped),
                ProviderKind.ChatClient => "an IChatClient",
                _ => copy.EffectiveBaseUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped),
            };
            Log.ClientReady(client._logger, client.Provider.Name, baseUrl, copy.Model);
        }
        return client;
    }

    /// <summary>
    /// Creates a client from the original design's environment variables (see <see cref="TypedBatchOptions.FromEnvironment"/>).
    /// </summary>
    /// <param name="loggerFactory">Where to log; none by default.</param>
    /// <exception cref="InvalidOperationException">No provider can be configured; the message names the variables to set.</exception>
    public static TypedBatchClient FromEnvironment(ILoggerFactory? loggerFactory = null)
        => Create(TypedBatchOptions.FromEnvironment(), loggerFactory);

    /// <summary>Sends one chat completion request.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="settings">Model and sampling; the client's model when none is given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ArgumentException">The messages or settings are invalid.</exception>
    /// <exception cref="ProviderException">The call failed after retries.</exception>
    public Task<ChatCompletion> CreateChatCompletionAsync(IReadOnlyList<PromptMessage> messages, CompletionSettings? settings = null, CancellationToken cancellationToken = default)
    {
        Guard.Messages(messages, nameof(messages));
        settings?.Validate(nameof(settings));
        return Engine.CompleteAsync(messages, settings ?? new CompletionSettings(), cancellationToken);
    }

    /// <summary>
    /// This client's provider pipeline (rate-limit gates, the one retry loop, Copilot's token exchange, fallbacks,
    /// timeouts) as a Microsoft.Extensions.AI <see cref="Microsoft.Extensions.AI.IChatClient"/>, streaming included, to
    /// compose with <c>ChatClientBuilder</c> middleware (<c>UseOpenTelemetry</c>, <c>UseDistributedCache</c>, …). Text
    /// messages only; <see cref="Microsoft.Extensions.AI.ChatOptions"/> maps onto <see cref="CompletionSettings"/>
    /// (model, temperature, max output tokens, top-p, stop sequences, seed, response format); tools are refused.
    /// <c>GetService(typeof(ChatClientMetadata))</c> names the provider, base URL and default model. Disposing the
    /// returned client leaves this one open.
    /// </summary>
    public Microsoft.Extensions.AI.IChatClient AsChatClient() => new Interop.TypedBatchChatClient(this);

    /// <summary>
    /// This client's embeddings path (inputs packed into large requests, concurrency, rate limits, the retry loop) as a
    /// Microsoft.Extensions.AI <see cref="Microsoft.Extensions.AI.IEmbeddingGenerator{TInput, TEmbedding}"/>. The
    /// options' model and dimensions apply; an input that fails fails the call (the batch API keeps per-input errors).
    /// Disposing the returned generator leaves this client open.
    /// </summary>
    public Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>> AsEmbeddingGenerator() => new Interop.TypedBatchEmbeddingGenerator(this);

    /// <summary>
    /// Sends one chat completion request streamed and hands out the answer as it arrives: text deltas, then the finish
    /// reason, then (on the last update) the usage and cost. Concatenating every <see cref="ChatCompletionUpdate.Text"/>
    /// gives the answer. A stream that breaks before its first update is sent again like a failed attempt; once an update
    /// was handed out, a break is a <see cref="ProviderException"/> (see <see cref="TypedBatchOptions.StreamIdleTimeout"/>).
    /// </summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="settings">Model and sampling; the client's model when none is given.</param>
    /// <param name="cancellationToken">Cancels the call and the stream.</param>
    /// <exception cref="ArgumentException">The messages or settings are invalid (thrown by the call, before anything is sent).</exception>
    /// <exception cref="ProviderException">The call failed after retries, or the stream broke after it began.</exception>
    public IAsyncEnumerable<ChatCompletionUpdate> StreamChatCompletionAsync(IReadOnlyList<PromptMessage> messages, CompletionSettings? settings = null, CancellationToken cancellationToken = default)
    {
        Guard.Messages(messages, nameof(messages));
        settings?.Validate(nameof(settings));
        return Engine.StreamAsync(messages, settings ?? new CompletionSettings(), cancellationToken);
    }

    /// <summary>
    /// The original design's <c>create_chat_completions_batch</c>: sends every conversation concurrently and returns
    /// one result per conversation, in input order, with failures as per-item errors.
    /// </summary>
    /// <param name="messagesList">The conversations, enumerated lazily as workers free up; an invalid conversation
    /// (null, empty, or with an empty message) fails only its own item, as <see cref="BatchErrorKind.InvalidInput"/>.</param>
    /// <param name="model">The model; the client's default when <see langword="null"/>.</param>
    /// <param name="temperature">Sampling temperature, 0 to 2.</param>
    /// <param name="maxTokens">Most tokens per answer, at least 1.</param>
    /// <param name="maxWorkers">Most requests in flight, at least 1.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<ChatCompletion>> CreateChatCompletionsBatchAsync(
        IEnumerable<IReadOnlyList<PromptMessage>> messagesList,
        string? model = null,
        double temperature = DefaultTemperature,
        int maxTokens = DefaultMaxTokens,
        int maxWorkers = 10,
        CancellationToken cancellationToken = default)
        => CreateChatCompletionsBatchAsync(messagesList, new BatchOptions { Model = model, Temperature = temperature, MaxTokens = maxTokens, MaxConcurrency = maxWorkers }, cancellationToken);

    /// <summary>
    /// Sends every conversation concurrently with the given options; one result per conversation, in input order.
    /// What the options leave unset keeps the original design's defaults: temperature 0.3, 200 max tokens.
    /// </summary>
    /// <param name="messagesList">The conversations (see the other overload).</param>
    /// <param name="options">Concurrency, model and sampling overrides, limits, progress.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<ChatCompletion>> CreateChatCompletionsBatchAsync(
        IEnumerable<IReadOnlyList<PromptMessage>> messagesList,
        BatchOptions options,
        CancellationToken cancellationToken = default)
        => CreateChatCompletionsBatchAsync(messagesList, new CompletionSettings(), options, cancellationToken);

    /// <summary>
    /// Sends every conversation concurrently with every completion setting (top-p, seed, stop, response format);
    /// one result per conversation, in input order. A temperature or max tokens left unset keeps the original design's
    /// defaults (0.3, 200); <paramref name="options"/> overrides model, temperature and max tokens on top.
    /// </summary>
    /// <param name="messagesList">The conversations (see the other overload).</param>
    /// <param name="settings">The settings of every request.</param>
    /// <param name="options">Concurrency, overrides, limits, progress.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<ChatCompletion>> CreateChatCompletionsBatchAsync(
        IEnumerable<IReadOnlyList<PromptMessage>> messagesList,
        CompletionSettings settings,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        BatchPlan plan = PlanChat(messagesList, settings, options);
        return Engine.RunChatAsync(plan, messagesList, Engine.ConversationShape(plan), cancellationToken);
    }

    /// <summary>
    /// Sends every conversation concurrently, streamed, and hands out each answer's text as it arrives: text deltas of
    /// the inputs interleaved, and one final delta per input with its item (the whole answer, usage, cost, or its
    /// error), under the same limits, retries, progress and journal as <c>CreateChatCompletionsBatchAsync</c>.
    /// Unset temperature and max tokens keep the original design's defaults (0.3, 200). Live mode only, without a
    /// budget; identical requests are each sent.
    /// </summary>
    /// <param name="messagesList">The conversations; an invalid one fails only its own item.</param>
    /// <param name="options">Concurrency, overrides, limits, progress, journal.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Deltas as they arrive, each with its input index.</returns>
    public IAsyncEnumerable<BatchDelta> StreamChatCompletionsBatchAsync(
        IEnumerable<IReadOnlyList<PromptMessage>> messagesList,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
        => StreamChatCompletionsBatchAsync(messagesList, new CompletionSettings(), options, cancellationToken);

    /// <summary>Like the other overload, with every completion setting of the requests.</summary>
    /// <param name="messagesList">The conversations.</param>
    /// <param name="settings">The settings of every request (temperature and max tokens default to 0.3 and 200).</param>
    /// <param name="options">Concurrency, overrides, limits, progress, journal.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Deltas as they arrive, each with its input index.</returns>
    public IAsyncEnumerable<BatchDelta> StreamChatCompletionsBatchAsync(
        IEnumerable<IReadOnlyList<PromptMessage>> messagesList,
        CompletionSettings settings,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        BatchPlanner.EnsureStreamable(options);
        BatchPlan plan = PlanChat(messagesList, settings, options);
        return Engine.StreamChatBatchAsync(plan, messagesList, static messages => messages, PromptClientContext.TextOf, cancellationToken);
    }

    /// <summary>
    /// Sends every conversation of Microsoft.Extensions.AI messages concurrently, like the other overloads: existing
    /// M.E.AI code batches without converting. Text content only: a conversation with other content (images, tool
    /// calls) or another role fails its own item as <see cref="BatchErrorKind.InvalidInput"/>, naming the message.
    /// Unset temperature and max tokens keep the original design's defaults (0.3, 200).
    /// </summary>
    /// <param name="messagesList">The conversations, enumerated lazily.</param>
    /// <param name="options">Concurrency, model and sampling overrides, limits, progress, journal, mode.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<ChatCompletion>> CreateChatCompletionsBatchAsync(
        IEnumerable<IEnumerable<Microsoft.Extensions.AI.ChatMessage>> messagesList,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messagesList);
        BatchPlan plan = PlanChat([], new CompletionSettings(), options);
        ChatShape<IReadOnlyList<PromptMessage>, ChatCompletion> conversation = Engine.ConversationShape(plan);
        var shape = new ChatShape<IEnumerable<Microsoft.Extensions.AI.ChatMessage>, ChatCompletion>
        {
            Render = Interop.TypedBatchChatClient.ToMessages,
            Send = conversation.Send,
            Rebuild = conversation.Rebuild,
            Answer = conversation.Answer,
            CostOf = conversation.CostOf,
        };
        return Engine.RunChatAsync(plan, messagesList, shape, cancellationToken);
    }

    /// <summary>Sends every conversation concurrently and yields each result as soon as it arrives.</summary>
    /// <param name="messagesList">The conversations (see <see cref="CreateChatCompletionsBatchAsync(IEnumerable{IReadOnlyList{PromptMessage}}, string?, double, int, int, CancellationToken)"/>).</param>
    /// <param name="options">Concurrency, model and sampling overrides, limits, progress.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Items in completion order, each with its input index.</returns>
    public IAsyncEnumerable<BatchItem<ChatCompletion>> CreateChatCompletionsAsCompletedAsync(
        IEnumerable<IReadOnlyList<PromptMessage>> messagesList,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
        => CreateChatCompletionsAsCompletedAsync(messagesList, new CompletionSettings(), options, cancellationToken);

    /// <summary>Sends every conversation concurrently with every completion setting and yields each result as soon as it arrives.</summary>
    /// <param name="messagesList">The conversations.</param>
    /// <param name="settings">The settings of every request (temperature and max tokens default to 0.3 and 200).</param>
    /// <param name="options">Concurrency, overrides, limits, progress.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Items in completion order, each with its input index.</returns>
    public IAsyncEnumerable<BatchItem<ChatCompletion>> CreateChatCompletionsAsCompletedAsync(
        IEnumerable<IReadOnlyList<PromptMessage>> messagesList,
        CompletionSettings settings,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        BatchPlan plan = PlanChat(messagesList, settings, options);
        return Engine.RunChatAsCompletedAsync(plan, messagesList, Engine.ConversationShape(plan), cancellationToken);
    }

    /// <summary>Embeds one text.</summary>
    /// <param name="input">The text.</param>
    /// <param name="model">The embedding model; the client's default when <see langword="null"/>.</param>
    /// <param name="dimensions">Requested vector length, for models that support it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ProviderException">The call failed after retries.</exception>
    public Task<EmbeddingVector> CreateEmbeddingAsync(string input, string? model = null, int? dimensions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        ValidateDimensions(dimensions);
        ValidateModel(model);
        return Engine.EmbedAsync(input, model, dimensions, cancellationToken);
    }

    /// <summary>
    /// Embeds many texts: packs them into requests of at most <see cref="TypedBatchOptions.EmbeddingInputsPerRequest"/>
    /// inputs and an estimated <see cref="TypedBatchOptions.EmbeddingTokensPerRequest"/> tokens, sends the requests
    /// concurrently, and returns one embedding per input, in input order.
    /// </summary>
    /// <param name="inputs">The texts, enumerated lazily; a null or empty text fails only its own item, as <see cref="BatchErrorKind.InvalidInput"/>.</param>
    /// <param name="model">The embedding model; the client's default when <see langword="null"/>.</param>
    /// <param name="dimensions">Requested vector length.</param>
    /// <param name="maxWorkers">Most requests in flight, at least 1.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<EmbeddingVector>> CreateEmbeddingsBatchAsync(
        IEnumerable<string> inputs,
        string? model = null,
        int? dimensions = null,
        int maxWorkers = 10,
        CancellationToken cancellationToken = default)
    {
        Guard.Workers(maxWorkers, nameof(maxWorkers));
        ValidateModel(model);
        return CreateEmbeddingsBatchAsync(inputs, new BatchOptions { Model = model, MaxConcurrency = maxWorkers }, dimensions, cancellationToken);
    }

    /// <summary>
    /// Embeds many texts with the given options (model, concurrency, limits, progress, adaptive concurrency); one
    /// embedding per input, in input order.
    /// </summary>
    /// <param name="inputs">The texts (see the other overload).</param>
    /// <param name="options">Model, concurrency, limits and progress; progress counts inputs.</param>
    /// <param name="dimensions">Requested vector length.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<EmbeddingVector>> CreateEmbeddingsBatchAsync(
        IEnumerable<string> inputs,
        BatchOptions options,
        int? dimensions = null,
        CancellationToken cancellationToken = default)
    {
        BatchPlan plan = PlanEmbeddings(inputs, options, dimensions);
        return Engine.EmbedBatchAsync(plan, inputs, cancellationToken);
    }

    /// <summary>
    /// Embeds many texts like <see cref="CreateEmbeddingsBatchAsync(IEnumerable{string}, string?, int?, int, CancellationToken)"/>,
    /// yielding the items of each request as soon as it completes.
    /// </summary>
    /// <param name="inputs">The texts.</param>
    /// <param name="model">The embedding model; the client's default when <see langword="null"/>.</param>
    /// <param name="dimensions">Requested vector length.</param>
    /// <param name="maxWorkers">Most requests in flight, at least 1.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Items in completion order, each with its input index.</returns>
    public IAsyncEnumerable<BatchItem<EmbeddingVector>> CreateEmbeddingsAsCompletedAsync(
        IEnumerable<string> inputs,
        string? model = null,
        int? dimensions = null,
        int maxWorkers = 10,
        CancellationToken cancellationToken = default)
    {
        Guard.Workers(maxWorkers, nameof(maxWorkers));
        ValidateModel(model);
        return CreateEmbeddingsAsCompletedAsync(inputs, new BatchOptions { Model = model, MaxConcurrency = maxWorkers }, dimensions, cancellationToken);
    }

    /// <summary>Embeds many texts with the given options, yielding the items of each request as soon as it completes.</summary>
    /// <param name="inputs">The texts.</param>
    /// <param name="options">Model, concurrency, limits and progress.</param>
    /// <param name="dimensions">Requested vector length.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Items in completion order, each with its input index.</returns>
    public IAsyncEnumerable<BatchItem<EmbeddingVector>> CreateEmbeddingsAsCompletedAsync(
        IEnumerable<string> inputs,
        BatchOptions options,
        int? dimensions = null,
        CancellationToken cancellationToken = default)
    {
        BatchPlan plan = PlanEmbeddings(inputs, options, dimensions);
        return Engine.EmbedAsCompletedAsync(plan, inputs, cancellationToken);
    }

    /// <summary>
    /// The generated implementation of a <c>[PromptClient]</c> interface, created once per client and reused.
    /// </summary>
    /// <typeparam name="T">The prompt client interface.</typeparam>
    /// <exception cref="InvalidOperationException">No implementation was generated for <typeparamref name="T"/>; the message says what to add.</exception>
    public T For<T>()
        where T : class
        => (T)_promptClients.GetOrAdd(typeof(T), static (_, client) => PromptClientRegistry.Create<T>(client), this);

    /// <inheritdoc />
    public void Dispose() => _ownedServices?.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _ownedServices?.DisposeAsync() ?? ValueTask.CompletedTask;

    private BatchPlan PlanChat(IEnumerable<IReadOnlyList<PromptMessage>> messagesList, CompletionSettings settings, BatchOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messagesList);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate(nameof(settings));
        CompletionSettings withDefaults = settings with
        {
            Temperature = settings.Temperature ?? DefaultTemperature,
            MaxTokens = settings.MaxTokens ?? DefaultMaxTokens,
        };
        return BatchPlanner.Chat("chat", Provider.Name, withDefaults, options, Options);
    }

    private BatchPlan PlanEmbeddings(IEnumerable<string> inputs, BatchOptions options, int? dimensions)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        ValidateDimensions(dimensions);
        return BatchPlanner.Embeddings("embeddings", Provider.Name, null, dimensions, options, Options);
    }

    private static void ValidateModel(string? model)
    {
        if (model is not null && string.IsNullOrWhiteSpace(model))
        {
            throw new ArgumentException("The model must not be blank.", nameof(model));
        }
    }

    private static void ValidateDimensions(int? dimensions)
    {
        if (dimensions is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "Dimensions must be at least 1.");
        }
    }
}
