using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace TypedBatch.Emulator.Batches;

/// <summary>
/// <c>/v1/batches</c>: create, get, list (newest first, <c>after</c>/<c>limit</c>) and cancel, in
/// the shapes of OpenAI's Batch API; the lifecycle is <see cref="BatchJob"/>'s.
/// </summary>
internal sealed class BatchesEndpoint(EmulatorState state) : IDisposable
{
    private const int MaxMetadataPairs = 16;
    private readonly ConcurrentDictionary<string, BatchJob> _batches = new(StringComparer.Ordinal);
    private long _sequence;

    /// <summary><c>POST /v1/batches</c>.</summary>
    public async Task CreateAsync(HttpContext context)
    {
        using JsonDocument? document = await RequestBody.TryParseAsync(context);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            await OpenAIErrors.WriteAsync(context, RequestError.UnreadableBody);
            return;
        }

        JsonElement root = document.RootElement;
        if (!TryString(root, "input_file_id", out string? inputFileId))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Missing("input_file_id"));
            return;
        }

        if (!TryString(root, "endpoint", out string? endpoint))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Missing("endpoint"));
            return;
        }

        if (endpoint is not (BatchJob.ChatEndpoint or BatchJob.EmbeddingsEndpoint))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("endpoint", $"the emulator runs batches for '{BatchJob.ChatEndpoint}' and '{BatchJob.EmbeddingsEndpoint}'."));
            return;
        }

        if (!TryString(root, "completion_window", out string? window))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Missing("completion_window"));
            return;
        }

        if (window != "24h")
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("completion_window", "'24h' is the only supported completion window."));
            return;
        }

        List<KeyValuePair<string, string>>? metadata = null;
        if (root.TryGetProperty("metadata", out JsonElement metadataElement) && metadataElement.ValueKind != JsonValueKind.Null)
        {
            metadata = ReadMetadata(metadataElement);
            if (metadata is null)
            {
                await OpenAIErrors.WriteAsync(context, RequestError.Invalid(
                    "metadata", $"an object of at most {MaxMetadataPairs} string values, keys up to 64 characters and values up to 512."));
                return;
            }
        }

        if (state.Files.Find(inputFileId) is not { } input)
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"No such File object: {inputFileId}", OpenAIErrors.InvalidRequest, "input_file_id", null);
            return;
        }

        if (input.Purpose != "batch")
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("input_file_id", $"the file has purpose '{input.Purpose}'; a batch needs a file of purpose 'batch'."));
            return;
        }

        long sequence = Interlocked.Increment(ref _sequence);
        string id = "batch_emu" + sequence.ToString("x23", CultureInfo.InvariantCulture);
        var job = new BatchJob(state, sequence, id, input, endpoint, metadata);
        _batches[id] = job;
        state.Stats.BatchCreated();
        await WriteBatchAsync(context, job);
    }

    /// <summary><c>GET /v1/batches/{id}</c>.</summary>
    public async Task GetAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is { } job)
        {
            await WriteBatchAsync(context, job);
        }
    }

    /// <summary><c>POST /v1/batches/{id}/cancel</c>: 409 once the batch has ended.</summary>
    public async Task CancelAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is not { } job)
        {
            return;
        }

        if (!job.TryCancel(out string status))
        {
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status409Conflict, $"Cannot cancel a batch with status '{status}'.", OpenAIErrors.InvalidRequest, null, null);
            return;
        }

        await WriteBatchAsync(context, job);
    }

    /// <summary><c>GET /v1/batches?after=&amp;limit=</c>: newest first, <c>limit</c> 1 to 100 (20 by default).</summary>
    public async Task ListAsync(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        int limit = 20;
        if (query.TryGetValue("limit", out Microsoft.Extensions.Primitives.StringValues limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("limit", "an integer between 1 and 100."));
            return;
        }

        IEnumerable<BatchJob> ordered = _batches.Values.OrderByDescending(static b => b.Sequence);
        string? after = query["after"];
        if (!string.IsNullOrEmpty(after))
        {
            long afterSequence = _batches.TryGetValue(after, out BatchJob? cursor) ? cursor.Sequence : long.MaxValue;
            ordered = ordered.Where(b => b.Sequence < afterSequence);
        }

        (List<BatchJob> page, bool hasMore) = ListPage.Take(ordered, limit);
        var views = new List<BatchView>(page.Count);
        foreach (BatchJob job in page)
        {
            job.Read(views.Add);
        }

        await ListPage.WriteAsync(context, views, static v => v.Id, WriteBatch, hasMore);
    }

    /// <summary>Closes the input files the batches hold open.</summary>
    public void Dispose()
    {
        foreach (BatchJob job in _batches.Values)
        {
            job.Dispose();
        }
    }

    /// <summary>Writes OpenAI's batch object, field for field in the recorded order.</summary>
    public static void WriteBatch(Utf8JsonWriter writer, BatchView batch)
    {
        writer.WriteStartObject();
        writer.WriteString("id", batch.Id);
        writer.WriteString("object", "batch");
        writer.WriteString("endpoint", batch.Endpoint);
        ListPage.WriteStringOrNull(writer, "model", batch.Model);
        if (batch.Errors is null)
        {
            writer.WriteNull("errors");
        }
        else
        {
            writer.WriteStartObject("errors");
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            foreach (BatchError error in batch.Errors)
            {
                writer.WriteStartObject();
                writer.WriteString("code", error.Code);
                writer.WriteString("message", error.Message);
                ListPage.WriteStringOrNull(writer, "param", error.Param);
                WriteNumberOrNull(writer, "line", error.Line);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteString("input_file_id", batch.InputFileId);
        writer.WriteString("completion_window", "24h");
        writer.WriteString("status", batch.Status);
        ListPage.WriteStringOrNull(writer, "output_file_id", batch.OutputFileId);
        ListPage.WriteStringOrNull(writer, "error_file_id", batch.ErrorFileId);
        writer.WriteNumber("created_at", batch.CreatedAt);
        WriteNumberOrNull(writer, "in_progress_at", batch.InProgressAt);
        writer.WriteNumber("expires_at", batch.ExpiresAt);
        WriteNumberOrNull(writer, "finalizing_at", batch.FinalizingAt);
        WriteNumberOrNull(writer, "completed_at", batch.CompletedAt);
        WriteNumberOrNull(writer, "failed_at", batch.FailedAt);
        WriteNumberOrNull(writer, "expired_at", batch.ExpiredAt);
        WriteNumberOrNull(writer, "cancelling_at", batch.CancellingAt);
        WriteNumberOrNull(writer, "cancelled_at", batch.CancelledAt);
        writer.WriteStartObject("request_counts");
        writer.WriteNumber("total", batch.Total);
        writer.WriteNumber("completed", batch.Completed);
        writer.WriteNumber("failed", batch.Failed);
        writer.WriteEndObject();
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", batch.InputTokens);
        writer.WriteNumber("output_tokens", batch.OutputTokens);
        writer.WriteNumber("total_tokens", batch.InputTokens + batch.OutputTokens);
        writer.WriteStartObject("input_tokens_details");
        writer.WriteNumber("cached_tokens", 0);
        writer.WriteEndObject();
        writer.WriteStartObject("output_tokens_details");
        writer.WriteNumber("reasoning_tokens", 0);
        writer.WriteEndObject();
        writer.WriteEndObject();
        if (batch.Metadata is null)
        {
            writer.WriteNull("metadata");
        }
        else
        {
            writer.WriteStartObject("metadata");
            foreach ((string key, string value) in batch.Metadata)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static Task WriteBatchAsync(HttpContext context, BatchJob job)
    {
        BatchView? view = null;
        job.Read(v => view = v);
        return FilesEndpoint.WriteJsonAsync(context, writer => WriteBatch(writer, view!));
    }

    private async Task<BatchJob?> FindOrNotFoundAsync(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        if (_batches.TryGetValue(id, out BatchJob? job))
        {
            return job;
        }

        await OpenAIErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"No batch found with id '{id}'.", OpenAIErrors.InvalidRequest, "id", null);
        return null;
    }

    private static List<KeyValuePair<string, string>>? ReadMetadata(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var pairs = new List<KeyValuePair<string, string>>();
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String || property.Name.Length > 64 || property.Value.GetString()!.Length > 512)
            {
                return null;
            }

            pairs.Add(new KeyValuePair<string, string>(property.Name, property.Value.GetString()!));
        }

        return pairs.Count > MaxMetadataPairs ? null : pairs;
    }

    private static bool TryString(JsonElement root, string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        value = root.TryGetProperty(name, out JsonElement element) && element.ValueKind == JsonValueKind.String ? element.GetString() : null;
        return !string.IsNullOrEmpty(value);
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
