using System.Diagnostics;
using Refit;
using TypedBatch.Deferred;
using TypedBatch.Http;
using TypedBatch.Limits;

namespace TypedBatch.Providers.OpenAI;

/// <summary>
/// Any server that speaks the OpenAI chat completions and embeddings API: OpenAI itself, Azure OpenAI, GitHub Copilot,
/// Ollama, vLLM, LM Studio, llama.cpp. Maps between the public model and the wire DTOs, starts each call's
/// <see cref="CallContext"/>, and turns every failure into a <see cref="ProviderException"/>. Limits, retries and
/// credentials are the business of its <see cref="HttpClient"/> pipeline.
/// </summary>
internal sealed partial class OpenAICompatibleProvider(
    string name,
    IChatWire wire,
    SecretRedactor redactor,
    StructuredOutputMode structuredOutputs = StructuredOutputMode.JsonSchema,
    ProviderLimits? limits = null,
    string? modelOverride = null,
    IRemoteBatchApi? batches = null,
    Pricing? pricing = null,
    bool recordContent = false,
    StreamSettings? streaming = null,
    Interop.EmbeddingGeneratorCalls? embeddingGenerator = null) : IChatProvider, IPricedProvider, IBatchApiProvider
{
    private readonly StreamSettings _streaming = streaming ?? StreamSettings.Default;

    private static readonly ResponseFormatDto JsonObjectFormat = new() { Type = "json_object" };

    private static readonly string[] RoleNames = ["system", "user", "assistant"];

    private readonly ProviderFailures _failures = new(name, redactor);

    public OpenAICompatibleProvider(string name, IOpenAIApi api, SecretRedactor redactor)
        : this(name, new OpenAIRoutes(api), redactor)
    {
    }

    public string Name { get; } = name;

    /// <summary>The provider's Batch API (deferred mode), over the same <see cref="HttpClient"/>; <see langword="null"/> when it has none (GitHub Copilot).</summary>
    public IRemoteBatchApi? Batches { get; } = batches;

    /// <summary>How a typed request's schema is sent to this server, which deferred lines must follow too.</summary>
    public StructuredOutputMode StructuredOutputs => structuredOutputs;

    /// <summary>What this provider's answers cost (live, and deferred at the batch discount).</summary>
    public Pricing Pricing { get; } = pricing ?? Pricing.None;

    /// <summary>The provider as OpenTelemetry's <c>gen_ai.provider.name</c> names it.</summary>
    private string TelemetryName => TypedBatchTelemetry.ProviderName(Pricing.Kind);

    /// <summary>Whether embeddings go to an M.E.AI generator (<see cref="TypedBatchOptions.UseEmbeddingGenerator"/>) rather than this server.</summary>
    public bool EmbedsElsewhere => embeddingGenerator is not null;

    /// <summary>The model every request is sent with instead of the call's (an Azure deployment), if any.</summary>
    public string? ModelOverride => modelOverride;

    public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (BatchScope.Current?.Budget is not { } budget)
        {
            return await CompleteCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // A batch with a budget: the request's worst case is reserved first, and settled with what the answer cost.
        string model = modelOverride ?? request.Model;
        decimal worst = Pricing.Find(null, model) is { } price && request.Settings.MaxTokens is { } maxTokens
            ? CostBudget.WorstCase(price, request.Messages, maxTokens, request.Settings.ResponseFormat?.Schema ?? default)
            : 0m;
        return await ProviderBudget.WithinAsync(budget, worst, Name, () => CompleteCoreAsync(request, cancellationToken), static c => c.Cost, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChatCompletion> CompleteCoreAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        string model = modelOverride ?? request.Model;
        using Activity? span = ProviderSpan.Start("chat", TelemetryName, model, request.Settings.Temperature, request.Settings.MaxTokens);
        long started = Stopwatch.GetTimestamp();
        try
        {
            ChatCompletion completion = await SendChatAsync(request, cancellationToken).ConfigureAwait(false);
            ProviderSpan.Succeeded(span, "chat", TelemetryName, model, completion.Model, completion.Id, completion.Usage, completion.FinishReason, started);
            if (span is not null && recordContent)
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

    private async Task<ChatCompletion> SendChatAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        CompletionSettings settings = request.Settings;
        string model = modelOverride ?? request.Model;
        ChatCompletionRequestDto dto = ToWire(request, model, structuredOutputs);
        var call = new CallContext
        {
            Model = model,
            PromptEstimate = TokenEstimator.EstimatePrompt(request.Messages),
            MaxOutputTokens = settings.MaxTokens,
        };
        using IApiResponse<ChatCompletionResponseDto> response = await _failures.SendAsync(wire.ChatAsync(dto, call, cancellationToken), call, cancellationToken).ConfigureAwait(false);
        ChatCompletionResponseDto body = _failures.EnsureSuccess(response, call, cancellationToken);

        ChatCompletion completion = FromWire(body, Name, (int?)response.StatusCode, redactor.RedactOrNull(call.RequestId), Math.Max(1, call.Attempts), Pricing, model, deferred: false);
        RateLimitHandlers.LearnUsage(limits, call, completion.Usage.PromptTokens);
        return completion;
    }

    /// <summary>
    /// A chat completion body as the public model: the first choice's content or refusal, its finish reason, usage. The
    /// one mapping for live answers and a deferred batch's output lines.
    /// </summary>
    /// <exception cref="ProviderException">No choice has a message content or refusal.</exception>
    internal static ChatCompletion FromWire(ChatCompletionResponseDto body, string provider, int? status, string? requestId, int attempts, Pricing pricing, string requestedModel, bool deferred)
    {
        ChoiceDto? choice = body.Choices is { Count: > 0 } choices ? choices[0] : null;
        WireMessage? answer = choice?.Message;
        if (answer is null || (answer.Content is null && answer.Refusal is null))
        {
            throw new ProviderException(BatchErrorKind.InvalidOutput, provider, "The response has no choice with a message content or refusal.", status)
            {
                RequestId = requestId,
                Attempts = attempts,
            };
        }

        TokenUsage usage = body.Usage?.ToTokenUsage() ?? default;
        return new ChatCompletion
        {
            Content = answer.Content,
            Refusal = answer.Refusal,
            FinishReason = choice!.FinishReason,
            Model = body.Model,
            Id = body.Id,
            Usage = usage,
            Cost = pricing.Cost(body.Model, requestedModel, usage, deferred),
            Attempts = attempts,
            Provider = provider,
        };
    }

    public async Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (embeddingGenerator is not null)
        {
            return await embeddingGenerator.EmbedAsync(request, cancellationToken).ConfigureAwait(false);
        }

        if (BatchScope.Current?.Budget is not { } budget)
        {
            return await EmbedCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }

        decimal worst = Pricing.Find(null, modelOverride ?? request.Model) is { } price ? CostBudget.WorstCase(price, request.Inputs) : 0m;
        return await ProviderBudget.WithinAsync(budget, worst, Name, () => EmbedCoreAsync(request, cancellationToken), static r => r.Cost, cancellationToken).ConfigureAwait(false);
    }

    private async Task<EmbeddingResponse> EmbedCoreAsync(EmbeddingRequest request, CancellationToken cancellationToken)
    {
        string model = modelOverride ?? request.Model;
        using Activity? span = ProviderSpan.Start("embeddings", TelemetryName, model, null, null);
        long started = Stopwatch.GetTimestamp();
        try
        {
            EmbeddingResponse response = await SendEmbeddingsAsync(request, cancellationToken).ConfigureAwait(false);
            ProviderSpan.Succeeded(span, "embeddings", TelemetryName, model, response.Embeddings.Count > 0 ? response.Embeddings[0].Model : null, null, response.Usage, null, started);
            return response;
        }
        catch (Exception ex)
        {
            ProviderSpan.Failed(span, "embeddings", TelemetryName, model, ex, started);
            throw;
        }
    }

    private async Task<EmbeddingResponse> SendEmbeddingsAsync(EmbeddingRequest request, CancellationToken cancellationToken)
    {
        string model = modelOverride ?? request.Model;
        var dto = new EmbeddingRequestDto
        {
            Model = model,
            Input = request.Inputs,
            Dimensions = request.Dimensions,
            EncodingFormat = "base64",
        };

        int tokens = 0;
        foreach (string input in request.Inputs)
        {
            tokens += (input.Length + 3) / 4;
        }

        var call = new CallContext { Model = model, PromptEstimate = tokens };
        using IApiResponse<EmbeddingResponseDto> response = await _failures.SendAsync(wire.EmbedAsync(dto, call, cancellationToken), call, cancellationToken).ConfigureAwait(false);
        EmbeddingResponseDto body = _failures.EnsureSuccess(response, call, cancellationToken);

        var embeddings = new EmbeddingVector[request.Inputs.Count];
        List<EmbeddingDataDto> data = body.Data ?? [];
        for (int i = 0; i < data.Count; i++)
        {
            int index = data[i].Index ?? i;
            if ((uint)index >= (uint)embeddings.Length || data[i].Embedding is not { } vector)
            {
                throw InvalidEmbeddings(call, $"Embedding {i} has index {index} or no vector, for {embeddings.Length} inputs.");
            }

            // A repeated index would hand one input another input's vector without a trace: the whole answer is suspect.
            if (embeddings[index] is not null)
            {
                throw InvalidEmbeddings(call, $"The response has index {index} twice, for {embeddings.Length} inputs.");
            }

            embeddings[index] = new EmbeddingVector(vector, body.Model);
        }

        int missing = Array.IndexOf(embeddings, null);
        if (missing >= 0)
        {
            throw InvalidEmbeddings(call, $"The response has no embedding for input {missing} of {embeddings.Length}.");
        }

        TokenUsage usage = body.Usage?.ToTokenUsage() ?? default;
        RateLimitHandlers.LearnUsage(limits, call, usage.PromptTokens);
        return new EmbeddingResponse(embeddings, usage, Math.Max(1, call.Attempts)) { Cost = Pricing.Cost(body.Model, model, usage, deferred: false) };
    }

    public override string ToString() => Name;

    /// <summary>The wire request for a chat request: messages, settings and the response format for this server; streamed with usage when <paramref name="stream"/>.</summary>
    internal static ChatCompletionRequestDto ToWire(ChatRequest request, string model, StructuredOutputMode structuredOutputs, bool stream = false)
    {
        CompletionSettings settings = request.Settings;
        ResponseFormat? format = settings.ResponseFormat;
        bool schemaInPrompt = format is { Type: "json_schema" } && structuredOutputs == StructuredOutputMode.JsonObjectWithSchemaInPrompt;
        var messages = new WireMessage[request.Messages.Count + (schemaInPrompt ? 1 : 0)];
        int offset = 0;
        if (schemaInPrompt)
        {
            messages[0] = new WireMessage { Role = "system", Content = "Reply with one JSON object, and nothing else, that conforms to this JSON schema:\n" + format!.SchemaText };
            offset = 1;
        }

        for (int i = 0; i < request.Messages.Count; i++)
        {
            PromptMessage message = request.Messages[i];
            messages[i + offset] = new WireMessage { Role = RoleNames[(int)message.Role], Content = message.Content };
        }

        return new ChatCompletionRequestDto
        {
            Model = model,
            Messages = messages,
            Temperature = settings.Temperature,
            MaxTokens = settings.MaxTokens,
            TopP = settings.TopP,
            Stop = settings.Stop,
            Seed = settings.Seed,
            Stream = stream ? true : null,
            StreamOptions = stream ? StreamOptionsDto.IncludeUsage : null,
            ResponseFormat = format switch
            {
                null or { Type: "text" } => null,
                { Type: "json_schema" } when !schemaInPrompt => new ResponseFormatDto
                {
                    Type = "json_schema",
                    JsonSchema = new JsonSchemaDto { Name = format.Name!, Description = format.Description, Schema = new RawJson(format.Schema), Strict = format.Strict },
                },
                _ => JsonObjectFormat,
            },
        };
    }

    private ProviderException InvalidEmbeddings(CallContext call, string message)
        => new(BatchErrorKind.InvalidOutput, Name, message, 200) { RequestId = redactor.RedactOrNull(call.RequestId), Attempts = call.Attempts };
}
