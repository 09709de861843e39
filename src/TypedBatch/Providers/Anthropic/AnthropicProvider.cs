using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Refit;
using TypedBatch.Deferred;
using TypedBatch.Http;
using TypedBatch.Limits;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Providers.Anthropic;

/// <summary>
/// Anthropic's Messages API (<see cref="ProviderKind.Anthropic"/>): maps TypedBatch's requests onto it (system messages
/// to the top-level <c>system</c>, <c>max_tokens</c> always, stop sequences, temperature, top-p; a typed request's
/// schema as structured outputs or a forced tool call) and its answers back (text blocks joined, <c>stop_reason</c> as
/// TypedBatch's finish reasons, usage with cache reads and writes). Limits, retries (429 and 529 included) and
/// credentials are the business of its <see cref="HttpClient"/> pipeline, as for every provider.
/// </summary>
internal sealed partial class AnthropicProvider : IChatProvider, IPricedProvider, IBatchApiProvider
{
    /// <summary>Sent as <c>max_tokens</c> when a request sets none: the API requires one.</summary>
    public const int DefaultMaxTokens = 4096;

    private readonly IAnthropicApi _api;
    private readonly SecretRedactor _redactor;
    private readonly StructuredOutputMode _structuredOutputs;
    private readonly ProviderLimits? _limits;
    private readonly string? _modelOverride;
    private readonly bool _recordContent;
    private readonly StreamSettings _streaming;
    private readonly ProviderFailures _failures;

    public AnthropicProvider(string name, IAnthropicApi api, SecretRedactor redactor, StructuredOutputMode structuredOutputs = StructuredOutputMode.JsonSchema, ProviderLimits? limits = null,
        string? modelOverride = null, Pricing? pricing = null, bool recordContent = false, StreamSettings? streaming = null, IRemoteBatchApi? batches = null)
    {
        Name = name;
        _api = api;
        _redactor = redactor;
        _structuredOutputs = structuredOutputs;
        _limits = limits;
        _modelOverride = modelOverride;
        _recordContent = recordContent;
        _streaming = streaming ?? StreamSettings.Default;
        Pricing = pricing ?? Pricing.None;
        _failures = new ProviderFailures(name, redactor, AnthropicErrors.KindOf);
        Batches = batches;
    }

    public string Name { get; }

    public Pricing Pricing { get; }

    /// <summary>The model every request is sent with instead of the call's (a fallback's own model), if any.</summary>
    public string? ModelOverride => _modelOverride;

    /// <summary>Message Batches (deferred mode), over the same <see cref="HttpClient"/>.</summary>
    public IRemoteBatchApi? Batches { get; }

    /// <summary>How a typed request's schema is sent, which deferred lines follow too.</summary>
    public StructuredOutputMode StructuredOutputs => _structuredOutputs;

    private static string TelemetryName => TypedBatchTelemetry.ProviderName(ProviderKind.Anthropic);

    public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (BatchScope.Current?.Budget is not { } budget)
        {
            return await CompleteCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }

