using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using TypedBatch.Http;
using TypedBatch.Limits;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;
using Meai = Microsoft.Extensions.AI;

namespace TypedBatch.Interop;

/// <summary>
/// Any Microsoft.Extensions.AI <see cref="Meai.IChatClient"/> (and <see cref="Meai.IEmbeddingGenerator{TInput, TEmbedding}"/>)
/// as TypedBatch's provider (<see cref="TypedBatchOptions.UseChatClient"/>): every call goes through
/// <see cref="ClientCalls"/> (gates with the options' limits, the one retry loop, timeouts), answers are mapped onto
/// TypedBatch's model with their usage and cost, and typed results ask for JSON through
/// <see cref="Meai.ChatResponseFormat.ForJsonSchema(JsonElement, string?, string?)"/>, strict when the schema is.
/// Embeddings go to the generator set with <see cref="TypedBatchOptions.UseEmbeddingGenerator"/>, if any.
/// </summary>
internal sealed class ChatClientProvider : IChatProvider, IPricedProvider
{
    /// <summary>The key of <see cref="Meai.ChatOptions.AdditionalProperties"/> that asks M.E.AI's OpenAI client for a strict schema.</summary>
    internal const string StrictKey = "strict";

    private static readonly Meai.ChatRole[] Roles = [Meai.ChatRole.System, Meai.ChatRole.User, Meai.ChatRole.Assistant];

    private static readonly ConditionalWeakTable<ResponseFormat, Meai.ChatResponseFormat> Formats = [];

    private readonly Meai.IChatClient _chat;
    private readonly ClientCalls _calls;
    private readonly EmbeddingGeneratorCalls? _embeddings;
    private readonly StructuredOutputMode _structuredOutputs;
    private readonly StreamSettings _streaming;
    private readonly bool _recordContent;
    private readonly TimeSpan _firstUpdateTimeout;

    public ChatClientProvider(string name, string telemetryName, Meai.IChatClient chat, ClientCalls calls, EmbeddingGeneratorCalls? embeddings, Pricing pricing, TypedBatchOptions options, StreamSettings streaming)
    {
        _firstUpdateTimeout = options.FirstByteTimeout;
        Name = name;
        TelemetryName = telemetryName;
        _chat = chat;
        _calls = calls;
        _embeddings = embeddings;
        Pricing = pricing;
        _structuredOutputs = options.StructuredOutputs;
        _recordContent = options.RecordContent;
        _streaming = streaming;
    }

    public string Name { get; }

    /// <summary>The provider as OpenTelemetry's <c>gen_ai.provider.name</c> names it: the client's own metadata, when it says.</summary>
    public string TelemetryName { get; }

    public Pricing Pricing { get; }

    public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (BatchScope.Current?.Budget is not { } budget)
        {
            return await CompleteCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }

        decimal worst = Pricing.Find(null, request.Model) is { } price && request.Settings.MaxTokens is { } maxTokens
            ? CostBudget.WorstCase(price, request.Messages, maxTokens, request.Settings.ResponseFormat?.Schema ?? default)
            : 0m;
        return await ProviderBudget.WithinAsync(budget, worst, Name, () => CompleteCoreAsync(request, cancellationToken), static c => c.Cost, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChatCompletion> CompleteCoreAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        string model = request.Model;
        using Activity? span = ProviderSpan.Start("chat", TelemetryName, model, request.Settings.Temperature, request.Settings.MaxTokens);
        long started = Stopwatch.GetTimestamp();
        try
        {
            (List<Meai.ChatMessage> messages, Meai.ChatOptions options) = ToClient(request, model, _structuredOutputs);
            var call = new CallContext { Model = model, PromptEstimate = TokenEstimator.EstimatePrompt(request.Messages), MaxOutputTokens = request.Settings.MaxTokens };
            Meai.ChatResponse response = await _calls.RunAsync(call, token => _chat.GetResponseAsync(messages, options, token), cancellationToken).ConfigureAwait(false);
            ChatCompletion completion = FromClient(response, model, call.Attempts);
            _calls.Limits.GateFor(model).LearnPromptTokens(call.PromptEstimate, completion.Usage.PromptTokens);
            ProviderSpan.Succeeded(span, "chat", TelemetryName, model, completion.Model, completion.Id, completion.Usage, completion.FinishReason, started);
            if (span is not null && _recordContent)
            {
                ProviderSpan.RecordContent(span, request.Messages, completion);
            }

            return completion;
        }
        catch (Exception ex)
        {
            ProviderSpan.Failed(span, "chat", TelemetryName, model, ex, started);
            throw;
        }
    }

