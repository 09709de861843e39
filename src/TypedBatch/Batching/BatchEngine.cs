using Microsoft.Extensions.Logging;

using TypedBatch.Providers;

namespace TypedBatch;

/// <summary>
/// What every entry point runs on: the provider, the client's defaults and the runner, with the work of one item of
/// each kind (a conversation, a rendered prompt, a typed prompt, a packed embeddings request). The untyped API on
/// <see cref="TypedBatchClient"/> and the generated clients (through <see cref="PromptClientContext"/>) both plan
/// their batches with <see cref="BatchPlanner"/> and run them here.
/// </summary>
internal sealed class BatchEngine
{
    public BatchEngine(IChatProvider provider, TypedBatchOptions options, ILoggerFactory loggerFactory, TimeProvider time, SecretRedactor? redactor = null)
    {
        Redactor = redactor ?? SecretRedactor.None;
        Provider = provider;
        Options = options;
        Runner = new BatchRunner(loggerFactory.CreateLogger<BatchRunner>(), time);
    }

    public IChatProvider Provider { get; }

    /// <summary>The providers' secrets: a model's answer kept on an error is masked like a server's error text.</summary>
    public SecretRedactor Redactor { get; }

    public TypedBatchOptions Options { get; }

    public BatchRunner Runner { get; }

    /// <summary>The settings of a single call: the client's model when none is set.</summary>
    public CompletionSettings Resolve(CompletionSettings settings) => BatchPlanner.Resolve(settings, null, Options);

    /// <summary>One call of either API; an invalid conversation (an empty rendered message, say) throws, with nothing sent.</summary>
    public Task<ChatCompletion> CompleteAsync(IReadOnlyList<ChatMessage> messages, CompletionSettings settings, CancellationToken cancellationToken)
    {
        EnsureValid(messages);
        return Provider.CompleteAsync(new ChatRequest(messages, Resolve(settings)), cancellationToken);
    }

    public async Task<T> CompleteStructuredAsync<T>(IReadOnlyList<ChatMessage> messages, CompletionSettings settings, StructuredOutputSpec<T> spec, CancellationToken cancellationToken)
    {
        EnsureValid(messages);
        BatchWorkResult<T> result = await StructuredCompletion.CompleteAsync(Provider, messages, Resolve(settings) with { ResponseFormat = spec.Format }, spec, spec.MaxRepairAttempts, Redactor, cancellationToken).ConfigureAwait(false);
        return result.Value;
    }

    /// <summary>One conversation of the untyped API: an invalid one fails its own item, with nothing sent.</summary>
    public Func<IReadOnlyList<ChatMessage>, CancellationToken, ValueTask<BatchWorkResult<ChatCompletion>>> ConversationWork(BatchPlan plan)
        => async (messages, ct) =>
        {
            EnsureValid(messages);
            ChatCompletion completion = await Provider.CompleteAsync(new ChatRequest(messages, plan.Settings), ct).ConfigureAwait(false);
            return new BatchWorkResult<ChatCompletion>(completion, completion.Usage, completion.Attempts, 0, completion.Provider);
        };

    /// <summary>One rendered prompt whose completion is mapped to the method's result; an empty rendered message fails its item.</summary>
    public Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> PromptWork<TIn, TOut>(BatchPlan plan, Func<TIn, ChatMessage[]> render, Func<ChatCompletion, TOut> map)
        => async (input, ct) =>
        {
            ChatMessage[] messages = render(input);
            EnsureValid(messages);
            ChatCompletion completion = await Provider.CompleteAsync(new ChatRequest(messages, plan.Settings), ct).ConfigureAwait(false);
            return new BatchWorkResult<TOut>(map(completion), completion.Usage, completion.Attempts, 0, completion.Provider);
        };