        string model = _modelOverride ?? request.Model;
        decimal worst = Pricing.Find(null, model) is { } price
            ? CostBudget.WorstCase(price, request.Messages, request.Settings.MaxTokens ?? DefaultMaxTokens, request.Settings.ResponseFormat?.Schema ?? default)
            : 0m;
        return await ProviderBudget.WithinAsync(budget, worst, Name, () => CompleteCoreAsync(request, cancellationToken), static c => c.Cost, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChatCompletion> CompleteCoreAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        string model = _modelOverride ?? request.Model;
        if (Problem(request) is { } problem)
        {
            throw new ProviderException(BatchErrorKind.InvalidInput, Name, problem) { Attempts = 0 };
        }

        using Activity? span = ProviderSpan.Start("chat", TelemetryName, model, request.Settings.Temperature, request.Settings.MaxTokens);
        long started = Stopwatch.GetTimestamp();
        try
        {
            MessagesRequestDto dto = ToWire(request, model, _structuredOutputs);
            var call = new CallContext { Model = model, PromptEstimate = TokenEstimator.EstimatePrompt(request.Messages), MaxOutputTokens = dto.MaxTokens };
            using IApiResponse<MessagesResponseDto> response = await _failures.SendAsync(_api.CreateMessageAsync(dto, call, cancellationToken), call, cancellationToken).ConfigureAwait(false);
            MessagesResponseDto body = _failures.EnsureSuccess(response, call, cancellationToken);
            ChatCompletion completion = FromWire(body, Name, (int?)response.StatusCode, _redactor.RedactOrNull(call.RequestId), Math.Max(1, call.Attempts), Pricing, model, deferred: false);
            RateLimitHandlers.LearnUsage(_limits, call, completion.Usage.PromptTokens, completion.Usage.CompletionTokens);
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

    public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
        => throw new ProviderException(BatchErrorKind.InvalidInput, Name, "Anthropic has no embeddings API: set an embedding generator with TypedBatchOptions.UseEmbeddingGenerator, or use another provider for embeddings.") { Attempts = 0 };

    public override string ToString() => Name;

    /// <summary>
    /// The wire request for a chat request: system messages joined into the top-level <c>system</c> (in order, a blank
    /// line apart), the other turns as they are, <c>max_tokens</c> always, and a typed request's schema per
    /// <paramref name="structuredOutputs"/>: <c>output_config.format</c> (structured outputs), a forced tool call whose
    /// <c>input_schema</c> is the schema, or the schema in the system prompt.
    /// </summary>
    internal static MessagesRequestDto ToWire(ChatRequest request, string model, StructuredOutputMode structuredOutputs, bool stream = false)
    {
        CompletionSettings settings = request.Settings;
        ResponseFormat? format = settings.ResponseFormat is { Type: "json_schema" } schema ? schema : null;
        if (structuredOutputs == StructuredOutputMode.JsonSchema && !HasStructuredOutputs(model))
        {
            structuredOutputs = StructuredOutputMode.ToolCall; // a model without structured outputs: the forced tool call
        }

        StringBuilder? system = null;
        var turns = new List<AnthropicMessageDto>(request.Messages.Count);
        foreach (PromptMessage message in request.Messages)
        {
            if (message.Role == PromptRole.System)
            {
                (system ??= new StringBuilder()).Append(system.Length > 0 ? "\n\n" : string.Empty).Append(message.Content);
            }
            else
            {
                turns.Add(new AnthropicMessageDto { Role = message.Role == PromptRole.User ? "user" : "assistant", Content = message.Content });
            }
        }

        if (format is not null && structuredOutputs == StructuredOutputMode.JsonObjectWithSchemaInPrompt)
        {
            (system ??= new StringBuilder()).Append(system.Length > 0 ? "\n\n" : string.Empty)
                .Append("Reply with one JSON object, and nothing else, that conforms to this JSON schema:\n").Append(format.SchemaText);
        }

        var dto = new MessagesRequestDto
        {
            Model = model,
            MaxTokens = settings.MaxTokens ?? DefaultMaxTokens,
            System = system?.ToString(),
            Messages = turns,
            // Anthropic's newer models take one of temperature and top_p: with top_p set, it alone is sent.
            Temperature = settings.TopP is null ? settings.Temperature : null,
            TopP = settings.TopP,
            StopSequences = settings.Stop,
            Stream = stream ? true : null,
        };
        if (format is not null)
        {
            switch (structuredOutputs)
            {
                case StructuredOutputMode.JsonSchema:
                    dto.OutputConfig = new AnthropicOutputConfigDto { Format = new AnthropicOutputFormatDto { Type = "json_schema", Schema = new RawJson(format.Schema) } };
                    break;
                case StructuredOutputMode.ToolCall:
                    dto.Tools = [new AnthropicToolDto { Name = format.Name!, Description = format.Description, InputSchema = new RawJson(format.Schema) }];
                    dto.ToolChoice = new AnthropicToolChoiceDto { Type = "tool", Name = format.Name };
                    break;
            }
        }

        return dto;
    }

    /// <summary>
    /// An answer as TypedBatch's: text blocks joined (or a forced tool call's <c>input</c> as JSON text), the stop reason
    /// as a finish reason (<c>max_tokens</c> → <c>length</c>, which a typed result reports as truncated; <c>refusal</c> →
    /// the answer is a refusal), usage and cost. The one mapping for live answers and Message Batches results.
    /// </summary>
    /// <exception cref="ProviderException">The answer has neither text nor a tool call.</exception>
    internal static ChatCompletion FromWire(MessagesResponseDto body, string provider, int? status, string? requestId, int attempts, Pricing pricing, string requestedModel, bool deferred)
    {
        string? text = null;
        foreach (AnthropicContentBlockDto block in body.Content ?? [])
        {
            if (block.Type == "text" && block.Text is not null)
            {
                text = text is null ? block.Text : text + block.Text;
            }
            else if (block.Type == "tool_use" && block.Input is { } input)
            {
                text = input.GetRawText(); // the forced tool's input is the typed answer
            }
        }

        bool refused = body.StopReason == "refusal";
        if (text is null && !refused && body.StopReason != "max_tokens")
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, provider, $"The answer has no text content block (stop_reason: {body.StopReason ?? "none"}).", status)
            {
                RequestId = requestId,
                Attempts = attempts,
            };
        }

        TokenUsage usage = body.Usage?.ToTokenUsage() ?? default;
        return new ChatCompletion
        {
            Content = refused ? null : text ?? string.Empty,
            Refusal = refused ? (string.IsNullOrEmpty(text) ? "The model declined to answer (stop_reason: refusal)." : text) : null,
            FinishReason = FinishReason(body.StopReason),
            Model = body.Model,
            Id = body.Id,
            Usage = usage,
            Cost = pricing.Cost(body.Model, requestedModel, usage, deferred),
            Attempts = attempts,
            Provider = provider,
        };
    }

