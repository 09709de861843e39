using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary><c>GET /emulator/stats</c> (the <see cref="EmulatorStats"/> snapshot as camelCase JSON) and <c>POST /emulator/reset</c>.</summary>
internal sealed class StatsEndpoint(EmulatorState state)
{
    /// <summary>Writes the current snapshot.</summary>
    public async Task GetAsync(HttpContext context)
    {
        var stats = state.Stats.Snapshot();
        var response = context.Response;
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
            writer.WriteNumber("maxConcurrentRequests", stats.MaxConcurrentRequests);
            writer.WriteNumber("structuredRequests", stats.StructuredRequests);
            writer.WriteStartObject("byFingerprint");
            foreach (var (fingerprint, counts) in stats.ByFingerprint.OrderBy(static p => p.Key, StringComparer.Ordinal))
            {
                writer.WriteStartObject(fingerprint);
                writer.WriteNumber("received", counts.Received);
                writer.WriteNumber("served", counts.Served);
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