    /// <summary>
    /// Streams through <see cref="Meai.IChatClient.GetStreamingResponseAsync"/>. Each attempt passes the gates; the first
    /// update must come within <see cref="TypedBatchOptions.FirstByteTimeout"/> and each next one within
    /// <see cref="TypedBatchOptions.StreamIdleTimeout"/>. A stream that fails before its first update is sent again when
    /// the failure is transient (up to <see cref="TypedBatchOptions.MaxRetries"/> times, within
    /// <see cref="TypedBatchOptions.TotalTimeout"/>); after it, the failure is the call's, since part of the answer was
    /// handed out.
    /// </summary>
    public async IAsyncEnumerable<ChatCompletionUpdate> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string model = request.Model;
        (List<Meai.ChatMessage> messages, Meai.ChatOptions options) = ToClient(request, model, _structuredOutputs);
        using Activity? span = ProviderSpan.Start("chat", TelemetryName, model, request.Settings.Temperature, request.Settings.MaxTokens);
        long started = Stopwatch.GetTimestamp();
        var call = new CallContext { Model = model, PromptEstimate = TokenEstimator.EstimatePrompt(request.Messages), MaxOutputTokens = request.Settings.MaxTokens, Streamed = true };
        for (int resend = 0; ; resend++)
        {
            StreamAttempt attempt;
            try
            {
                attempt = await StreamAttempt.OpenAsync(this, call, messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
            {
                ProviderSpan.Failed(span, "chat", TelemetryName, model, ex, started);
                throw;
            }
            catch (Exception ex)
            {
                ProviderException error = _calls.Describe(ex, call.Attempts);
                ProviderSpan.Failed(span, "chat", TelemetryName, model, error, started);
                throw error;
            }

            Exception? broken = null;
            await using (attempt.ConfigureAwait(false))
            {
                bool handedOut = false;
                while (true)
                {
                    (ChatCompletionUpdate? update, Exception? failure) = await attempt.NextAsync(model, cancellationToken).ConfigureAwait(false);
                    if (failure is not null)
                    {
                        if (!handedOut && resend < _streaming.MaxRetries && _calls.IsWorthRetrying(failure))
                        {
                            broken = failure;
                            break;
                        }

                        ProviderException error = _calls.Describe(failure, call.Attempts);
                        ProviderSpan.Failed(span, "chat", TelemetryName, model, error, started);
                        throw error;
                    }

                    if (update is null)
                    {
                        _calls.Limits.GateFor(model).LearnPromptTokens(call.PromptEstimate, attempt.Usage.PromptTokens);
                        ProviderSpan.Succeeded(span, "chat", TelemetryName, model, attempt.ResponseModel, attempt.ResponseId, attempt.Usage, attempt.FinishReason, started);
                        yield break;
                    }

                    handedOut = true;
                    yield return update;
                }
            }

            var backoff = TimeSpan.FromTicks(_streaming.RetryBaseDelay.Ticks << Math.Min(resend, 10));
            if (Stopwatch.GetElapsedTime(started) + backoff >= _streaming.TotalTimeout)
            {
                ProviderException error = _calls.Describe(broken!, call.Attempts);
                ProviderSpan.Failed(span, "chat", TelemetryName, model, error, started);
                throw error;
            }

            ProviderSpan.Retried(call.Attempts + 1, backoff, ClientCalls.StatusOf(broken), broken);
            await Task.Delay(backoff, _streaming.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _embeddings is { } embeddings
            ? embeddings.EmbedAsync(request, cancellationToken)
            : throw new ProviderException(BatchErrorKind.InvalidInput, Name, "This provider is an IChatClient and has no embedding generator: set one with TypedBatchOptions.UseEmbeddingGenerator (or services.AddTypedBatch(…).UseEmbeddingGenerator(…)).") { Attempts = 0 };
    }

    public override string ToString() => Name;

    /// <summary>A request as the client's messages and options; a typed request's schema per <paramref name="structuredOutputs"/>.</summary>
    internal static (List<Meai.ChatMessage> Messages, Meai.ChatOptions Options) ToClient(ChatRequest request, string model, StructuredOutputMode structuredOutputs)
    {
        CompletionSettings settings = request.Settings;
        ResponseFormat? format = settings.ResponseFormat;
        bool schemaInPrompt = format is { Type: "json_schema" } && structuredOutputs == StructuredOutputMode.JsonObjectWithSchemaInPrompt;
        var messages = new List<Meai.ChatMessage>(request.Messages.Count + (schemaInPrompt ? 1 : 0));
        if (schemaInPrompt)
        {
            messages.Add(new Meai.ChatMessage(Meai.ChatRole.System, "Reply with one JSON object, and nothing else, that conforms to this JSON schema:\n" + format!.SchemaText));
        }

        foreach (PromptMessage message in request.Messages)
        {
            messages.Add(new Meai.ChatMessage(Roles[(int)message.Role], message.Content));
        }

        var options = new Meai.ChatOptions
        {
            ModelId = model,
            Temperature = (float?)settings.Temperature,
            MaxOutputTokens = settings.MaxTokens,
            TopP = (float?)settings.TopP,
            StopSequences = settings.Stop is { } stop ? [.. stop] : null,
            Seed = settings.Seed,
            ResponseFormat = format switch
            {
                null => null,
                { Type: "text" } => Meai.ChatResponseFormat.Text,
                { Type: "json_schema" } when !schemaInPrompt => Formats.GetValue(format, static f => Meai.ChatResponseFormat.ForJsonSchema(
                    JsonSerializer.Deserialize(f.Schema.Span, InteropJsonContext.Default.JsonElement), f.Name, f.Description)),
                _ => Meai.ChatResponseFormat.Json,
            },
        };
        if (format is { Type: "json_schema", Strict: true } && !schemaInPrompt)
        {
            options.AdditionalProperties = new Meai.AdditionalPropertiesDictionary { [StrictKey] = true };
        }

        return (messages, options);
    }

    /// <summary>A client's answer as TypedBatch's: its text, finish reason, usage, cost and model.</summary>
    /// <exception cref="ProviderException">The answer has no text.</exception>
    private ChatCompletion FromClient(Meai.ChatResponse response, string model, int attempts)
    {
        string text = response.Text;
        if (text.Length == 0 && response.FinishReason != Meai.ChatFinishReason.Length)
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, Name, $"The answer has no text (finish reason: {response.FinishReason?.Value ?? "none"}).") { Attempts = attempts };
        }

        TokenUsage usage = ToUsage(response.Usage);
        return new ChatCompletion
        {
            Content = text,
            FinishReason = ToFinishReason(response.FinishReason),
            Model = response.ModelId ?? model,
            Id = response.ResponseId,
            Usage = usage,
            Cost = Pricing.Cost(response.ModelId, model, usage, deferred: false),
            Attempts = Math.Max(1, attempts),
            Provider = Name,
        };
    }

    internal static TokenUsage ToUsage(Meai.UsageDetails? usage) => usage is null
        ? default
        : new TokenUsage(
            usage.InputTokenCount ?? 0,
            usage.OutputTokenCount ?? 0,
            usage.TotalTokenCount ?? ((usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0)),
            usage.CachedInputTokenCount ?? 0,
            usage.ReasoningTokenCount ?? 0);

    /// <summary>M.E.AI's finish reasons as the OpenAI words the rest of TypedBatch reads (<c>length</c> is a truncated answer).</summary>
    internal static string? ToFinishReason(Meai.ChatFinishReason? reason)
        => reason is not { } known ? null
            : known == Meai.ChatFinishReason.Stop ? "stop"
            : known == Meai.ChatFinishReason.Length ? "length"
            : known == Meai.ChatFinishReason.ContentFilter ? "content_filter"
            : known == Meai.ChatFinishReason.ToolCalls ? "tool_calls"
            : known.Value;

    /// <summary>One attempt of a stream: its gate passage, the client's enumerator and the timers of its silences.</summary>
    private sealed class StreamAttempt : IAsyncDisposable
    {
        private readonly ChatClientProvider _owner;
        private readonly CancellationTokenSource _timer;
        private readonly CancellationTokenSource _linked;
        private readonly CallContext _call;
        private readonly Limits.RateLimitGate _gate;
        private IAsyncEnumerator<Meai.ChatResponseUpdate>? _updates;
        private bool _answered;
        private bool _released;

        private StreamAttempt(ChatClientProvider owner, CallContext call, CancellationToken cancellationToken)
        {
            _owner = owner;
            _call = call;
            _gate = owner._calls.Limits.GateFor(call.Model);
            _timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, owner._streaming.Time);
            _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _timer.Token);
        }