    /// <summary>
    /// Whether a model has Anthropic's structured outputs (<c>output_config.format</c>): every Claude model but the 3.x
    /// ones and the first Claude 4 Sonnet and Opus (<c>claude-sonnet-4</c>, <c>claude-opus-4</c>, with their <c>-0</c>
    /// alias or dated ids), which get the forced tool call instead.
    /// </summary>
    internal static bool HasStructuredOutputs(string model)
        => !model.StartsWith("claude-3", StringComparison.Ordinal) && !OldClaude4().IsMatch(model);

    [System.Text.RegularExpressions.GeneratedRegex(@"^claude-(sonnet|opus)-4(-0|-\d{8})?$")]
    private static partial System.Text.RegularExpressions.Regex OldClaude4();

    /// <summary>
    /// What Anthropic refuses before any model runs, checked before sending so that it costs no round trip: a
    /// temperature above 1 (Anthropic's range is 0 to 1), a conversation with no user or assistant turn.
    /// </summary>
    internal static string? Problem(ChatRequest request)
    {
        if (request.Settings.Temperature is > 1 && request.Settings.TopP is null)
        {
            return $"Anthropic accepts a temperature from 0 to 1; got {request.Settings.Temperature.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}. Nothing was sent.";
        }

        foreach (PromptMessage message in request.Messages)
        {
            if (message.Role != PromptRole.System)
            {
                return null;
            }
        }

        return "Anthropic needs at least one user or assistant message; this conversation has only system messages. Nothing was sent.";
    }

    /// <summary>Anthropic's <c>stop_reason</c> in the OpenAI words the rest of TypedBatch reads.</summary>
    internal static string? FinishReason(string? stopReason) => stopReason switch
    {
        null => null,
        "end_turn" or "stop_sequence" or "tool_use" => "stop",
        "max_tokens" or "model_context_window_exceeded" => "length",
        "refusal" => "content_filter",
        _ => stopReason,
    };
}
