using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary><c>GET /emulator/stats</c> (the <see cref="EmulatorStats"/> snapshot as camelCase JSON) and <c>POST /emulator/reset</c>.</summary>
internal sealed class StatsEndpoint(EmulatorState state)
{
    /// <summary>Writes the current snapshot.</summary>
    public async Task GetAsync(HttpContext context)
    {
        EmulatorStats stats = state.Stats.Snapshot();
        HttpResponse response = context.Response;
        response.ContentType = JsonOutput.ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("chatRequestsReceived", stats.ChatRequestsReceived);
            writer.WriteNumber("chatRequestsServed", stats.ChatRequestsServed);
            writer.WriteNumber("chatRequestsFailed", stats.ChatRequestsFailed);
            writer.WriteNumber("embeddingRequestsReceived", stats.EmbeddingRequestsReceived);
            writer.WriteNumber("embeddingRequestsServed", stats.EmbeddingRequestsServed);
            writer.WriteNumber("embeddingInputsServed", stats.EmbeddingInputsServed);
            writer.WriteNumber("tokenExchanges", stats.TokenExchanges);
            writer.WriteNumber("tokenExchangeRequests", stats.TokenExchangeRequests);
            writer.WriteNumber("maxConcurrentRequests", stats.MaxConcurrentRequests);
            writer.WriteNumber("structuredRequests", stats.StructuredRequests);
            writer.WriteNumber("secondaryOriginRequests", stats.SecondaryOriginRequests);
            writer.WriteNumber("secondaryOriginRequestsWithCredentials", stats.SecondaryOriginRequestsWithCredentials);
            writer.WriteNumber("received", stats.Received);
            writer.WriteNumber("accepted", stats.Accepted);
            writer.WriteNumber("rejectedInvalid", stats.RejectedInvalid);
            writer.WriteNumber("rejectedRateLimited", stats.RejectedRateLimited);
            writer.WriteNumber("rejectedQuota", stats.RejectedQuota);
            writer.WriteNumber("filesUploaded", stats.FilesUploaded);
            writer.WriteNumber("batchesCreated", stats.BatchesCreated);
            writer.WriteNumber("batchLinesProcessed", stats.BatchLinesProcessed);
            writer.WriteNumber("anthropicMessagesReceived", stats.AnthropicMessagesReceived);
            writer.WriteNumber("anthropicMessagesServed", stats.AnthropicMessagesServed);
            writer.WriteNumber("anthropicMessagesFailed", stats.AnthropicMessagesFailed);
            writer.WriteNumber("anthropicBatchesCreated", stats.AnthropicBatchesCreated);
            writer.WriteNumber("anthropicBatchRequestsProcessed", stats.AnthropicBatchRequestsProcessed);
            writer.WriteStartObject("batchAnswersByFingerprint");
            foreach ((string? fingerprint, long count) in stats.BatchAnswersByFingerprint.OrderBy(static p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteNumber(fingerprint, count);
            }

            writer.WriteEndObject();
            InjectedFaultStats faults = stats.InjectedFaults;
            writer.WriteStartObject("injectedFaults");
            writer.WriteNumber("scripted", faults.Scripted);
            writer.WriteNumber("error500", faults.Error500);
            writer.WriteNumber("error503", faults.Error503);
            writer.WriteNumber("reset", faults.Reset);
            writer.WriteNumber("stall", faults.Stall);
            writer.WriteNumber("malformed", faults.Malformed);
            writer.WriteNumber("dripError", faults.DripError);
            writer.WriteNumber("dripOk", faults.DripOk);
            writer.WriteNumber("echoKey", faults.EchoKey);
            writer.WriteNumber("redirect", faults.Redirect);
            writer.WriteNumber("duplicateIndex", faults.DuplicateIndex);
            writer.WriteNumber("missingIndex", faults.MissingIndex);
            writer.WriteNumber("oversize", faults.Oversize);
            writer.WriteNumber("hang", faults.Hang);
            writer.WriteNumber("total", faults.Total);
            writer.WriteEndObject();
            writer.WriteStartObject("byFingerprint");
            foreach ((string? fingerprint, FingerprintStats? counts) in stats.ByFingerprint.OrderBy(static p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteStartObject(fingerprint);
                writer.WriteNumber("received", counts.Received);
                writer.WriteNumber("served", counts.Served);
                writer.WriteNumber("accepted", counts.Accepted);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>Resets the counters; answers 204.</summary>
    public Task ResetAsync(HttpContext context)
    {
        state.Stats.Reset();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