    /// <summary>One rendered typed prompt, parsed and repaired; an empty rendered message fails its item.</summary>
    public Func<TIn, CancellationToken, ValueTask<BatchWorkResult<TOut>>> StructuredWork<TIn, TOut>(BatchPlan plan, Func<TIn, ChatMessage[]> render, StructuredOutputSpec<TOut> spec)
        => (input, ct) =>
        {
            ChatMessage[] messages = render(input);
            EnsureValid(messages);
            return StructuredCompletion.CompleteAsync(Provider, messages, plan.Settings, spec, plan.MaxRepairAttempts, Redactor, ct);
        };

    /// <summary>
    /// The one rule for what may be sent, for generated and untyped calls alike: no null or empty conversation and no
    /// message with blank content (a prompt rendered from "" or null). A single call throws the
    /// <see cref="ArgumentException"/>; in a batch the runner makes it the item's <see cref="BatchErrorKind.InvalidInput"/>.
    /// </summary>
    private static void EnsureValid(IReadOnlyList<ChatMessage>? messages)
    {
        if (Guard.DescribeInvalidMessages(messages) is { } problem)
        {
            throw new ArgumentException($"Invalid conversation: {problem}; nothing was sent.", nameof(messages));
        }
    }

    public async Task<Embedding> EmbedAsync(string input, string? model, int? dimensions, CancellationToken cancellationToken)
    {
        EmbeddingResponse response = await Provider.EmbedAsync(new EmbeddingRequest([input], model ?? Options.EmbeddingModel, dimensions), cancellationToken).ConfigureAwait(false);
        return response.Embeddings[0];
    }

    /// <summary>Embeds every input, packed into large requests; one item per input, in input order.</summary>
    public Task<BatchResult<Embedding>> EmbedBatchAsync(BatchPlan plan, IEnumerable<string?> inputs, CancellationToken cancellationToken)
        => Runner.RunPackedAsync(Pack(inputs), EmbeddingWork(plan), EmbeddingPacker.Packing, WithSize(plan, inputs), cancellationToken);

    /// <summary>Embeds every input, packed into large requests; yields the items of each request as it completes.</summary>
    public IAsyncEnumerable<BatchItem<Embedding>> EmbedAsCompletedAsync(BatchPlan plan, IEnumerable<string?> inputs, CancellationToken cancellationToken)
        => Runner.RunPackedAsCompletedAsync(Pack(inputs), EmbeddingWork(plan), EmbeddingPacker.Packing, WithSize(plan, inputs), cancellationToken);

    private IEnumerable<EmbeddingChunk> Pack(IEnumerable<string?> inputs)
        => EmbeddingPacker.Pack(inputs, Options.EmbeddingInputsPerRequest, Options.EmbeddingTokensPerRequest);

    private static BatchPlan WithSize(BatchPlan plan, IEnumerable<string?> inputs)
        => plan.Size is null && inputs.TryGetNonEnumeratedCount(out int count) ? plan with { Size = count } : plan;

    /// <summary>Sends one chunk. Never throws but for cancellation: a failure becomes the outcome of every input it carried.</summary>
    private Func<EmbeddingChunk, CancellationToken, ValueTask<BatchWorkResult<EmbeddingChunkOutcome>>> EmbeddingWork(BatchPlan plan)
        => async (chunk, ct) =>
        {
            string[] valid = chunk.Inputs.Where(s => !string.IsNullOrEmpty(s)).ToArray()!;
            if (valid.Length == 0)
            {
                return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome([], null), default, 0);
            }

            try
            {
                EmbeddingResponse response = await Provider.EmbedAsync(new EmbeddingRequest(valid, plan.Model, plan.Dimensions), ct).ConfigureAwait(false);
                if (response.Embeddings.Count != valid.Length)
                {
                    var mismatch = new BatchError(BatchErrorKind.InvalidOutput, $"The provider returned {response.Embeddings.Count} embeddings for {valid.Length} inputs.") { Provider = Provider.Name };
                    return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome([], mismatch), response.Usage, response.Attempts);
                }

                return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome(response.Embeddings, null), response.Usage, response.Attempts);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                int attempts = ex is ProviderException p ? p.Attempts : 0;
                return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome([], BatchError.FromException(ex)), default, attempts);
            }
        };
}
