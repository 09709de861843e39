using System.Text.Json;
using TypedBatch.Journaling;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Deferred;

/// <summary>
/// What a deferred batch of one kind (chat, embeddings) does with one request: render and check its input, fingerprint
/// it, write its line's body, take the answer a line brings back (or replay a journaled one), journal it, and send it
/// live when a deadline passes. <see cref="DeferredRun{TIn, TRequest, TOut}"/> does the rest, the same for every kind.
/// </summary>
/// <typeparam name="TIn">The batch's input.</typeparam>
/// <typeparam name="TRequest">One rendered request: a conversation, an embedding input.</typeparam>
/// <typeparam name="TOut">The item's value.</typeparam>
internal interface IDeferredKind<in TIn, TRequest, TOut>
    where TRequest : class
{
    /// <summary>The line <c>url</c> and batch <c>endpoint</c> at this provider.</summary>
    string Endpoint(IRemoteBatchApi api);

    /// <summary>The input's request; throws <see cref="ArgumentException"/> when it cannot be sent (its item's <see cref="BatchErrorKind.InvalidInput"/>).</summary>
    TRequest Render(TIn input);

    JournalFingerprint Fingerprint(JournalDefinition definition, TRequest request);

    /// <summary>A journaled item back as its result; null when its answer no longer builds the value (it is sent again).</summary>
    BatchWorkResult<TOut>? Replay(JournalFile journal, int index, JournalLookup lookup);

    /// <summary>The line's <c>body</c>: the same wire request a live call sends.</summary>
    void WriteBody(Utf8JsonWriter writer, TRequest request);

    /// <summary>A request back from its line in the spool (for a repair or a live fallback).</summary>
    TRequest ReadRequest(ReadOnlySpan<byte> line);

    /// <summary>
    /// A 200 line's body as the item's result, through the path a live answer takes; a typed answer that does not parse
    /// is repaired live. Throws <see cref="ProviderException"/> for an answer that gives no value (its item's error).
    /// </summary>
    ValueTask<BatchWorkResult<TOut>> AnswerAsync(JsonElement body, string? requestId, Func<TRequest> request, CancellationToken cancellationToken);

    /// <summary>Sends one request live (after a deadline).</summary>
    ValueTask<BatchWorkResult<TOut>> SendAsync(TRequest request, CancellationToken cancellationToken);

    /// <summary>Journals a success.</summary>
    Task AppendAsync(JournalFile journal, int index, JournalFingerprint fingerprint, BatchWorkResult<TOut> result);
}

/// <summary>
/// A chat batch of any shape (untyped, prompt method, typed prompt method), in the lines of the provider's Batch API
/// (<see cref="IBatchLineFormat"/>: the same request a live call to that provider sends, and its answer read the same way).
/// </summary>
internal sealed class ChatKind<TIn, TOut>(BatchEngine engine, BatchPlan plan, ChatShape<TIn, TOut> shape, IRemoteBatchApi api) : IDeferredKind<TIn, IReadOnlyList<PromptMessage>, TOut>
{
    private readonly string _model = Primary(engine)?.ModelOverride ?? plan.Model;
    private readonly StructuredOutputMode _structuredOutputs = Primary(engine)?.StructuredOutputs ?? StructuredOutputMode.JsonSchema;
    private readonly Pricing _pricing = engine.PricingFor(null);
    private readonly IBatchLineFormat _lines = api.Lines;

    public string Endpoint(IRemoteBatchApi api) => api.ChatEndpoint;

    public IReadOnlyList<PromptMessage> Render(TIn input)
    {
        IReadOnlyList<PromptMessage> messages = shape.Render(input);
        if (Guard.DescribeInvalidMessages(messages) is { } problem)
        {
            throw new ArgumentException($"Invalid conversation: {problem}; nothing was sent.", nameof(input));
        }

        return messages;
    }

    public JournalFingerprint Fingerprint(JournalDefinition definition, IReadOnlyList<PromptMessage> request) => JournalFingerprint.Of(definition, request);

    public BatchWorkResult<TOut>? Replay(JournalFile journal, int index, JournalLookup lookup) => BatchEngine.Replay(journal, index, lookup, shape.Rebuild, shape.CostOf);

    public void WriteBody(Utf8JsonWriter writer, IReadOnlyList<PromptMessage> request)
        => _lines.WriteChatBody(writer, new ChatRequest(request, plan.Settings), _model, _structuredOutputs);

    public IReadOnlyList<PromptMessage> ReadRequest(ReadOnlySpan<byte> line)
        => DeferredLines.ReadBody(line, _lines, body => _lines.ReadChatMessages(body, plan.Settings, _model, _structuredOutputs));

