using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace TypedBatch;

/// <summary>
/// What a generated prompt client calls: the client's engine, with every batch planned by <see cref="BatchPlanner"/>
/// from the method's attributes, the call's <see cref="BatchOptions"/> and the client's defaults. Not meant for direct use.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class PromptClientContext
{
    private readonly BatchEngine _engine;

    /// <summary>Creates the context over a client.</summary>
    /// <param name="client">The client.</param>
    public PromptClientContext(TypedBatchClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _engine = client.Engine;
    }

    /// <summary>Sends one rendered prompt.</summary>
    /// <param name="messages">The rendered messages.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<ChatCompletion> CompleteAsync(PromptMessage[] messages, CompletionSettings settings, CancellationToken cancellationToken)
        => _engine.CompleteAsync(messages, settings, cancellationToken);

    /// <summary>Sends one rendered prompt streamed and hands out the answer's text as it arrives; a refusal fails the call.</summary>
    /// <param name="messages">The rendered messages.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="cancellationToken">Cancels the call and the stream.</param>
    /// <exception cref="ProviderException">The call failed, the stream broke after it began, or the model refused.</exception>
    public async IAsyncEnumerable<string> StreamAsync(PromptMessage[] messages, CompletionSettings settings, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        System.Text.StringBuilder? refusal = null;
        ChatCompletionUpdate? last = null;
        await foreach (ChatCompletionUpdate update in _engine.StreamAsync(messages, settings, cancellationToken).ConfigureAwait(false))
        {
            last = update;
            if (update.Refusal is { } refused)
            {
                (refusal ??= new System.Text.StringBuilder()).Append(refused);
            }
            else if (update.Text is { } text)
            {
                yield return text;
            }
        }

        if (refusal is not null)
        {
            throw new ProviderException(BatchErrorKind.Refused, last?.Provider ?? _engine.Provider.Name, refusal.ToString()) { Usage = last?.Usage ?? default, Attempts = last?.Attempts ?? 1 };
        }
    }

    /// <summary>
    /// Renders a prompt for every input and streams every answer: text deltas as they arrive, interleaved, and one final
    /// delta per input with its item; a refusal fails its item.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="render">Builds the messages of one input.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="options">Per-call overrides.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public IAsyncEnumerable<BatchDelta> RunChatStreamBatchAsync<TIn>(IEnumerable<TIn> inputs, Func<TIn, PromptMessage[]> render, CompletionSettings settings, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(render);
        BatchPlanner.EnsureStreamable(options);
        BatchPlan plan = BatchPlanner.Chat(operation, _engine.Provider.Name, settings, options, _engine.Options);
        return _engine.StreamChatBatchAsync(plan, inputs, input => render(input), TextOf, cancellationToken);
    }

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
    public Task<BatchResult<TOut>> RunChatBatchAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, PromptMessage[]> render, CompletionSettings settings, Func<ChatCompletion, TOut> map, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        BatchPlan plan = BatchPlanner.Chat(operation, _engine.Provider.Name, settings, options, _engine.Options);
        return _engine.RunChatAsync(plan, inputs, _engine.PromptShape(plan, render, map), cancellationToken);
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
    public IAsyncEnumerable<BatchItem<TOut>> RunChatAsCompletedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, PromptMessage[]> render, CompletionSettings settings, Func<ChatCompletion, TOut> map, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        BatchPlan plan = BatchPlanner.Chat(operation, _engine.Provider.Name, settings, options, _engine.Options);
        return _engine.RunChatAsCompletedAsync(plan, inputs, _engine.PromptShape(plan, render, map), cancellationToken);
    }

    /// <summary>Embeds one text.</summary>
    /// <param name="text">The text.</param>
    /// <param name="model">The method's model, or null for the client's.</param>
    /// <param name="dimensions">The method's dimensions, if any.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<EmbeddingVector> EmbedAsync(string text, string? model, int? dimensions, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        return _engine.EmbedAsync(text, model, dimensions, cancellationToken);
    }

    /// <summary>Embeds many texts, packed into large requests; results in input order.</summary>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The texts.</param>
    /// <param name="model">The method's model, or null for the client's.</param>
    /// <param name="dimensions">The method's dimensions, if any.</param>
    /// <param name="map">Turns an embedding into the result.</param>
    /// <param name="options">Per-call overrides (model, concurrency, limits, progress).</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public async Task<BatchResult<TOut>> RunEmbeddingBatchAsync<TOut>(IEnumerable<string> inputs, string? model, int? dimensions, Func<EmbeddingVector, TOut> map, BatchOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        BatchPlan plan = BatchPlanner.Embeddings("embeddings", _engine.Provider.Name, model, dimensions, options, _engine.Options);
        BatchResult<EmbeddingVector> result;
        try
        {
            result = await _engine.EmbedBatchAsync(plan, inputs, cancellationToken).ConfigureAwait(false);
        }
        catch (BatchCanceledException<EmbeddingVector> cancelled)
        {
            throw cancelled.MapValues(map);
        }

        return result.MapValues(map);
    }

    /// <summary>Embeds many texts, packed into large requests; yields results as each request completes.</summary>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The texts.</param>
    /// <param name="model">The method's model, or null for the client's.</param>
    /// <param name="dimensions">The method's dimensions, if any.</param>
    /// <param name="map">Turns an embedding into the result.</param>
    /// <param name="options">Per-call overrides (model, concurrency, limits, progress).</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public async IAsyncEnumerable<BatchItem<TOut>> RunEmbeddingAsCompletedAsync<TOut>(IEnumerable<string> inputs, string? model, int? dimensions, Func<EmbeddingVector, TOut> map, BatchOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        BatchPlan plan = BatchPlanner.Embeddings("embeddings", _engine.Provider.Name, model, dimensions, options, _engine.Options);
        await foreach (BatchItem<EmbeddingVector> item in _engine.EmbedAsCompletedAsync(plan, inputs, cancellationToken).ConfigureAwait(false))
        {
            yield return item.MapValue(map);
        }
    }

    /// <summary>Sends one rendered prompt and reads a typed answer, repairing it if it does not parse.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="messages">The rendered messages.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="spec">The schema, parser and repair budget.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ProviderException">The call failed, the model refused, the answer was cut off, or it did not fit after every repair.</exception>
    public async Task<T> CompleteStructuredAsync<T>(PromptMessage[] messages, CompletionSettings settings, StructuredOutputSpec<T> spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return await _engine.CompleteStructuredAsync(messages, settings, spec, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Renders and sends a typed prompt for every input; results in input order.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="render">Builds the messages of one input.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="spec">The schema, parser and repair budget.</param>
    /// <param name="options">Per-call overrides.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public Task<BatchResult<TOut>> RunStructuredBatchAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, PromptMessage[]> render, CompletionSettings settings, StructuredOutputSpec<TOut> spec, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(spec);
        BatchPlan plan = BatchPlanner.Chat(operation, _engine.Provider.Name, settings with { ResponseFormat = spec.Format }, options, _engine.Options, spec.MaxRepairAttempts);
        return _engine.RunChatAsync(plan, inputs, _engine.StructuredShape(plan, render, spec), cancellationToken);
    }

    /// <summary>Renders and sends a typed prompt for every input; yields results as they complete.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="render">Builds the messages of one input.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="spec">The schema, parser and repair budget.</param>
    /// <param name="options">Per-call overrides.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public IAsyncEnumerable<BatchItem<TOut>> RunStructuredAsCompletedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, PromptMessage[]> render, CompletionSettings settings, StructuredOutputSpec<TOut> spec, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(spec);
        BatchPlan plan = BatchPlanner.Chat(operation, _engine.Provider.Name, settings with { ResponseFormat = spec.Format }, options, _engine.Options, spec.MaxRepairAttempts);
        return _engine.RunChatAsCompletedAsync(plan, inputs, _engine.StructuredShape(plan, render, spec), cancellationToken);
    }

    /// <summary>The answer's text; a refusal or an empty answer fails the call.</summary>
    /// <param name="completion">The completion.</param>
    /// <exception cref="ProviderException">The model refused or returned no content.</exception>
    public static string TextOf(ChatCompletion completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        if (completion.Content is { } content)
        {
            return content;
        }

        throw completion.Refusal is { } refusal
            ? new ProviderException(BatchErrorKind.Refused, completion.Provider ?? "provider", refusal) { Usage = completion.Usage, Attempts = completion.Attempts }
            : new ProviderException(BatchErrorKind.InvalidOutput, completion.Provider ?? "provider", "The answer has no content.") { Usage = completion.Usage, Attempts = completion.Attempts };
    }

    /// <summary>The completion itself.</summary>
    /// <param name="completion">The completion.</param>
    public static ChatCompletion CompletionOf(ChatCompletion completion) => completion;

    /// <summary>The embedding itself.</summary>
    /// <param name="embedding">The embedding.</param>
    public static EmbeddingVector EmbeddingOf(EmbeddingVector embedding) => embedding;

    /// <summary>The vector as a new array.</summary>
    /// <param name="embedding">The embedding.</param>
    public static float[] FloatsOf(EmbeddingVector embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        return embedding.Vector.ToArray();
    }

    /// <summary>The vector.</summary>
    /// <param name="embedding">The embedding.</param>
    public static ReadOnlyMemory<float> MemoryOf(EmbeddingVector embedding)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        return embedding.Vector;
    }
}
