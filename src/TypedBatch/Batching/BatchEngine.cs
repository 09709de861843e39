using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using TypedBatch.Deferred;
using TypedBatch.Journaling;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch;

/// <summary>
/// What every entry point runs on: the provider, the client's defaults and the runner, with the work of one item of
/// each kind (a conversation, a rendered prompt, a typed prompt, a packed embeddings request). The untyped API on
/// <see cref="TypedBatchClient"/> and the generated clients (through <see cref="PromptClientContext"/>) both plan
/// their batches with <see cref="BatchPlanner"/> and run them here.
/// </summary>
internal sealed class BatchEngine
{
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;

    public BatchEngine(IChatProvider provider, TypedBatchOptions options, ILoggerFactory loggerFactory, TimeProvider time, SecretRedactor? redactor = null)
    {
        Redactor = redactor ?? SecretRedactor.None;
        Provider = provider;
        BatchProvider = new HedgingChatProvider(provider);
        Options = options;
        Runner = new BatchRunner(loggerFactory.CreateLogger<BatchRunner>(), time);
        _time = time;
        _loggerFactory = loggerFactory;
    }

    public IChatProvider Provider { get; }

    /// <summary>The provider as a live batch's items call it: their slow requests hedged when the batch hedges.</summary>
    public IChatProvider BatchProvider { get; }

    /// <summary>The providers' secrets: a model's answer kept on an error is masked like a server's error text.</summary>
    public SecretRedactor Redactor { get; }

    public TypedBatchOptions Options { get; }

    public BatchRunner Runner { get; }

    /// <summary>The settings of a single call: the client's model when none is set.</summary>
    public CompletionSettings Resolve(CompletionSettings settings) => BatchPlanner.Resolve(settings, null, Options);

    /// <summary>One call of either API; an invalid conversation (an empty rendered message, say) throws, with nothing sent.</summary>
    public Task<ChatCompletion> CompleteAsync(IReadOnlyList<PromptMessage> messages, CompletionSettings settings, CancellationToken cancellationToken)
    {
        EnsureValid(messages);
        return Provider.CompleteAsync(new ChatRequest(messages, Resolve(settings)), cancellationToken);
    }

    /// <summary>One streamed call of the untyped API; an invalid conversation throws, with nothing sent.</summary>
    public IAsyncEnumerable<ChatCompletionUpdate> StreamAsync(IReadOnlyList<PromptMessage> messages, CompletionSettings settings, CancellationToken cancellationToken)
    {
        EnsureValid(messages);
        return Provider.StreamAsync(new ChatRequest(messages, Resolve(settings)), cancellationToken);
    }

    public async Task<T> CompleteStructuredAsync<T>(IReadOnlyList<PromptMessage> messages, CompletionSettings settings, StructuredOutputSpec<T> spec, CancellationToken cancellationToken)
    {
        EnsureValid(messages);
        BatchWorkResult<T> result = await StructuredCompletion.CompleteAsync(Provider, messages, Resolve(settings) with { ResponseFormat = spec.Format }, spec, spec.MaxRepairAttempts, Redactor, cancellationToken).ConfigureAwait(false);
        return result.Value;
    }

    /// <summary>One conversation of the untyped API: an invalid one fails its own item, with nothing sent.</summary>
    public ChatShape<IReadOnlyList<PromptMessage>, ChatCompletion> ConversationShape(BatchPlan plan) => new()
    {
        Render = static messages => messages,
        Send = async (messages, ct) =>
        {
            ChatCompletion completion = await BatchProvider.CompleteAsync(new ChatRequest(messages, plan.Settings), ct).ConfigureAwait(false);
            return new BatchWorkResult<ChatCompletion>(completion, completion.Usage, completion.Attempts, 0, completion.Provider) { Completion = completion, Cost = completion.Cost, Hedged = completion.Hedged };
        },
        Rebuild = static completion => completion,
        Answer = static (completion, _, _) => ValueTask.FromResult(new BatchWorkResult<ChatCompletion>(completion, completion.Usage, completion.Attempts, 0, completion.Provider) { Completion = completion, Cost = completion.Cost }),
        CostOf = entry => CostOf(entry, plan.Model),
    };

