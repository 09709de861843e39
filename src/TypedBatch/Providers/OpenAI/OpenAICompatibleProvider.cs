using System.Net;
using System.Text.Json;
using Polly.Timeout;
using Refit;
using TypedBatch.Http;
using TypedBatch.Limits;
using TypedBatch.Resilience;

namespace TypedBatch.Providers.OpenAI;

/// <summary>
/// Any server that speaks the OpenAI chat completions and embeddings API: OpenAI itself, Azure OpenAI, GitHub Copilot,
/// Ollama, vLLM, LM Studio, llama.cpp. Maps between the public model and the wire DTOs, starts each call's
/// <see cref="CallContext"/>, and turns every failure into a <see cref="ProviderException"/>. Limits, retries and
/// credentials are the business of its <see cref="HttpClient"/> pipeline.
/// </summary>
internal sealed class OpenAICompatibleProvider(
    string name,
    IChatWire wire,
    SecretRedactor redactor,
    StructuredOutputMode structuredOutputs = StructuredOutputMode.JsonSchema,
    ProviderLimits? limits = null,
    string? modelOverride = null) : IChatProvider
{
    private static readonly ResponseFormatDto JsonObjectFormat = new() { Type = "json_object" };

    private static readonly string[] RoleNames = ["system", "user", "assistant"];

    public OpenAICompatibleProvider(string name, IOpenAIApi api, SecretRedactor redactor)
        : this(name, new OpenAIRoutes(api), redactor)
    {
    }

    public string Name { get; } = name;

    /// <summary>The provider's file-based Batch API, over the same pipeline, when it has one (not GitHub Copilot).</summary>
    public Deferred.IRemoteBatchApi? Batches { get; init; }

    /// <summary>How a typed request's schema is sent to this server, which deferred lines must follow too.</summary>
    public StructuredOutputMode StructuredOutputs => structuredOutputs;

    /// <summary>The model every request is sent with instead of the call's (an Azure deployment), if any.</summary>
    public string? ModelOverride => modelOverride;

    public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        CompletionSettings settings = request.Settings;
        string model = modelOverride ?? request.Model;
        ChatCompletionRequestDto dto = ToWire(request, model, structuredOutputs);
        var call = new CallContext
        {
            Model = model,
            PromptEstimate = TokenEstimator.EstimatePrompt(request.Messages),
            MaxOutputTokens = settings.MaxTokens,
        };
        using IApiResponse<ChatCompletionResponseDto> response = await SendAsync(wire.ChatAsync(dto, call, cancellationToken), call, cancellationToken).ConfigureAwait(false);
        ChatCompletionResponseDto body = EnsureSuccess(response, call, cancellationToken);

        ChatCompletion completion = FromWire(body, Name, (int?)response.StatusCode, redactor.RedactOrNull(call.RequestId), Math.Max(1, call.Attempts));
        RateLimitHandlers.LearnUsage(limits, call, completion.Usage.PromptTokens);
        return completion;
    }

    /// <summary>
    /// A chat completion body as the public model: the first choice's content or refusal, its finish reason, usage. The
    /// one mapping for live answers and a deferred batch's output lines.
    /// </summary>
    /// <exception cref="ProviderException">No choice has a message content or refusal.</exception>
    internal static ChatCompletion FromWire(ChatCompletionResponseDto body, string provider, int? status, string? requestId, int attempts)
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

        return new ChatCompletion
        {
            Content = answer.Content,
            Refusal = answer.Refusal,
            FinishReason = choice!.FinishReason,
            Model = body.Model,
            Id = body.Id,
            Usage = body.Usage?.ToTokenUsage() ?? default,
            Attempts = attempts,
            Provider = provider,
        };
    }

    public async Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
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
        using IApiResponse<EmbeddingResponseDto> response = await SendAsync(wire.EmbedAsync(dto, call, cancellationToken), call, cancellationToken).ConfigureAwait(false);
        EmbeddingResponseDto body = EnsureSuccess(response, call, cancellationToken);

        var embeddings = new Embedding[request.Inputs.Count];
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

            embeddings[index] = new Embedding(vector, body.Model);
        }

        int missing = Array.IndexOf(embeddings, null);
        if (missing >= 0)
        {
            throw InvalidEmbeddings(call, $"The response has no embedding for input {missing} of {embeddings.Length}.");
        }

        TokenUsage usage = body.Usage?.ToTokenUsage() ?? default;
        RateLimitHandlers.LearnUsage(limits, call, usage.PromptTokens);
        return new EmbeddingResponse(embeddings, usage, Math.Max(1, call.Attempts));
    }

    public override string ToString() => Name;

    /// <summary>The wire request for a chat request: messages, settings and the response format for this server.</summary>
    internal static ChatCompletionRequestDto ToWire(ChatRequest request, string model, StructuredOutputMode structuredOutputs)
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
            ChatMessage message = request.Messages[i];
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

    private async Task<IApiResponse<T>> SendAsync<T>(Task<IApiResponse<T>> send, CallContext call, CancellationToken cancellationToken)
    {
        try
        {
            return await send.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (ProviderException)
        {
            throw;
        }
        catch (Exception ex) when (Refused(ex, call) is { } refused)
        {
            throw refused;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException or IOException)
        {
            throw TransportFailure(ex, call);
        }
    }

    private T EnsureSuccess<T>(IApiResponse<T> response, CallContext call, CancellationToken cancellationToken)
        where T : class
    {
        if (response.IsSuccessful && response.Content is { } content)
        {
            return content;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (response.HasRequestError(out ApiRequestException? requestError))
        {
            // A handler in the pipeline (the Copilot token exchange) already described its failure.
            if (requestError.InnerException is ProviderException described)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(described);
            }

            throw Refused(requestError.InnerException, call) ?? TransportFailure(requestError.InnerException ?? requestError, call);
        }

        int? status = (int?)response.StatusCode;
        if (response.IsSuccessStatusCode)
        {
            // A 2xx whose body was cut off or is not the expected JSON: the provider may have billed it.
            string detail = response.Error?.InnerException is JsonException json ? json.Message : "empty or unreadable body";
            throw new ProviderException(BatchErrorKind.Transport, Name, $"The response body could not be read ({redactor.Redact(detail)}).", status)
            {
                RequestId = redactor.RedactOrNull(call.RequestId),
                Attempts = call.Attempts,
            };
        }

        // Masked before parsing, which cuts a non-JSON body short: a cut must not leave half a key unmasked.
        string? errorBody = response.Error is ApiException api ? redactor.RedactOrNull(api.Content) : null;
        ErrorDto? error = OpenAIErrors.Parse(errorBody, out string? bareMessage);
        string message = redactor.Redact(error?.Message ?? bareMessage ?? response.ReasonPhrase ?? "no error message");
        if (call.RetryAfterRefused is { } wait)
        {
            message += $" The server asked to wait {wait}, longer than MaxRetryAfter allows; failing now instead of holding the batch.";
        }

        BatchErrorKind kind = OpenAIErrors.KindOf(status ?? 0, error);
        throw new ProviderException(kind, Name, message, status)
        {
            // Masked again once parsed: JSON escapes can hide a secret from the raw-text pass.
            ErrorType = redactor.RedactOrNull(error?.Type),
            ErrorCode = redactor.RedactOrNull(error?.CodeText),
            Param = redactor.RedactOrNull(error?.Param),
            RequestId = redactor.RedactOrNull(call.RequestId),
            Attempts = call.Attempts,
        };
    }

    /// <summary>An answer the pipeline refused to take in (too large, a redirect it does not follow), described for the caller; otherwise null.</summary>
    private ProviderException? Refused(Exception? ex, CallContext call) => ex switch
    {
        ResponseTooLargeException tooLarge => new ProviderException(BatchErrorKind.InvalidOutput, Name, tooLarge.Message, tooLarge.StatusCode)
        {
            RequestId = redactor.RedactOrNull(call.RequestId),
            Attempts = call.Attempts,
        },
        RedirectRefusedException redirect => new ProviderException(BatchErrorKind.Http, Name, redirect.Message, redirect.StatusCode)
        {
            RequestId = redactor.RedactOrNull(call.RequestId),
            Attempts = call.Attempts,
        },
        _ => null,
    };

    private ProviderException TransportFailure(Exception ex, CallContext call)
    {
        bool timeout = ex is TimeoutRejectedException or OperationCanceledException;
        // Refit's exceptions hold the request message (and so its headers): never attach them.
        Exception? inner = ex is ApiExceptionBase ? null : ex;
        return new ProviderException(timeout ? BatchErrorKind.Timeout : BatchErrorKind.Transport, Name, redactor.Redact(ex.Message), null, inner)
        {
            RequestId = redactor.RedactOrNull(call.RequestId),
            Attempts = call.Attempts,
        };
    }
}