    public ValueTask<BatchWorkResult<TOut>> AnswerAsync(JsonElement body, string? requestId, Func<IReadOnlyList<PromptMessage>> request, CancellationToken cancellationToken)
    {
        string provider = engine.Provider is FallbackChatProvider chain ? chain.Providers[0].Name : engine.Provider.Name;
        ChatCompletion completion;
        try
        {
            completion = _lines.ReadChatAnswer(body, provider, requestId, _pricing, _model);
        }
        catch (JsonException invalid)
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, provider, $"The batch line's response body is not a chat answer: {engine.Redactor.Redact(invalid.Message)}", 200) { RequestId = requestId };
        }

        return shape.Answer(completion, request, cancellationToken);
    }

    public ValueTask<BatchWorkResult<TOut>> SendAsync(IReadOnlyList<PromptMessage> request, CancellationToken cancellationToken) => shape.Send(request, cancellationToken);

    public Task AppendAsync(JournalFile journal, int index, JournalFingerprint fingerprint, BatchWorkResult<TOut> result)
        => journal.AppendCompletion(index, fingerprint, result.Completion!, result.Usage, result.Attempts, result.Repairs, result.Deferred);

    private static IBatchApiProvider? Primary(BatchEngine engine)
        => (engine.Provider is FallbackChatProvider chain ? chain.Providers[0] : engine.Provider) as IBatchApiProvider;
}

/// <summary>An embeddings batch: one input per line (the Batch API counts inputs, not requests, against its limit).</summary>
internal sealed class EmbeddingKind(BatchEngine engine, BatchPlan plan) : IDeferredKind<string?, string, EmbeddingVector>
{
    private readonly string _model = ((engine.Provider is FallbackChatProvider chain ? chain.Providers[0] : engine.Provider) as IBatchApiProvider)?.ModelOverride ?? plan.Model;

    public string Endpoint(IRemoteBatchApi api) => api.EmbeddingsEndpoint ?? throw new NotSupportedException($"'{api.ProviderName}' batches no embeddings.");

    public string Render(string? input)
        => string.IsNullOrEmpty(input) ? throw new ArgumentException("The input is null or empty; it was not sent.", nameof(input)) : input;

    public JournalFingerprint Fingerprint(JournalDefinition definition, string request) => JournalFingerprint.Of(definition, request);

    public BatchWorkResult<EmbeddingVector>? Replay(JournalFile journal, int index, JournalLookup lookup)
    {
        JournalEntry entry = journal.Read(index, lookup);
        decimal? cost = engine.CostOf(entry, plan.Model);
        return entry.Succeeded
            ? new BatchWorkResult<EmbeddingVector>(entry.ToEmbedding(), entry.Usage, entry.Attempts, 0, entry.Provider) { FromJournal = true, Deferred = entry.Deferred, Cost = cost }
            : new BatchWorkResult<EmbeddingVector>(null!, entry.Usage, entry.Attempts, 0, entry.Provider) { FromJournal = true, Deferred = entry.Deferred, Error = entry.ToError(), Cost = cost };
    }

    public void WriteBody(Utf8JsonWriter writer, string request)
        => JsonSerializer.Serialize(writer, new EmbeddingRequestDto { Model = _model, Input = [request], Dimensions = plan.Dimensions, EncodingFormat = "base64" }, WireJsonContext.Wire.EmbeddingRequestDto);

    public string ReadRequest(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        using var document = JsonDocument.ParseValue(ref reader);
        JsonElement input = document.RootElement.GetProperty("body").GetProperty("input");
        return (input.ValueKind == JsonValueKind.Array ? input[0] : input).GetString() ?? string.Empty;
    }

    public ValueTask<BatchWorkResult<EmbeddingVector>> AnswerAsync(JsonElement body, string? requestId, Func<string> request, CancellationToken cancellationToken)
    {
        string provider = engine.Provider is FallbackChatProvider chain ? chain.Providers[0].Name : engine.Provider.Name;
        EmbeddingResponseDto? dto;
        try
        {
            dto = body.Deserialize(WireJsonContext.Wire.EmbeddingResponseDto);
        }
        catch (JsonException invalid)
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, provider, $"The batch line's response body is not an embeddings response: {engine.Redactor.Redact(invalid.Message)}", 200) { RequestId = requestId };
        }

        if (dto?.Data is not [{ Embedding: { } vector }])
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, provider, $"The batch line's response has {dto?.Data?.Count ?? 0} embeddings for 1 input.", 200) { RequestId = requestId };
        }

        TokenUsage usage = dto.Usage?.ToTokenUsage() ?? default;
        decimal? cost = engine.PricingFor(provider).Cost(dto.Model, _model, usage, deferred: true);
        return ValueTask.FromResult(new BatchWorkResult<EmbeddingVector>(new EmbeddingVector(vector, dto.Model), usage, 1, 0, provider) { Cost = cost });
    }

    public async ValueTask<BatchWorkResult<EmbeddingVector>> SendAsync(string request, CancellationToken cancellationToken)
    {
        EmbeddingResponse response = await engine.Provider.EmbedAsync(new EmbeddingRequest([request], plan.Model, plan.Dimensions), cancellationToken).ConfigureAwait(false);
        if (response.Embeddings.Count != 1)
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, engine.Provider.Name, $"The provider returned {response.Embeddings.Count} embeddings for 1 input.", 200);
        }

        return new BatchWorkResult<EmbeddingVector>(response.Embeddings[0], response.Usage, response.Attempts, 0, engine.Provider.Name) { Cost = response.Cost };
    }

    public Task AppendAsync(JournalFile journal, int index, JournalFingerprint fingerprint, BatchWorkResult<EmbeddingVector> result)
        => journal.AppendEmbedding(index, fingerprint, result.Value, result.Usage, result.Attempts, result.Provider, result.Deferred);
}