    /// <summary>One rendered prompt whose completion is mapped to the method's result; an empty rendered message fails its item.</summary>
    public ChatShape<TIn, TOut> PromptShape<TIn, TOut>(BatchPlan plan, Func<TIn, PromptMessage[]> render, Func<ChatCompletion, TOut> map) => new()
    {
        Render = render,
        Send = async (messages, ct) =>
        {
            ChatCompletion completion = await BatchProvider.CompleteAsync(new ChatRequest(messages, plan.Settings), ct).ConfigureAwait(false);
            return new BatchWorkResult<TOut>(map(completion), completion.Usage, completion.Attempts, 0, completion.Provider) { Completion = completion, Cost = completion.Cost, Hedged = completion.Hedged };
        },
        Rebuild = map,
        Answer = (completion, _, _) => ValueTask.FromResult(new BatchWorkResult<TOut>(map(completion), completion.Usage, completion.Attempts, 0, completion.Provider) { Completion = completion, Cost = completion.Cost }),
        CostOf = entry => CostOf(entry, plan.Model),
    };

    /// <summary>One rendered typed prompt, parsed and repaired; an empty rendered message fails its item.</summary>
    public ChatShape<TIn, TOut> StructuredShape<TIn, TOut>(BatchPlan plan, Func<TIn, PromptMessage[]> render, StructuredOutputSpec<TOut> spec) => new()
    {
        Render = render,
        Send = (messages, ct) => StructuredCompletion.CompleteAsync(BatchProvider, messages, plan.Settings, spec, plan.MaxRepairAttempts, Redactor, ct),
        Rebuild = completion => spec.Parse(StructuredOutput.ExtractJson(completion.Content ?? string.Empty)),
        Answer = (completion, messages, ct) => StructuredCompletion.ContinueAsync(BatchProvider, completion, messages, plan.Settings, spec, plan.MaxRepairAttempts, Redactor, ct),
        CostOf = entry => CostOf(entry, plan.Model),
    };

    /// <summary>The pricing of the provider that answered (by name, in a fallback chain); the primary's when the name is not one of them.</summary>
    public Pricing PricingFor(string? providerName)
    {
        if (Provider is FallbackChatProvider chain)
        {
            foreach (IChatProvider member in chain.Providers)
            {
                if (member is IPricedProvider priced && string.Equals(member.Name, providerName, StringComparison.Ordinal))
                {
                    return priced.Pricing;
                }
            }

            return (chain.Providers[0] as IPricedProvider)?.Pricing ?? Pricing.None;
        }

        return (Provider as IPricedProvider)?.Pricing ?? Pricing.None;
    }

    /// <summary>What a journaled item cost when it was sent: its usage priced by the provider that answered, at the batch discount if deferred.</summary>
    public decimal? CostOf(JournalEntry entry, string requestedModel)
        => PricingFor(entry.Provider).Cost(entry.Model, requestedModel, entry.Usage, entry.Deferred);

    /// <summary>The work of one typed prompt, for tests that drive the runner directly.</summary>
    public BatchWork<TIn, TOut> StructuredWork<TIn, TOut>(BatchPlan plan, Func<TIn, PromptMessage[]> render, StructuredOutputSpec<TOut> spec, JournalFile? journal = null)
        => ChatWork(journal, StructuredShape(plan, render, spec));

