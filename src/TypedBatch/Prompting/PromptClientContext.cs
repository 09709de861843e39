using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace TypedBatch;

/// <summary>
/// What a generated prompt client calls: the client's provider and runner, with settings resolved from the
/// method's attributes, the call's <see cref="BatchOptions"/> and the client's defaults. Not meant for direct use.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class PromptClientContext
{
    private readonly TypedBatchClient _client;

    /// <summary>Creates the context over a client.</summary>
    /// <param name="client">The client.</param>
    public PromptClientContext(TypedBatchClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <summary>Sends one rendered prompt.</summary>
    /// <param name="messages">The rendered messages.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<ChatCompletion> CompleteAsync(ChatMessage[] messages, CompletionSettings settings, CancellationToken cancellationToken)
        => _client.Provider.CompleteAsync(new ChatRequest(messages, _client.ResolveSettings(settings, null)), cancellationToken);

    /// <summary>Renders and sends a prompt for every input; results in input order.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="render">Builds the messages of one input.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="map">Turns a completion into the result.</param>
    /// <param name="options">Per-call overrides.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public Task<BatchResult<TOut>> RunChatBatchAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, ChatMessage[]> render, CompletionSettings settings, Func<ChatCompletion, TOut> map, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        (CompletionSettings resolved, BatchRunDescriptor descriptor) = Prepare(settings, options, operation);
        return _client.Runner.RunAsync(inputs, (input, ct) => CompleteMappedAsync(render(input), resolved, map, ct), descriptor, cancellationToken);
    }

    /// <summary>Renders and sends a prompt for every input; yields results as they complete.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="render">Builds the messages of one input.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="map">Turns a completion into the result.</param>
    /// <param name="options">Per-call overrides.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public IAsyncEnumerable<BatchItem<TOut>> RunChatAsCompletedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, ChatMessage[]> render, CompletionSettings settings, Func<ChatCompletion, TOut> map, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        (CompletionSettings resolved, BatchRunDescriptor descriptor) = Prepare(settings, options, operation);
        return _client.Runner.RunAsCompletedAsync(inputs, (input, ct) => CompleteMappedAsync(render(input), resolved, map, ct), descriptor, cancellationToken);
    }

    /// <summary>Embeds one text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="model">The method's model, or null for the client's.</param>
    /// <param name="dimensions">The method's dimensions, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<Embedding> EmbedAsync(string text, string? model, int? dimensions, CancellationToken cancellationToken)
        => _client.CreateEmbeddingAsync(text, model, dimensions, cancellationToken);

    /// <summary>Embeds many texts, packed into large requests; results in input order.</summary>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The texts.</param>
    /// <param name="model">The method's model, or null for the client's.</param>
    /// <param name="dimensions">The method's dimensions, if any.</param>
    /// <param name="map">Turns an embedding into the result.</param>
    /// <param name="options">Per-call overrides (model, concurrency).</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public async Task<BatchResult<TOut>> RunEmbeddingBatchAsync<TOut>(IEnumerable<string> inputs, string? model, int? dimensions, Func<Embedding, TOut> map, BatchOptions? options, CancellationToken cancellationToken)
    {
        options?.Validate(nameof(options));
        BatchResult<Embedding> result = await _client.CreateEmbeddingsBatchAsync(inputs, options?.Model ?? model, dimensions, options?.MaxConcurrency ?? _client.Options.MaxConcurrency, cancellationToken).ConfigureAwait(false);
        return result.MapValues(map);
    }

    /// <summary>Embeds many texts, packed into large requests; yields results as each request completes.</summary>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The texts.</param>
    /// <param name="model">The method's model, or null for the client's.</param>
    /// <param name="dimensions">The method's dimensions, if any.</param>
    /// <param name="map">Turns an embedding into the result.</param>
    /// <param name="options">Per-call overrides (model, concurrency).</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public async IAsyncEnumerable<BatchItem<TOut>> RunEmbeddingAsCompletedAsync<TOut>(IEnumerable<string> inputs, string? model, int? dimensions, Func<Embedding, TOut> map, BatchOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        options?.Validate(nameof(options));
        await foreach (BatchItem<Embedding> item in _client.CreateEmbeddingsAsCompletedAsync(inputs, options?.Model ?? model, dimensions, options?.MaxConcurrency ?? _client.Options.MaxConcurrency, cancellationToken).ConfigureAwait(false))
        {
            yield return item.MapValue(map);
        }
    }

    /// <summary>The answer's text; a refusal or an empty answer fails the call.</summary>
    /// <param name="completion">The completion.</param>
    /// <exception cref="ProviderException">The model refused or returned no content.</exception>
    public static string TextOf(ChatCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return completion.Content ?? throw new ProviderException(
            BatchErrorKind.InvalidOutput,
            completion.Provider ?? "provider",
            completion.Refusal is { } refusal ? $"The model refused: {refusal}" : "The answer has no content.");
    }

    /// <summary>The completion itself.</summary>
    /// <param name="completion">The completion.</param>
    public static ChatCompletion CompletionOf(ChatCompletion completion) => completion;

    /// <summary>The embedding itself.</summary>
    /// <param name="embedding">The embedding.</param>
    public static Embedding EmbeddingOf(Embedding embedding) => embedding;

    /// <summary>The vector as a new array.</summary>
    /// <param name="embedding">The embedding.</param>
    public static float[] FloatsOf(Embedding embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        return embedding.Vector.ToArray();
    }

    /// <summary>The vector.</summary>
    /// <param name="embedding">The embedding.</param>
    public static ReadOnlyMemory<float> MemoryOf(Embedding embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        return embedding.Vector;
    }

    private (CompletionSettings Settings, BatchRunDescriptor Descriptor) Prepare(CompletionSettings settings, BatchOptions? options, string operation)
    {
        options?.Validate(nameof(options));
        CompletionSettings resolved = _client.ResolveSettings(settings, options);
        var descriptor = new BatchRunDescriptor(operation, _client.Provider.Name, resolved.Model!, options?.MaxConcurrency ?? _client.Options.MaxConcurrency)
        {
            Temperature = resolved.Temperature,
            MaxTokens = resolved.MaxTokens,
            Progress = options?.Progress,
        };
        return (resolved, descriptor);
    }

    private async ValueTask<BatchWorkResult<TOut>> CompleteMappedAsync<TOut>(ChatMessage[] messages, CompletionSettings settings, Func<ChatCompletion, TOut> map, CancellationToken cancellationToken)
    {
        ChatCompletion completion = await _client.Provider.CompleteAsync(new ChatRequest(messages, settings), cancellationToken).ConfigureAwait(false);
        return new BatchWorkResult<TOut>(map(completion), completion.Usage, completion.Attempts);
    }
}
