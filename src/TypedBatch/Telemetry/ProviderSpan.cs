using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using TypedBatch.Providers;

namespace TypedBatch;

/// <summary>
/// A provider call as the OpenTelemetry GenAI conventions describe it: a client span <c>{operation} {model}</c> with the
/// <c>gen_ai.*</c> attributes, and the <c>gen_ai.client.operation.duration</c> and <c>gen_ai.client.token.usage</c>
/// histograms. Retries are events on the span (<see cref="Retried"/>).
/// </summary>
internal static class ProviderSpan
{
    public static Activity? Start(string operation, string provider, string model, double? temperature, int? maxTokens)
    {
        Activity? span = TypedBatchTelemetry.Source.StartActivity($"{operation} {model}", ActivityKind.Client);
        if (span is null)
        {
            return null;
        }

        span.SetTag("gen_ai.operation.name", operation);
        span.SetTag("gen_ai.provider.name", provider);
        span.SetTag("gen_ai.request.model", model);
        if (temperature is { } t)
        {
            span.SetTag("gen_ai.request.temperature", t);
        }

        if (maxTokens is { } max)
        {
            span.SetTag("gen_ai.request.max_tokens", max);
        }

        return span;
    }

    public static void Succeeded(Activity? span, string operation, string provider, string model, string? responseModel, string? responseId, TokenUsage usage, string? finishReason, long started)
    {
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (span is not null)
        {
            span.SetTag("gen_ai.response.model", responseModel);
            span.SetTag("gen_ai.response.id", responseId);
            span.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
            span.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
            if (finishReason is not null)
            {
                span.SetTag("gen_ai.response.finish_reasons", new[] { finishReason });
            }
        }

        if (!TypedBatchTelemetry.OperationDuration.Enabled && !TypedBatchTelemetry.TokenUsage.Enabled)
        {
            return; // nobody listens: no tags built
        }

        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "gen_ai.provider.name", provider },
            { "gen_ai.request.model", model },
            { "gen_ai.response.model", responseModel },
        };
        TypedBatchTelemetry.OperationDuration.Record(seconds, tags);
        if (TypedBatchTelemetry.TokenUsage.Enabled)
        {
            TagList input = tags;
            input.Add("gen_ai.token.type", "input");
            TypedBatchTelemetry.TokenUsage.Record(usage.PromptTokens, input);
            if (operation == "chat")
            {
                TagList output = tags;
                output.Add("gen_ai.token.type", "output");
                TypedBatchTelemetry.TokenUsage.Record(usage.CompletionTokens, output);
            }
        }
    }

    public static void Failed(Activity? span, string operation, string provider, string model, Exception failure, long started)
    {
        string errorType = failure switch
        {
            ProviderException { StatusCode: { } status } => status.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ProviderException described => BatchSpan.ErrorType(described.Kind),
            OperationCanceledException => "cancelled",
            _ => failure.GetType().FullName ?? "error",
        };
        if (span is not null)
        {
            span.SetStatus(ActivityStatusCode.Error, failure is ProviderException ? failure.Message : failure.GetType().Name);
            span.SetTag("error.type", errorType);
        }

        if (!TypedBatchTelemetry.OperationDuration.Enabled)
        {
            return;
        }

        TypedBatchTelemetry.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new TagList
        {
            { "gen_ai.operation.name", operation },
            { "gen_ai.provider.name", provider },
            { "gen_ai.request.model", model },
            { "error.type", errorType },
        });
    }

    /// <summary>A retry of the current call, as an event on its span: which attempt, why, and how long it waits.</summary>
    public static void Retried(int attempt, TimeSpan delay, int? status, Exception? failure)
    {
        if (Activity.Current is not { } span || span.Source != TypedBatchTelemetry.Source)
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            { "typedbatch.retry.attempt", attempt },
            { "typedbatch.retry.delay", delay.TotalSeconds },
        };
        if (status is { } code)
        {
            tags.Add("http.response.status_code", code);
        }

        if (failure is not null)
        {
            tags.Add("error.type", failure.GetType().FullName);
        }

        span.AddEvent(new ActivityEvent("typedbatch.retry", tags: tags));
    }

    /// <summary>With <see cref="TypedBatchOptions.RecordContent"/>: the prompt and the answer, as the conventions' message JSON.</summary>
    public static void RecordContent(Activity span, IReadOnlyList<PromptMessage> messages, ChatCompletion completion)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (PromptMessage message in messages)
            {
                WriteMessage(writer, message.Role.ToString().ToLowerInvariant(), message.Content);
            }

            writer.WriteEndArray();
        }

        span.SetTag("gen_ai.input.messages", Encoding.UTF8.GetString(buffer.WrittenSpan));
        buffer.Clear();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            WriteMessage(writer, "assistant", completion.Content ?? completion.Refusal ?? string.Empty);
            writer.WriteEndArray();
        }

        span.SetTag("gen_ai.output.messages", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static void WriteMessage(Utf8JsonWriter writer, string role, string content)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteStartArray("parts");
        writer.WriteStartObject();
        writer.WriteString("type", "text");
        writer.WriteString("content", content);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
