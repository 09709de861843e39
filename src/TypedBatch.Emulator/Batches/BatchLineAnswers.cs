using System.Buffers;
using System.Text.Json;
using TypedBatch.Emulator.Faults;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator.Batches;

/// <summary>One processed line: its JSON (without the newline), whether it goes to the output file, and its tokens.</summary>
internal readonly record struct BatchLineResult(byte[] Json, bool Succeeded, long InputTokens, long OutputTokens);

/// <summary>
/// Answers one batch input line with the logic of the live endpoints: the deterministic and
/// structured chat answers and bad-answer markers, the deterministic embeddings, <c>[[fail:S]]</c>,
/// <c>[[fail:S:K]]</c> (K counted per fingerprint over batch lines) and <c>[[quota]]</c> markers,
/// and <see cref="EmulatorOptions.BatchLineFailureRate"/>. Latency, rate limits and connection
/// faults do not apply: there is no connection.
/// </summary>
internal static class BatchLineAnswers
{
    /// <summary>Answers the line's <c>body</c> for <paramref name="endpoint"/>.</summary>
    public static BatchLineResult Answer(EmulatorState state, string endpoint, string customId, JsonElement body, long now)
    {
        string lineId = state.NextBatchLineId();
        string requestId = state.NextRequestId();
        return endpoint == BatchJob.ChatEndpoint
            ? AnswerChat(state, customId, body, now, lineId, requestId)
            : AnswerEmbeddings(state, customId, body, lineId, requestId);
    }

    /// <summary>The line of a request the batch did not run before it expired (error file).</summary>
    public static byte[] Expired(EmulatorState state, string customId) => Line(state.NextBatchLineId(), customId, writer =>
    {
        writer.WriteNull("response");
        writer.WriteStartObject("error");
        writer.WriteString("code", "batch_expired");
        writer.WriteString("message", "This request could not be executed before the completion window expired.");
        writer.WriteEndObject();
    });

    private static BatchLineResult AnswerChat(EmulatorState state, string customId, JsonElement body, long now, string lineId, string requestId)
    {
        StatsCollector stats = state.Stats;
        var request = ChatRequest.Parse(body, out RequestError? error);
        if (request is null)
        {
            return Failure(lineId, customId, requestId, 400, error!.Message, OpenAIErrors.InvalidRequest, error.Param, error.Code);
        }

        string fingerprint = request.Fingerprint();
        long attempt = stats.BatchLineAttempt(fingerprint);
        if (request.Format.IsStructured)
        {
            stats.StructuredRequest();
        }

        FaultPlan plan = FaultMarkers.Read(default, request.Messages[^1].Content);
        if (InjectedFailure(state, plan, fingerprint, attempt) is { } failure)
        {
            return Failure(lineId, customId, requestId, failure.Status, failure.Message, failure.Type, null, failure.Code);
        }

        ChatAnswer answer;
        try
        {
            answer = DeterministicAnswers.Chat(request, BadAnswerMarkers.Choose(request, plan, stats), fingerprint);
        }
        catch (SchemaGenerationException exception)
        {
            return Failure(
                lineId, customId, requestId, 400, $"Invalid schema for response_format '{request.Format.Name}': {exception.Message}",
                OpenAIErrors.InvalidRequest, "response_format", null);
        }

        string completionId = state.NextCompletionId();
        stats.BatchAnswered(fingerprint);
        byte[] json = Success(lineId, customId, requestId, writer => ChatResponseWriter.WriteCompletion(writer, request, answer, completionId, now));
        return new BatchLineResult(json, true, answer.PromptTokens, answer.CompletionTokens);
    }

    private static BatchLineResult AnswerEmbeddings(EmulatorState state, string customId, JsonElement body, string lineId, string requestId)
    {
        StatsCollector stats = state.Stats;
        var request = EmbeddingsRequest.Parse(body, state.Options.EmbeddingDimensions, out RequestError? error);
        if (request is null)
        {
            return Failure(lineId, customId, requestId, 400, error!.Message, OpenAIErrors.InvalidRequest, error.Param, error.Code);
        }

        string fingerprint = request.Fingerprint();
        long attempt = stats.BatchLineAttempt(fingerprint);
        var plan = default(FaultPlan);
        foreach (string input in request.Inputs)
        {
            plan = FaultMarkers.Read(plan, input);
        }

        if (InjectedFailure(state, plan, fingerprint, attempt) is { } failure)
        {
            return Failure(lineId, customId, requestId, failure.Status, failure.Message, failure.Type, null, failure.Code);
        }

        long tokens = 0;
        foreach (string input in request.Inputs)
        {
            tokens += DeterministicAnswers.EstimateTokens(input);
        }

        stats.BatchAnswered(fingerprint);
        byte[] json = Success(lineId, customId, requestId, writer => EmbeddingsResponseWriter.WriteAll(writer, request));
        return new BatchLineResult(json, true, tokens, 0);
    }

    private static (int Status, string Message, string Type, string? Code)? InjectedFailure(EmulatorState state, FaultPlan plan, string fingerprint, long attempt)
    {
        if (plan.Quota || state.Options.QuotaExhausted)
        {
            return (429, OpenAIErrors.QuotaMessage, "insufficient_quota", "insufficient_quota");
        }

        if (plan.FailStatus != 0 && (plan.FailTimes == 0 || attempt <= plan.FailTimes))
        {
            return (plan.FailStatus, $"The TypedBatch emulator injected a failure with status {plan.FailStatus}.",
                plan.FailStatus >= 500 ? OpenAIErrors.ServerError : OpenAIErrors.InvalidRequest, null);
        }

        double rate = state.Options.BatchLineFailureRate;
        if (rate > 0 && SeededFaults.Unit(state.Options.FaultSeed, "batch-line:" + fingerprint, attempt) < rate)
        {
            return (500, "The server had an error processing your request (injected by the TypedBatch emulator).", OpenAIErrors.ServerError, null);
        }

        return null;
    }

    private static byte[] Success(string lineId, string customId, string requestId, Action<Utf8JsonWriter> writeBody) => Line(lineId, customId, writer =>
    {
        writer.WriteStartObject("response");
        writer.WriteNumber("status_code", 200);
        writer.WriteString("request_id", requestId);
        writer.WritePropertyName("body");
        writeBody(writer);
        writer.WriteEndObject();
        writer.WriteNull("error");
    });

    private static BatchLineResult Failure(
        string lineId, string customId, string requestId, int status, string message, string type, string? param, string? code)
    {
        byte[] json = Line(lineId, customId, writer =>
        {
            writer.WriteStartObject("response");
            writer.WriteNumber("status_code", status);
            writer.WriteString("request_id", requestId);
            writer.WriteStartObject("body");
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            ListPage.WriteStringOrNull(writer, "param", param);
            ListPage.WriteStringOrNull(writer, "code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteNull("error");
        });
        return new BatchLineResult(json, false, 0, 0);
    }

    private static byte[] Line(string lineId, string customId, Action<Utf8JsonWriter> writeRest)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id", lineId);
            writer.WriteString("custom_id", customId);
            writeRest(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

}
