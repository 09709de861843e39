using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace TypedBatch;

/// <summary>
/// The entry point: one provider, its defaults and a <see cref="BatchRunner"/>. Thread-safe; create one and share it.
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

    /// <summary>Creates a client over a provider.</summary>
    /// <param name="provider">The provider, for example a fake in tests.</param>
    /// <param name="options">Defaults (model, concurrency, embedding packing); the provider settings in it are not used.</param>
    /// <param name="loggerFactory">Where batches log their start and summary.</param>
    /// <param name="timeProvider">The clock.</param>
    public TypedBatchClient(IChatProvider provider, TypedBatchOptions? options = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(provider, options, loggerFactory, timeProvider, null)
    {
    }

    private TypedBatchClient(IChatProvider provider, TypedBatchOptions? options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, ServiceProvider? ownedServices)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Provider = provider;
        Options = options ?? new TypedBatchOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<TypedBatchClient>();
        Runner = new BatchRunner(loggerFactory.CreateLogger<BatchRunner>(), timeProvider);
        _ownedServices = ownedServices;
    }

    /// <summary>The provider requests go to.</summary>
    public IChatProvider Provider { get; }

    /// <summary>The options in effect.</summary>
    public TypedBatchOptions Options { get; }

    /// <summary>The runner every batch of this client goes through.</summary>
    public BatchRunner Runner { get; }

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
        var client = new TypedBatchClient(provider.GetRequiredService<IChatProvider>(), copy, provider.GetRequiredService<ILoggerFactory>(), provider.GetRequiredService<TimeProvider>(), provider);
        if (client._logger.IsEnabled(LogLevel.Information))
        {
            // Never the user info or query of the URL: a proxy URL may carry a key.
            string baseUrl = copy.EffectiveBaseUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
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
    public Task<ChatCompletion> CreateChatCompletionAsync(IReadOnlyList<ChatMessage> messages, CompletionSettings? settings = null, CancellationToken cancellationToken = default)
    {
        Guard.Messages(messages, nameof(messages));
        settings?.Validate(nameof(settings));
        return Provider.CompleteAsync(new ChatRequest(messages, Resolve(settings)), cancellationToken);
    }

    /// <summary>
    /// The original design's <c>create_chat_completions_batch</c>: sends every conversation concurrently and returns
    /// one result per conversation, in input order, with failures as per-item errors.
    /// </summary>
    /// <param name="messagesList">The conversations. A list or array is validated whole before anything is sent;
    /// a lazy sequence is enumerated as workers free up, and an invalid conversation in it fails only its own item.</param>
    /// <param name="model">The model; the client's default when <see langword="null"/>.</param>
    /// <param name="temperature">Sampling temperature, 0 to 2.</param>
    /// <param name="maxTokens">Most tokens per answer, at least 1.</param>
    /// <param name="maxWorkers">Most requests in flight, at least 1.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<ChatCompletion>> CreateChatCompletionsBatchAsync(
        IEnumerable<IReadOnlyList<ChatMessage>> messagesList,
        string? model = null,
        double temperature = 0.3,
        int maxTokens = 200,
        int maxWorkers = 10,
        CancellationToken cancellationToken = default)
        => CreateChatCompletionsBatchAsync(messagesList, new BatchOptions { Model = model, Temperature = temperature, MaxTokens = maxTokens, MaxConcurrency = maxWorkers }, cancellationToken);

    /// <summary>Sends every conversation concurrently with the given options; one result per conversation, in input order.</summary>
    /// <param name="messagesList">The conversations (see the other overload for validation).</param>
    /// <param name="options">Concurrency, model and sampling overrides, progress.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public Task<BatchResult<ChatCompletion>> CreateChatCompletionsBatchAsync(
        IEnumerable<IReadOnlyList<ChatMessage>> messagesList,
        BatchOptions options,
        CancellationToken cancellationToken = default)
    {
        (CompletionSettings settings, BatchRunDescriptor descriptor) = PrepareChatBatch(messagesList, options);
        return Runner.RunAsync(messagesList, (messages, ct) => CompleteOneAsync(messages, settings, ct), descriptor, cancellationToken);
    }

    /// <summary>Sends every conversation concurrently and yields each result as soon as it arrives.</summary>
    /// <param name="messagesList">The conversations (see <see cref="CreateChatCompletionsBatchAsync(IEnumerable{IReadOnlyList{ChatMessage}}, string?, double, int, int, CancellationToken)"/> for validation).</param>
    /// <param name="options">Concurrency, model and sampling overrides, progress.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Items in completion order, each with its input index.</returns>
    public IAsyncEnumerable<BatchItem<ChatCompletion>> CreateChatCompletionsAsCompletedAsync(
        IEnumerable<IReadOnlyList<ChatMessage>> messagesList,
        BatchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        (CompletionSettings settings, BatchRunDescriptor descriptor) = PrepareChatBatch(messagesList, options);
        return Runner.RunAsCompletedAsync(messagesList, (messages, ct) => CompleteOneAsync(messages, settings, ct), descriptor, cancellationToken);
    }

    /// <summary>Embeds one text.</summary>
    /// <param name="input">The text.</param>
    /// <param name="model">The embedding model; the client's default when <see langword="null"/>.</param>
    /// <param name="dimensions">Requested vector length, for models that support it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ProviderException">The call failed after retries.</exception>
    public async Task<Embedding> CreateEmbeddingAsync(string input, string? model = null, int? dimensions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        ValidateDimensions(dimensions);
        EmbeddingResponse response = await Provider.EmbedAsync(new EmbeddingRequest([input], model ?? Options.EmbeddingModel, dimensions), cancellationToken).ConfigureAwait(false);
        return response.Embeddings[0];
    }

    /// <summary>
    /// Embeds many texts: packs them into requests of at most <see cref="TypedBatchOptions.EmbeddingInputsPerRequest"/>
    /// inputs and an estimated <see cref="TypedBatchOptions.EmbeddingTokensPerRequest"/> tokens, sends the requests
    /// concurrently, and returns one embedding per input, in input order.
    /// </summary>
    /// <param name="inputs">The texts. A list or array is validated whole first; in a lazy sequence a null or empty text fails only its own item.</param>
    /// <param name="model">The embedding model; the client's default when <see langword="null"/>.</param>
    /// <param name="dimensions">Requested vector length.</param>
    /// <param name="maxWorkers">Most requests in flight, at least 1.</param>
    /// <param name="cancellationToken">Cancels the batch: throws <see cref="OperationCanceledException"/>.</param>
    public async Task<BatchResult<Embedding>> CreateEmbeddingsBatchAsync(
        IEnumerable<string> inputs,
        string? model = null,
        int? dimensions = null,
        int maxWorkers = 10,
        CancellationToken cancellationToken = default)
    {
        (IEnumerable<EmbeddingChunk> chunks, string resolvedModel, BatchRunDescriptor descriptor) = PrepareEmbeddings(inputs, model, dimensions, maxWorkers);
        BatchResult<EmbeddingChunkOutcome> requests = await Runner.RunAsync(
            chunks,
            (chunk, ct) => EmbedChunkAsync(chunk, resolvedModel, dimensions, ct),
            descriptor,
            cancellationToken).ConfigureAwait(false);
        BatchResult<Embedding> result = EmbeddingPacker.Unpack(requests);
        Runner.LogSummary(descriptor with { LogSummary = true }, result.SucceededCount, result.Count, result.Elapsed, result.PeakConcurrency, result.Usage);
        return result;
    }

    /// <summary>
    /// Embeds many texts like <see cref="CreateEmbeddingsBatchAsync"/>, yielding the items of each request as soon as
    /// it completes.
    /// </summary>
    /// <param name="inputs">The texts.</param>
    /// <param name="model">The embedding model; the client's default when <see langword="null"/>.</param>
    /// <param name="dimensions">Requested vector length.</param>
    /// <param name="maxWorkers">Most requests in flight, at least 1.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    /// <returns>Items in completion order, each with its input index.</returns>
    public async IAsyncEnumerable<BatchItem<Embedding>> CreateEmbeddingsAsCompletedAsync(
        IEnumerable<string> inputs,
        string? model = null,
        int? dimensions = null,
        int maxWorkers = 10,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        (IEnumerable<EmbeddingChunk> chunks, string resolvedModel, BatchRunDescriptor descriptor) = PrepareEmbeddings(inputs, model, dimensions, maxWorkers);
        // Streaming: the runner's own summary counts requests, since items are not gathered here.
        descriptor = descriptor with { LogSummary = true, Unit = "requests" };
        await foreach (BatchItem<EmbeddingChunkOutcome> request in Runner.RunAsCompletedAsync(
            chunks, (chunk, ct) => EmbedChunkAsync(chunk, resolvedModel, dimensions, ct), descriptor, cancellationToken).ConfigureAwait(false))
        {
            foreach (BatchItem<Embedding> item in EmbeddingPacker.Expand(request))
            {
                yield return item;
            }
        }
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

    private (CompletionSettings Settings, BatchRunDescriptor Descriptor) PrepareChatBatch(IEnumerable<IReadOnlyList<ChatMessage>> messagesList, BatchOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messagesList);
        options ??= new BatchOptions();
        options.Validate(nameof(options));
        if (messagesList is IReadOnlyList<IReadOnlyList<ChatMessage>> list)
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (Guard.DescribeInvalidMessages(list[i]) is { } problem)
                {
                    throw new ArgumentException($"messagesList[{i}] is invalid: {problem}.", nameof(messagesList));
                }
            }
        }

        CompletionSettings settings = Resolve(new CompletionSettings { Model = options.Model, Temperature = options.Temperature, MaxTokens = options.MaxTokens });
        ApplyRateLimits(settings.Model!, options);
        var descriptor = new BatchRunDescriptor("chat", Provider.Name, settings.Model!, options.MaxConcurrency ?? Options.MaxConcurrency)
        {
            Temperature = settings.Temperature,
            MaxTokens = settings.MaxTokens,
            Progress = options.Progress,
            AdaptiveConcurrency = options.AdaptiveConcurrency,
        };
        return (settings, descriptor);
    }

    private async ValueTask<BatchWorkResult<ChatCompletion>> CompleteOneAsync(IReadOnlyList<ChatMessage> messages, CompletionSettings settings, CancellationToken cancellationToken)
    {
        if (Guard.DescribeInvalidMessages(messages) is { } problem)
        {
            throw new ArgumentException($"Invalid conversation: {problem}; nothing was sent.", nameof(messages));
        }

        ChatCompletion completion = await Provider.CompleteAsync(new ChatRequest(messages, settings), cancellationToken).ConfigureAwait(false);
        return new BatchWorkResult<ChatCompletion>(completion, completion.Usage, completion.Attempts, 0, completion.Provider);
    }

    /// <summary>Sends one chunk. Never throws but for cancellation: a failure becomes the outcome of every input it carried.</summary>
    private async ValueTask<BatchWorkResult<EmbeddingChunkOutcome>> EmbedChunkAsync(EmbeddingChunk chunk, string model, int? dimensions, CancellationToken cancellationToken)
    {
        string[] valid = chunk.Inputs.Where(s => !string.IsNullOrEmpty(s)).ToArray()!;
        EmbeddingChunkShape shape = chunk.Shape;
        if (valid.Length == 0)
        {
            return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome(shape, [], null), default, 0);
        }

        try
        {
            EmbeddingResponse response = await Provider.EmbedAsync(new EmbeddingRequest(valid, model, dimensions), cancellationToken).ConfigureAwait(false);
            if (response.Embeddings.Count != valid.Length)
            {
                var mismatch = new BatchError(BatchErrorKind.InvalidOutput, $"The provider returned {response.Embeddings.Count} embeddings for {valid.Length} inputs.") { Provider = Provider.Name };
                return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome(shape, [], mismatch), response.Usage, response.Attempts);
            }

            return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome(shape, response.Embeddings, null), response.Usage, response.Attempts);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            int attempts = ex is ProviderException p ? p.Attempts : 0;
            return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome(shape, [], BatchError.FromException(ex)), default, attempts);
        }
    }

    private (IEnumerable<EmbeddingChunk> Chunks, string Model, BatchRunDescriptor Descriptor) PrepareEmbeddings(IEnumerable<string> inputs, string? model, int? dimensions, int maxWorkers)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Guard.Workers(maxWorkers, nameof(maxWorkers));
        ValidateDimensions(dimensions);
        if (model is not null && string.IsNullOrWhiteSpace(model))
        {
            throw new ArgumentException("The model must not be blank.", nameof(model));
        }

        if (inputs is IReadOnlyList<string> list)
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (string.IsNullOrEmpty(list[i]))
                {
                    throw new ArgumentException($"inputs[{i}] is null or empty; every input must be a non-empty text.", nameof(inputs));
                }
            }
        }

        string resolvedModel = model ?? Options.EmbeddingModel;
        var descriptor = new BatchRunDescriptor("embeddings", Provider.Name, resolvedModel, maxWorkers)
        {
            Size = inputs.TryGetNonEnumeratedCount(out int count) ? count : null,
            Unit = "embeddings",
            LogSummary = false,
        };
        return (EmbeddingPacker.Pack(inputs, Options.EmbeddingInputsPerRequest, Options.EmbeddingTokensPerRequest), resolvedModel, descriptor);
    }

    /// <summary>Applies a batch's requests/tokens-per-minute limits to the shared gate of its provider and model.</summary>
    internal void ApplyRateLimits(string model, BatchOptions? options)
    {
        if (options is { RequestsPerMinute: not null } or { TokensPerMinute: not null } && Provider is IRateLimitedProvider limited)
        {
            limited.GateFor(model)?.Configure(options.RequestsPerMinute, options.TokensPerMinute);
        }
    }

    /// <summary>Merges a prompt method's settings with a call's overrides and the client's defaults.</summary>
    internal CompletionSettings ResolveSettings(CompletionSettings settings, BatchOptions? overrides)
    {
        if (overrides is null || (overrides.Model is null && overrides.Temperature is null && overrides.MaxTokens is null))
        {
            return settings.Model is null ? settings with { Model = Options.Model } : settings;
        }

        return settings with
        {
            Model = overrides.Model ?? settings.Model ?? Options.Model,
            Temperature = overrides.Temperature ?? settings.Temperature,
            MaxTokens = overrides.MaxTokens ?? settings.MaxTokens,
        };
    }

    private CompletionSettings Resolve(CompletionSettings? settings)
        => settings is { Model: not null } ? settings : (settings ?? new CompletionSettings()) with { Model = Options.Model };

    private static void ValidateDimensions(int? dimensions)
    {
        if (dimensions is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "Dimensions must be at least 1.");
        }
    }
}