        public TokenUsage Usage { get; private set; }

        public string? ResponseModel { get; private set; }

        public string? ResponseId { get; private set; }

        public string? FinishReason { get; private set; }

        public static async Task<StreamAttempt> OpenAsync(ChatClientProvider owner, CallContext call, List<Meai.ChatMessage> messages, Meai.ChatOptions options, CancellationToken cancellationToken)
        {
            call.OnAttempt();
            await RateLimitHandlers.WaitAsync(owner._calls.Limits, call, cancellationToken).ConfigureAwait(false);
            var attempt = new StreamAttempt(owner, call, cancellationToken);
            try
            {
                attempt._updates = owner._chat.GetStreamingResponseAsync(messages, options, attempt._linked.Token).GetAsyncEnumerator(attempt._linked.Token);
                return attempt;
            }
            catch (Exception ex)
            {
                attempt.Fail(ex); // a client that throws before it streams: as a failed first attempt
                await attempt.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>The next update, <see langword="null"/> at the end, or the failure that broke the stream.</summary>
        public async Task<(ChatCompletionUpdate? Update, Exception? Failure)> NextAsync(string model, CancellationToken cancellationToken)
        {
            while (true)
            {
                bool more;
                try
                {
                    // Timed only while the client is awaited: the caller's time with an update is not silence.
                    Arm(_answered ? _owner._streaming.IdleTimeout : _owner._firstUpdateTimeout);
                    more = await _updates!.MoveNextAsync().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex)
                {
                    Exception failure = _timer.IsCancellationRequested
                        ? new TimeoutException(_answered ? "The stream fell silent for longer than TypedBatchOptions.StreamIdleTimeout." : "No update came within TypedBatchOptions.FirstByteTimeout.", ex)
                        : ex;
                    Fail(failure);
                    return (null, failure);
                }
                finally
                {
                    Arm(Timeout.InfiniteTimeSpan);
                }

                if (!_answered)
                {
                    _answered = true;
                    _released = true;
                    _gate.OnAnswer(null);
                    BatchScope.Current?.Concurrency.OnSuccess();
                }

                if (!more)
                {
                    return (null, null);
                }

                if (Map(_updates.Current, model) is { } update)
                {
                    return (update, null);
                }
            }
        }

        private ChatCompletionUpdate? Map(Meai.ChatResponseUpdate update, string model)
        {
            ResponseModel ??= update.ModelId;
            ResponseId ??= update.ResponseId;
            TokenUsage? usage = null;
            foreach (Meai.AIContent content in update.Contents)
            {
                if (content is Meai.UsageContent counted)
                {
                    usage = ToUsage(counted.Details);
                    Usage = usage.Value;
                }
            }

            string? finish = ToFinishReason(update.FinishReason);
            FinishReason = finish ?? FinishReason;
            string text = update.Text;
            if (text.Length == 0 && finish is null && usage is null)
            {
                return null; // a role-only or metadata-only update carries nothing to hand out
            }

            return new ChatCompletionUpdate
            {
                Text = text.Length == 0 ? null : text,
                FinishReason = finish,
                Usage = usage,
                Cost = usage is { } used ? _owner.Pricing.Cost(ResponseModel, model, used, deferred: false) : null,
                Model = update.ModelId ?? ResponseModel ?? model,
                Id = update.ResponseId ?? ResponseId,
                Provider = _owner.Name,
                Attempts = Math.Max(1, _call.Attempts),
            };
        }

        /// <summary>Starts the silence timer, or with <see cref="Timeout.InfiniteTimeSpan"/> stops it.</summary>
        private void Arm(TimeSpan timeout) => _timer.CancelAfter(timeout);

        /// <summary>A failure before the first update releases the requests queued behind this one, once; a throttle also pauses the gate.</summary>
        public void Fail(Exception failure)
        {
            if (!_released)
            {
                _released = true;
                ClientCalls.OnFailure(_gate, failure);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_released)
            {
                _released = true;
                _gate.OnAnswer(null); // cancelled before any answer: the requests queued behind this one must not wait for it
            }

            if (_updates is not null)
            {
                await _updates.DisposeAsync().ConfigureAwait(false);
            }

            _linked.Dispose();
            _timer.Dispose();
        }
    }
}
