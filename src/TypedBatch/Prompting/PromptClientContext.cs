using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Text.Json;

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

    /// <summary>Sends one rendered prompt and reads a typed answer, repairing it if it does not parse.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="messages">The rendered messages.</param>
    /// <param name="settings">The method's settings.</param>
    /// <param name="spec">The schema, parser and repair budget.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="ProviderException">The call failed, the model refused, the answer was cut off, or it did not fit after every repair.</exception>
    public async Task<T> CompleteStructuredAsync<T>(ChatMessage[] messages, CompletionSettings settings, StructuredOutputSpec<T> spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        CompletionSettings resolved = _client.ResolveSettings(settings, null) with { ResponseFormat = spec.Format };
        BatchWorkResult<T> result = await CompleteStructuredCoreAsync(messages, resolved, spec, spec.MaxRepairAttempts, cancellationToken).ConfigureAwait(false);
        return result.Value;
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
    public Task<BatchResult<TOut>> RunStructuredBatchAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, ChatMessage[]> render, CompletionSettings settings, StructuredOutputSpec<TOut> spec, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(spec);
        (CompletionSettings resolved, BatchRunDescriptor descriptor) = Prepare(settings with { ResponseFormat = spec.Format }, options, operation);
        int repairs = options?.MaxRepairAttempts ?? spec.MaxRepairAttempts;
        return _client.Runner.RunAsync(inputs, (input, ct) => CompleteStructuredCoreAsync(render(input), resolved, spec, repairs, ct), descriptor, cancellationToken);
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
    public IAsyncEnumerable<BatchItem<TOut>> RunStructuredAsCompletedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, ChatMessage[]> render, CompletionSettings settings, StructuredOutputSpec<TOut> spec, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(spec);
        (CompletionSettings resolved, BatchRunDescriptor descriptor) = Prepare(settings with { ResponseFormat = spec.Format }, options, operation);
        int repairs = options?.MaxRepairAttempts ?? spec.MaxRepairAttempts;
        return _client.Runner.RunAsCompletedAsync(inputs, (input, ct) => CompleteStructuredCoreAsync(render(input), resolved, spec, repairs, ct), descriptor, cancellationToken);
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
        _client.ApplyRateLimits(resolved.Model!, options);
        var descriptor = new BatchRunDescriptor(operation, _client.Provider.Name, resolved.Model!, options?.MaxConcurrency ?? _client.Options.MaxConcurrency)
        {
            Temperature = resolved.Temperature,
            MaxTokens = resolved.MaxTokens,
            Progress = options?.Progress,
            AdaptiveConcurrency = options?.AdaptiveConcurrency ?? true,
        };
        return (resolved, descriptor);
    }

    /// <summary>
    /// One typed item: send, then refuse, truncate or parse; an answer that does not parse is sent back with the error
    /// up to <paramref name="maxRepairs"/> times. Tokens and HTTP attempts of every round are counted.
    /// </summary>
    private async ValueTask<BatchWorkResult<T>> CompleteStructuredCoreAsync<T>(ChatMessage[] messages, CompletionSettings settings, StructuredOutputSpec<T> spec, int maxRepairs, CancellationToken cancellationToken)
    {
        TokenUsage usage = default;
        int attempts = 0;
        IReadOnlyList<ChatMessage> conversation = messages;
        for (int repair = 0; ; repair++)
        {
            ChatCompletion completion;
            try
            {
                completion = await _client.Provider.CompleteAsync(new ChatRequest(conversation, settings), cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException failed) when (repair > 0)
            {
                throw new ProviderException(failed.Kind, failed.Provider, failed.ProviderMessage, failed.StatusCode)
                {
                    ErrorType = failed.ErrorType,
                    ErrorCode = failed.ErrorCode,
                    RequestId = failed.RequestId,
                    Attempts = attempts + failed.Attempts,
                    Usage = usage,
                    Repairs = repair,
                };
            }

            usage += completion.Usage;
            attempts += completion.Attempts;
            string provider = completion.Provider ?? _client.Provider.Name;
            if (completion.Content is null)
            {
                throw new ProviderException(completion.Refusal is null ? BatchErrorKind.InvalidOutput : BatchErrorKind.Refused, provider, completion.Refusal ?? "The answer has no content.")
                {
                    Usage = usage,
                    Attempts = attempts,
                    Repairs = repair,
                };
            }

            if (completion.FinishReason == "length")
            {
                throw new ProviderException(BatchErrorKind.Truncated, provider, $"The answer was cut off at {settings.MaxTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "the model's"} max tokens; raise MaxTokens.")
                {
                    Usage = usage,
                    Attempts = attempts,
                    Repairs = repair,
                    RawOutput = completion.Content,
                };
            }

            try
            {
                T value = spec.Parse(StructuredOutput.ExtractJson(completion.Content));
                return new BatchWorkResult<T>(value, usage, attempts, repair, completion.Provider);
            }
            catch (JsonException invalid)
            {
                if (repair >= maxRepairs)
                {
                    throw new ProviderException(BatchErrorKind.InvalidOutput, provider, $"The answer does not fit {typeof(T).Name} after {repair} repair attempt(s): {invalid.Message}")
                    {
                        Usage = usage,
                        Attempts = attempts,
                        Repairs = repair,
                        RawOutput = completion.Content,
                    };
                }

                conversation =
                [
                    .. conversation,
                    ChatMessage.Assistant(completion.Content),
                    ChatMessage.User($"That answer is not valid: {invalid.Message} Reply again with only the corrected JSON, conforming to the schema."),
                ];
            }
        }
    }

    private async ValueTask<BatchWorkResult<TOut>> CompleteMappedAsync<TOut>(ChatMessage[] messages, CompletionSettings settings, Func<ChatCompletion, TOut> map, CancellationToken cancellationToken)
    {
        ChatCompletion completion = await _client.Provider.CompleteAsync(new ChatRequest(messages, settings), cancellationToken).ConfigureAwait(false);
        return new BatchWorkResult<TOut>(map(completion), completion.Usage, completion.Attempts, 0, completion.Provider);
    }
}
