using System.Buffers;
using System.Text.Json;
using TypedBatch.Emulator.Faults;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator.Batches;

/// <summary>
/// Answers one request of a Message Batch with the live <c>/v1/messages</c> logic (validation, the
/// shared answers and bad-answer markers), <c>[[fail:S]]</c> / <c>[[fail:S:K]]</c> (K counted per
/// fingerprint over Message Batch requests), <c>[[quota]]</c> and
/// <see cref="EmulatorOptions.BatchLineFailureRate"/>; a failure is an <c>errored</c> result carrying
/// Anthropic's error object. Anthropic validates each request's <c>params</c> only when it is
/// processed, so an invalid one is an errored result, not a failed batch.
/// </summary>
internal static class MessageBatchLineAnswers
{
    /// <summary>The result line (without its newline) and whether it succeeded.</summary>
    public static (byte[] Line, bool Succeeded) Answer(EmulatorState state, string customId, byte[] parameters, string betas)
    {
        using var document = JsonDocument.Parse(parameters);
        var request = MessagesRequest.Parse(document.RootElement, betas, out string? error);
        if (request is null)
        {
            return (Errored(customId, AnthropicErrors.InvalidRequest, error!), false);
        }

        if (request.Stream)
        {
            return (Errored(customId, AnthropicErrors.InvalidRequest, "stream: streaming is not supported in Message Batches"), false);
        }

        StatsCollector stats = state.Stats;
        string fingerprint = request.Chat.Fingerprint();
        long attempt = stats.BatchLineAttempt("anthropic:" + fingerprint);
        FaultPlan plan = FaultMarkers.Read(default, request.Chat.Messages[^1].Content);
        EmulatorOptions options = state.Options;
        if (plan.Quota || options.QuotaExhausted)
        {
            return (Errored(customId, AnthropicErrors.InvalidRequest, AnthropicErrors.SpendLimitMessage(options.TimeProvider.GetUtcNow())), false);
        }

        if (plan.FailStatus != 0 && (plan.FailTimes == 0 || attempt <= plan.FailTimes))
        {
            return (Errored(customId, AnthropicErrors.TypeOf(plan.FailStatus), AnthropicErrors.InjectedMessage(plan.FailStatus)), false);
        }

        if (options.BatchLineFailureRate > 0 && SeededFaults.Unit(options.FaultSeed, "message-batch:" + fingerprint, attempt) < options.BatchLineFailureRate)
        {
            return (Errored(customId, "api_error", AnthropicErrors.InjectedMessage(500)), false);
        }

        ChatAnswer answer;
        try
        {
            answer = DeterministicAnswers.Chat(request.Chat, BadAnswerMarkers.Choose(request.Chat, plan, stats), fingerprint);
        }
        catch (SchemaGenerationException exception)
        {
            return (Errored(customId, AnthropicErrors.InvalidRequest, exception.Message), false);
        }

        AnthropicMessage message = AnthropicAnswers.Create(request, answer, state.NextMessageId(), state.NextToolUseId);
        return (Line(customId, writer =>
        {
            writer.WriteString("type", "succeeded");
            writer.WritePropertyName("message");
            MessageResponseWriter.WriteMessage(writer, message);
        }), true);
    }

    /// <summary>The result of a request the batch ended without processing: <c>canceled</c> or <c>expired</c>.</summary>
    public static byte[] NotProcessed(string customId, string type) => Line(customId, writer => writer.WriteString("type", type));

    private static byte[] Errored(string customId, string type, string message) => Line(customId, writer =>
    {
        writer.WriteString("type", "errored");
        writer.WritePropertyName("error");
        AnthropicErrors.WriteError(writer, type, message, null);
    });

    private static byte[] Line(string customId, Action<Utf8JsonWriter> writeResult)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("custom_id", customId);
            writer.WriteStartObject("result");
            writeResult(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