    /// <summary>
    /// The work of one chat item: render, check, then (with a journal) replay the item if it is journaled, or send it
    /// and journal its outcome before the runner reports it. The shape's <see cref="ChatShape{TIn, TOut}.Rebuild"/> turns
    /// a journaled completion back into the item's value by the same path a live answer takes.
    /// </summary>
    internal static BatchWork<TIn, TOut> ChatWork<TIn, TOut>(JournalFile? journal, ChatShape<TIn, TOut> shape, JournalDefinition? deduplicate = null)
    {
        Func<TIn, IReadOnlyList<PromptMessage>> render = shape.Render;
        Func<IReadOnlyList<PromptMessage>, CancellationToken, ValueTask<BatchWorkResult<TOut>>> send = shape.Send;
        Func<ChatCompletion, TOut> rebuild = shape.Rebuild;
        Deduplicator<TOut>? once = deduplicate is null ? null : new Deduplicator<TOut>();
        if (journal is null && once is null)
        {
            return (input, _, ct) =>
            {
                IReadOnlyList<PromptMessage> messages = render(input);
                EnsureValid(messages);
                return send(messages, ct);
            };
        }

        if (journal is null)
        {
            return (input, index, ct) =>
            {
                IReadOnlyList<PromptMessage> messages = render(input);
                EnsureValid(messages);
                return once!.SendOnceAsync(JournalFingerprint.Of(deduplicate!, messages), index, () => send(messages, ct), ct);
            };
        }

        return async (input, index, ct) =>
        {
            IReadOnlyList<PromptMessage> messages = render(input);
            EnsureValid(messages);
            var fingerprint = JournalFingerprint.Of(journal.Definition, messages);
            JournalLookup lookup = journal.Lookup(index, fingerprint);
            if (lookup.Replay && Replay(journal, index, lookup, rebuild, shape.CostOf) is { } replayed)
            {
                return replayed;
            }

            BatchWorkResult<TOut> result;
            try
            {
                result = once is null
                    ? await send(messages, ct).ConfigureAwait(false)
                    : await once.SendOnceAsync(fingerprint, index, () => send(messages, ct), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not BatchJournalException && (ex is not OperationCanceledException || !ct.IsCancellationRequested))
            {
                var failed = ex as ProviderException;
                await journal.AppendFailure(index, fingerprint, BatchError.FromException(ex), failed?.Usage ?? default, failed?.Attempts ?? 0, failed?.Repairs ?? 0).ConfigureAwait(false);
                throw;
            }

            if (result.Error is { } fannedOut)
            {
                await journal.AppendFailure(index, fingerprint, fannedOut, result.Usage, result.Attempts, result.Repairs).ConfigureAwait(false);
            }
            else
            {
                await journal.AppendCompletion(index, fingerprint, result.Completion!, result.Usage, result.Attempts, result.Repairs).ConfigureAwait(false);
            }

            return result;
        };
    }

    /// <summary>A journaled item as the runner reports it; null when its answer no longer builds the value, so it is sent again.</summary>
    internal static BatchWorkResult<TOut>? Replay<TOut>(JournalFile journal, int index, JournalLookup lookup, Func<ChatCompletion, TOut> rebuild, Func<JournalEntry, decimal?> costOf)
    {
        JournalEntry entry = journal.Read(index, lookup);
        if (!entry.Succeeded)
        {
            return new BatchWorkResult<TOut>(default!, entry.Usage, entry.Attempts, entry.Repairs, entry.Provider) { FromJournal = true, Deferred = entry.Deferred, Error = entry.ToError(), Cost = costOf(entry) };
        }

        try
        {
            return new BatchWorkResult<TOut>(rebuild(entry.ToCompletion()), entry.Usage, entry.Attempts, entry.Repairs, entry.Provider) { FromJournal = true, Deferred = entry.Deferred, Cost = costOf(entry) };
        }
        catch (Exception ex) when (ex is JsonException or ProviderException)
        {
            return null;
        }
    }

    /// <summary>Runs a chat batch, live or deferred, with its journal open (and locked) for the run when the plan has one.</summary>
    public async Task<BatchResult<TOut>> RunChatAsync<TIn, TOut>(BatchPlan plan, IEnumerable<TIn> inputs, ChatShape<TIn, TOut> shape, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckBudget(plan, chat: true);
        IRemoteBatchApi? remote = plan.Mode == BatchMode.Deferred ? RemoteApi() : null;
        using JournalFile? journal = OpenJournal(plan, JournalDefinition.ForChat);
        return remote is null
            ? await Runner.RunAsync(inputs, ChatWork(journal, shape, Deduplication(plan)), plan, cancellationToken).ConfigureAwait(false)
            : await Deferred(remote, plan, shape, journal).RunAsync(inputs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a chat batch as completed, live or deferred, with its journal open for the run when the plan has one.</summary>
    public async IAsyncEnumerable<BatchItem<TOut>> RunChatAsCompletedAsync<TIn, TOut>(BatchPlan plan, IEnumerable<TIn> inputs, ChatShape<TIn, TOut> shape, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckBudget(plan, chat: true);
        IRemoteBatchApi? remote = plan.Mode == BatchMode.Deferred ? RemoteApi() : null;
        using JournalFile? journal = OpenJournal(plan, JournalDefinition.ForChat);
        IAsyncEnumerable<BatchItem<TOut>> items = remote is null
            ? Runner.RunAsCompletedAsync(inputs, ChatWork(journal, shape, Deduplication(plan)), plan, cancellationToken)
            : Deferred(remote, plan, shape, journal).RunAsCompletedAsync(inputs, cancellationToken);
        await foreach (BatchItem<TOut> item in items.ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>The input a worker of a streamed batch is sending, for its deltas (set by the batch's work, read by its send).</summary>
    private static readonly AsyncLocal<int> StreamedIndex = new();

    /// <summary>
    /// Runs a chat batch streamed: every input's answer is read as it arrives and handed out as text deltas, then one
    /// final delta per input with its item, under the same runner (limits, concurrency, retries, progress) and journal
    /// as any live batch. A journaled input's answer comes back as one text delta. Identical requests are not merged
    /// (each input's deltas are its own); budgets and deferred mode are refused. A stream slow to hand out its first
    /// update is hedged (<see cref="HedgedStream"/>).
    /// </summary>
    public async IAsyncEnumerable<BatchDelta> StreamChatBatchAsync<TIn>(BatchPlan plan, IEnumerable<TIn> inputs, Func<TIn, IReadOnlyList<PromptMessage>> render, Func<ChatCompletion, string> map, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var deltas = Channel.CreateBounded<BatchDelta>(new BoundedChannelOptions(1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        var shape = new ChatShape<TIn, string>
        {
            Render = render,
            Send = (messages, ct) => StreamOneAsync(plan, messages, map, deltas.Writer, ct),
            Rebuild = map,
            Answer = (completion, _, _) => ValueTask.FromResult(new BatchWorkResult<string>(map(completion), completion.Usage, completion.Attempts, 0, completion.Provider) { Completion = completion, Cost = completion.Cost }),
            CostOf = entry => CostOf(entry, plan.Model),
        };
        using JournalFile? journal = OpenJournal(plan, JournalDefinition.ForChat);
        BatchWork<TIn, string> inner = ChatWork(journal, shape);
        BatchWork<TIn, string> work = (input, index, ct) =>
        {
            StreamedIndex.Value = index;
            return inner(input, index, ct);
        };

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task pump = PumpFinalsAsync(Runner.RunAsCompletedAsync(inputs, work, plan with { Deduplicate = false }, stop.Token), deltas.Writer, stop.Token);
        try
        {
            await foreach (BatchDelta delta in deltas.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return delta;
            }

            await pump.ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        static async Task PumpFinalsAsync(IAsyncEnumerable<BatchItem<string>> items, ChannelWriter<BatchDelta> writer, CancellationToken ct)
        {
            try
            {
                await foreach (BatchItem<string> item in items.ConfigureAwait(false))
                {
                    // A journaled answer was not streamed: its text goes out whole, before its final delta.
                    if (item.FromJournal && item.Value is { } replayed)
                    {
                        await writer.WriteAsync(new BatchDelta { Index = item.Index, Text = replayed }, ct).ConfigureAwait(false);
                    }

                    await writer.WriteAsync(new BatchDelta { Index = item.Index, Item = item }, ct).ConfigureAwait(false);
                }

                writer.TryComplete();
            }
            catch (Exception ex)
            {
                writer.TryComplete(ex);
            }
        }
    }

    /// <summary>One input of a streamed batch: its deltas to <paramref name="deltas"/>, its whole answer as the result.</summary>
    private async ValueTask<BatchWorkResult<string>> StreamOneAsync(BatchPlan plan, IReadOnlyList<PromptMessage> messages, Func<ChatCompletion, string> map, ChannelWriter<BatchDelta> deltas, CancellationToken cancellationToken)
    {
        int index = StreamedIndex.Value;
        var text = new StringBuilder();
        StringBuilder? refusal = null;
        ChatCompletionUpdate? last = null;
        TokenUsage usage = default;
        decimal? cost = 0m;
        string? finishReason = null;
        await using HedgedStream stream = await HedgedStream.OpenAsync(Provider, new ChatRequest(messages, plan.Settings), cancellationToken).ConfigureAwait(false);
        for (bool more = stream.HasCurrent; more; more = await stream.Updates.MoveNextAsync().ConfigureAwait(false))
        {
            ChatCompletionUpdate update = stream.Updates.Current;
            last = update;
            finishReason ??= update.FinishReason;
            if (update.Usage is { } reported)
            {
                usage = reported;
                cost = update.Cost;
            }

            if (update.Refusal is { } refused)
            {
                (refusal ??= new StringBuilder()).Append(refused);
            }

            if (update.Text is { } piece)
            {
                text.Append(piece);
                await deltas.WriteAsync(new BatchDelta { Index = index, Text = piece }, cancellationToken).ConfigureAwait(false);
            }
        }

        var completion = new ChatCompletion
        {
            // A stream that ended without any update has no answer (as a whole answer without content has none).
            Content = refusal is null && last is not null ? text.ToString() : null,
            Refusal = refusal?.ToString(),
            FinishReason = finishReason,
            Model = last?.Model,
            Id = last?.Id,
            Usage = usage,
            Cost = cost,
            Attempts = last?.Attempts ?? 1,
            Provider = last?.Provider ?? Provider.Name,
        };
        return new BatchWorkResult<string>(map(completion), usage, completion.Attempts, 0, completion.Provider) { Completion = completion, Cost = cost, Hedged = stream.Hedged };
    }

    /// <summary>What identical requests are recognised by, when the plan sends each once; null when it does not.</summary>
    private static JournalDefinition? Deduplication(BatchPlan plan) => plan.Deduplicate ? JournalDefinition.ForChat(plan) : null;

    private DeferredRun<TIn, IReadOnlyList<PromptMessage>, TOut> Deferred<TIn, TOut>(IRemoteBatchApi remote, BatchPlan plan, ChatShape<TIn, TOut> shape, JournalFile? journal)
        => new(this, remote, plan, new ChatKind<TIn, TOut>(this, plan, shape, remote), JournalDefinition.ForChat(plan), journal, _time, _loggerFactory);

    private DeferredRun<string?, string, EmbeddingVector> DeferredEmbeddings(IRemoteBatchApi remote, BatchPlan plan, JournalFile? journal)
        => new(this, remote, plan, new EmbeddingKind(this, plan), JournalDefinition.ForEmbeddings(plan), journal, _time, _loggerFactory);

    /// <summary>
    /// The Batch API of the provider that deferred work goes to (a fallback chain's primary); a provider without one
    /// (GitHub Copilot, an M.E.AI chat client, a custom <see cref="IChatProvider"/>), or one that batches no embeddings
    /// (Anthropic) for an embeddings batch, is refused before anything is sent.
    /// </summary>
    private IRemoteBatchApi RemoteApi(bool embeddings = false)
    {
        IChatProvider primary = Provider is FallbackChatProvider chain ? chain.Providers[0] : Provider;
        if (embeddings && primary is OpenAICompatibleProvider { EmbedsElsewhere: true })
        {
            throw new NotSupportedException("Embeddings go to the IEmbeddingGenerator set with UseEmbeddingGenerator, which has no Batch API. Use BatchMode.Live for embeddings.");
        }

        IRemoteBatchApi remote = (primary as IBatchApiProvider)?.Batches
            ?? throw new NotSupportedException($"'{primary.Name}' has no Batch API: deferred mode needs OpenAI, Azure OpenAI, Anthropic, or a server implementing OpenAI's /files and /batches. Use BatchMode.Live with this provider.");
        return embeddings && remote.EmbeddingsEndpoint is null
            ? throw new NotSupportedException($"'{primary.Name}' has no embeddings Batch API. Use BatchMode.Live for embeddings.")
            : remote;
    }

    /// <summary>
    /// A budget can only be kept when every request can be priced and bounded: a price for the model at each provider
    /// that bills, <c>MaxTokens</c> for chat, and TypedBatch's own providers (a custom one sends without reserving).
    /// Checked before anything is sent.
    /// </summary>
    private void CheckBudget(BatchPlan plan, bool chat)
    {
        if (plan.Budget is null)
        {
            return;
        }

        if (chat && plan.Settings.MaxTokens is null)
        {
            throw new ArgumentException("MaxCost needs MaxTokens: without it a request's output, and so its cost, has no bound. Set BatchOptions.MaxTokens or the method's [Completion(MaxTokens = …)].");
        }

        IEnumerable<IChatProvider> providers = Provider is FallbackChatProvider chain ? chain.Providers : [Provider];
        foreach (IChatProvider member in providers)
        {
            if (member is not IPricedProvider priced)
            {
                throw new ArgumentException($"MaxCost needs TypedBatch's own providers: '{member.Name}' is a custom IChatProvider, whose requests cannot be held back.");
            }

            string model = (member as IBatchApiProvider)?.ModelOverride ?? plan.Model;
            if (priced.Pricing.Bills && priced.Pricing.Find(null, model) is null)
            {
                throw new InvalidOperationException($"MaxCost needs a price for model '{model}' at '{member.Name}', and it has none. Set one with TypedBatchOptions.Prices (or the TypedBatch:Prices configuration section); nothing was sent.");
            }
        }
    }

    private JournalFile? OpenJournal(BatchPlan plan, Func<BatchPlan, JournalDefinition> define)
        => plan.Journal is { } journal ? JournalFile.Open(journal, define(plan), plan.RetryJournaledFailures, Redactor, _time) : null;

    /// <summary>
    /// The one rule for what may be sent, for generated and untyped calls alike: no null or empty conversation and no
    /// message with blank content (a prompt rendered from "" or null). A single call throws the
    /// <see cref="ArgumentException"/>; in a batch the runner makes it the item's <see cref="BatchErrorKind.InvalidInput"/>.
    /// </summary>
    private static void EnsureValid(IReadOnlyList<PromptMessage>? messages)
    {
        if (Guard.DescribeInvalidMessages(messages) is { } problem)
        {
            throw new ArgumentException($"Invalid conversation: {problem}; nothing was sent.", nameof(messages));
        }
    }

    public async Task<EmbeddingVector> EmbedAsync(string input, string? model, int? dimensions, CancellationToken cancellationToken)
    {
        EmbeddingResponse response = await Provider.EmbedAsync(new EmbeddingRequest([input], model ?? Options.EmbeddingModel, dimensions), cancellationToken).ConfigureAwait(false);
        return response.Embeddings[0];
    }

    /// <summary>Embeds every input, packed into large requests (or deferred, one input per line); one item per input, in input order.</summary>
    public async Task<BatchResult<EmbeddingVector>> EmbedBatchAsync(BatchPlan plan, IEnumerable<string?> inputs, CancellationToken cancellationToken)
    {
        CheckBudget(plan, chat: false);
        IRemoteBatchApi? remote = plan.Mode == BatchMode.Deferred ? RemoteApi(embeddings: true) : null;
        using JournalFile? journal = OpenJournal(plan, JournalDefinition.ForEmbeddings);
        return remote is null
            ? await Runner.RunPackedAsync(Pack(inputs, journal), EmbeddingWork(plan, journal), EmbeddingPacker.Packing(journal), WithSize(plan, inputs), cancellationToken).ConfigureAwait(false)
            : await DeferredEmbeddings(remote, WithSize(plan, inputs), journal).RunAsync(inputs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Embeds every input, packed into large requests (or deferred); yields the items of each request as it completes.</summary>
    public async IAsyncEnumerable<BatchItem<EmbeddingVector>> EmbedAsCompletedAsync(BatchPlan plan, IEnumerable<string?> inputs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        CheckBudget(plan, chat: false);
        IRemoteBatchApi? remote = plan.Mode == BatchMode.Deferred ? RemoteApi(embeddings: true) : null;
        using JournalFile? journal = OpenJournal(plan, JournalDefinition.ForEmbeddings);
        IAsyncEnumerable<BatchItem<EmbeddingVector>> items = remote is null
            ? Runner.RunPackedAsCompletedAsync(Pack(inputs, journal), EmbeddingWork(plan, journal), EmbeddingPacker.Packing(journal), WithSize(plan, inputs), cancellationToken)
            : DeferredEmbeddings(remote, WithSize(plan, inputs), journal).RunAsCompletedAsync(inputs, cancellationToken);
        await foreach (BatchItem<EmbeddingVector> item in items.ConfigureAwait(false))
        {
            yield return item;
        }
    }

    private IEnumerable<EmbeddingChunk> Pack(IEnumerable<string?> inputs, JournalFile? journal)
        => EmbeddingPacker.Pack(inputs, Options.EmbeddingInputsPerRequest, Options.EmbeddingTokensPerRequest, journal);

    private static BatchPlan WithSize(BatchPlan plan, IEnumerable<string?> inputs)
        => plan.Size is null && inputs.TryGetNonEnumeratedCount(out int count) ? plan with { Size = count } : plan;

    /// <summary>Sends one chunk. Never throws but for cancellation: a failure becomes the outcome of every input it carried.</summary>
    private BatchWork<EmbeddingChunk, EmbeddingChunkOutcome> EmbeddingWork(BatchPlan plan, JournalFile? journal)
        => async (chunk, _, ct) =>
        {
            if (chunk.Replays is { } replays)
            {
                return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome([], null) { Replayed = EmbeddingPacker.Replay(journal!, chunk, replays, entry => CostOf(entry, plan.Model)) }, default, 0);
            }

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
                    return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome([], mismatch), response.Usage, response.Attempts) { Cost = response.Cost };
                }

                return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome(response.Embeddings, null), response.Usage, response.Attempts) { Cost = response.Cost };
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                int attempts = ex is ProviderException p ? p.Attempts : 0;
                return new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome([], BatchError.FromException(ex)), default, attempts);
            }
        };
}
