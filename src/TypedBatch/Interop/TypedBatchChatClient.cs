using System.Runtime.CompilerServices;
using System.Text.Json;
using Meai = Microsoft.Extensions.AI;

namespace TypedBatch.Interop;

/// <summary>
/// TypedBatch's provider pipeline (rate-limit gates, the one retry loop, the Copilot token exchange, fallbacks, the
/// timeouts) as a Microsoft.Extensions.AI <see cref="Meai.IChatClient"/>, so it composes with <c>ChatClientBuilder</c>
/// middleware. Text messages only; <see cref="Meai.ChatOptions"/> maps onto <see cref="CompletionSettings"/>: model,
/// temperature, max output tokens, top-p, stop sequences, seed and the response format (text, JSON, JSON schema).
/// The client does not own the <see cref="TypedBatchClient"/>: disposing it leaves the client open.
/// </summary>
internal sealed class TypedBatchChatClient(TypedBatchClient client) : Meai.IChatClient
{
    private static readonly Meai.ChatRole[] Roles = [Meai.ChatRole.System, Meai.ChatRole.User, Meai.ChatRole.Assistant];

    private readonly Meai.ChatClientMetadata _metadata = client.Options.ChatClient?.GetService(typeof(Meai.ChatClientMetadata)) is Meai.ChatClientMetadata inner
        ? new(inner.ProviderName ?? TypedBatchTelemetry.ProviderName(client.Options.Provider), inner.ProviderUri, client.Options.Model)
        : new(TypedBatchTelemetry.ProviderName(client.Options.Provider), client.Options.BaseUrl, client.Options.Model);

    public async Task<Meai.ChatResponse> GetResponseAsync(IEnumerable<Meai.ChatMessage> messages, Meai.ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatCompletion completion = await client.CreateChatCompletionAsync(ToMessages(messages), ToSettings(options), cancellationToken).ConfigureAwait(false);
        var answer = new Meai.ChatMessage(Meai.ChatRole.Assistant, completion.Content ?? completion.Refusal ?? string.Empty)
        {
            MessageId = completion.Id,
        };
        return new Meai.ChatResponse(answer)
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            FinishReason = ToFinishReason(completion.FinishReason, completion.Refusal is not null),
            Usage = ToUsage(completion.Usage),
            RawRepresentation = completion,
        };
    }

    public async IAsyncEnumerable<Meai.ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<Meai.ChatMessage> messages, Meai.ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (ChatCompletionUpdate update in client.StreamChatCompletionAsync(ToMessages(messages), ToSettings(options), cancellationToken).ConfigureAwait(false))
        {
            var contents = new List<Meai.AIContent>(2);
            if ((update.Text ?? update.Refusal) is { } text)
            {
                contents.Add(new Meai.TextContent(text));
            }

            if (update.Usage is { } usage)
            {
                contents.Add(new Meai.UsageContent(ToUsage(usage)));
            }

            yield return new Meai.ChatResponseUpdate(Meai.ChatRole.Assistant, contents)
            {
                ResponseId = update.Id,
                MessageId = update.Id,
                ModelId = update.Model,
                FinishReason = update.FinishReason is null ? null : ToFinishReason(update.FinishReason, update.Refusal is not null),
                RawRepresentation = update,
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => Service(this, client, _metadata, serviceType, serviceKey);

    /// <summary>What an adapter's <c>GetService</c> answers, unkeyed: its metadata, the client behind it, or itself.</summary>
    internal static object? Service(object adapter, TypedBatchClient client, object metadata, Type serviceType, object? serviceKey)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType.IsInstanceOfType(adapter) ? adapter
            : serviceType.IsInstanceOfType(metadata) ? metadata
            : serviceType == typeof(TypedBatchClient) ? client
            : null;
    }

    public void Dispose()
    {
        // The TypedBatchClient belongs to whoever created it.
    }

    /// <summary>Text messages as TypedBatch's; anything else (images, tool calls, other roles) is refused, naming the message.</summary>
    internal static PromptMessage[] ToMessages(IEnumerable<Meai.ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var converted = new List<PromptMessage>();
        int index = 0;
        foreach (Meai.ChatMessage message in messages)
        {
            if (message is null)
            {
                throw new ArgumentException($"Message {index} is null.", nameof(messages));
            }

            foreach (Meai.AIContent content in message.Contents)
            {
                if (content is not Meai.TextContent)
                {
                    throw new ArgumentException($"Message {index} has {content.GetType().Name}; TypedBatch sends text messages only.", nameof(messages));
                }
            }

            int role = Array.IndexOf(Roles, message.Role);
            if (role < 0)
            {
                throw new ArgumentException($"Message {index} has the role '{message.Role}'; TypedBatch sends system, user and assistant messages.", nameof(messages));
            }

            converted.Add(new PromptMessage((PromptRole)role, message.Text));
            index++;
        }

        return [.. converted];
    }

    /// <summary>The options TypedBatch can send, as its settings; tools are refused rather than silently dropped.</summary>
    internal static CompletionSettings ToSettings(Meai.ChatOptions? options)
    {
        if (options is null)
        {
            return new CompletionSettings();
        }

        if (options.Tools is { Count: > 0 })
        {
            throw new ArgumentException("TypedBatch does not send tools; use a client that does, or leave ChatOptions.Tools empty.", nameof(options));
        }

        return new CompletionSettings
        {
            Model = options.ModelId,
            Temperature = options.Temperature,
            MaxTokens = options.MaxOutputTokens,
            TopP = options.TopP,
            Stop = options.StopSequences is { Count: > 0 } stop ? [.. stop] : null,
            Seed = options.Seed,
            ResponseFormat = options.ResponseFormat switch
            {
                null => null,
                Meai.ChatResponseFormatText => ResponseFormat.Text,
                Meai.ChatResponseFormatJson { Schema: { } schema } json => ResponseFormat.ForJsonSchema(
                    json.SchemaName ?? "response", JsonSerializer.SerializeToUtf8Bytes(schema, InteropJsonContext.Default.JsonElement), json.SchemaDescription),
                _ => ResponseFormat.JsonObject,
            },
        };
    }

    internal static Meai.UsageDetails ToUsage(TokenUsage usage) => new()
    {
        InputTokenCount = usage.PromptTokens,
        OutputTokenCount = usage.CompletionTokens,
        TotalTokenCount = usage.TotalTokens,
        CachedInputTokenCount = usage.CachedTokens,
        ReasoningTokenCount = usage.ReasoningTokens,
    };

    private static Meai.ChatFinishReason? ToFinishReason(string? reason, bool refused) => refused ? Meai.ChatFinishReason.ContentFilter : reason switch
    {
        null => null,
        "stop" => Meai.ChatFinishReason.Stop,
        "length" => Meai.ChatFinishReason.Length,
        "content_filter" => Meai.ChatFinishReason.ContentFilter,
        "tool_calls" or "function_call" => Meai.ChatFinishReason.ToolCalls,
        _ => new Meai.ChatFinishReason(reason),
    };
}

/// <summary>Source-generated JSON for the interop layer (a JSON schema handed over as a <see cref="JsonElement"/>).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(JsonElement))]
internal sealed partial class InteropJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
