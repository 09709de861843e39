using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace TypedBatch.Emulator.Batches;

/// <summary>
/// Anthropic's Message Batches API: create, retrieve, list, cancel, delete and results, in the shapes
/// of Anthropic's reference; the lifecycle is <see cref="MessageBatchJob"/>'s.
/// </summary>
/// <remarks>
/// Checked against the reference (platform.claude.com/docs/en/api/messages/batches): <c>requests</c> has 1 to
/// 100,000 items (<see cref="EmulatorOptions.AnthropicBatchMaxRequests"/>), a body of at most 256 MB
/// (<see cref="EmulatorOptions.AnthropicBatchMaxBytes"/>; larger is 413 <c>request_too_large</c>, from the
/// errors reference's size table), <c>custom_id</c> matches <c>^[a-zA-Z0-9_-]{1,64}$</c> and is unique within
/// the batch; timestamps are RFC 3339 strings; <c>results_url</c> is set once the batch has ended; the list
/// is newest first with <c>before_id</c>, <c>after_id</c> and <c>limit</c> (1 to 1,000, 20 by default) and
/// answers <c>{data, has_more, first_id, last_id}</c>; a delete answers <c>{id, type: "message_batch_deleted"}</c>.
/// Not found in the reference, so chosen here: deleting a batch still processing, canceling an ended one
/// and asking for the results of one not ended are 400 <c>invalid_request_error</c>.
/// </remarks>
internal sealed class MessageBatchesEndpoint(EmulatorState state)
{
    private const int MaxCustomIdLength = 64;
    private readonly ConcurrentDictionary<string, MessageBatchJob> _batches = new(StringComparer.Ordinal);
    private long _sequence;

    /// <summary><c>POST /v1/messages/batches</c>.</summary>
    public async Task CreateAsync(HttpContext context)
    {
        EmulatorOptions options = state.Options;
        long maxBytes = options.AnthropicBatchMaxBytes;
        byte[]? body = await ReadBodyAsync(context, maxBytes);
        if (body is null)
        {
            await AnthropicErrors.WriteAsync(
                context, StatusCodes.Status413PayloadTooLarge, AnthropicErrors.RequestTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"Request exceeds the maximum allowed number of bytes ({maxBytes} for the Message Batches API)."));
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            await AnthropicErrors.WriteInvalidAsync(context, "There was an issue with your request body: it is not valid JSON.");
            return;
        }

        using (document)
        {
            if (Validate(document.RootElement, options.AnthropicBatchMaxRequests, out List<(string, byte[])>? requests) is { } error)
            {
                await AnthropicErrors.WriteInvalidAsync(context, error);
                return;
            }

            long sequence = Interlocked.Increment(ref _sequence);
            string id = "msgbatch_emu" + sequence.ToString("x20", CultureInfo.InvariantCulture);
            var job = new MessageBatchJob(state, sequence, id, requests!, context.Request.Headers["anthropic-beta"].ToString());
            _batches[id] = job;
            state.Stats.AnthropicBatchCreated();
            await WriteBatchAsync(context, job.Read());
        }
    }

    /// <summary><c>GET /v1/messages/batches/{id}</c>.</summary>
    public async Task GetAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is { } job)
        {
            await WriteBatchAsync(context, job.Read());
        }
    }

    /// <summary><c>POST /v1/messages/batches/{id}/cancel</c>.</summary>
    public async Task CancelAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is not { } job)
        {
            return;
        }

        if (!job.TryCancel())
        {
            await AnthropicErrors.WriteInvalidAsync(context, $"Message Batch {job.Id} has already ended and cannot be canceled.");
            return;
        }

        await WriteBatchAsync(context, job.Read());
    }

    /// <summary><c>DELETE /v1/messages/batches/{id}</c>: only once the batch has ended.</summary>
    public async Task DeleteAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is not { } job)
        {
            return;
        }

        if (job.Read().ProcessingStatus != "ended")
        {
            await AnthropicErrors.WriteInvalidAsync(context, $"Message Batch {job.Id} is still processing; cancel it and wait until it has ended before deleting it.");
            return;
        }

        _batches.TryRemove(job.Id, out _);
        await FilesEndpoint.WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("id", job.Id);
            writer.WriteString("type", "message_batch_deleted");
            writer.WriteEndObject();
        });
    }

    /// <summary><c>GET /v1/messages/batches/{id}/results</c>: JSON Lines, in no particular order.</summary>
    public async Task ResultsAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is not { } job)
        {
            return;
        }

        if (job.Results() is not { } results)
        {
            await AnthropicErrors.WriteInvalidAsync(context, $"Message Batch {job.Id} has not ended yet; its results are available once processing_status is 'ended'.");
            return;
        }

        context.Response.ContentType = "application/x-jsonl";
        context.Response.ContentLength = results.Length;
        await context.Response.Body.WriteAsync(results, context.RequestAborted);
    }

    /// <summary><c>GET /v1/messages/batches?before_id=&amp;after_id=&amp;limit=</c>: newest first.</summary>
    public async Task ListAsync(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        int limit = 20;
        if (query.TryGetValue("limit", out Microsoft.Extensions.Primitives.StringValues limitText)
            && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
        {
            await AnthropicErrors.WriteInvalidAsync(context, "limit: Input should be an integer between 1 and 1000");
            return;
        }

        List<MessageBatchJob> ordered = [.. _batches.Values.OrderByDescending(static b => b.Sequence)];
        List<MessageBatchJob> page;
        bool hasMore;
        string? beforeId = query["before_id"];
        string? afterId = query["after_id"];
        if (!string.IsNullOrEmpty(beforeId))
        {
            // The page immediately before the cursor: the `limit` newer batches closest to it.
            List<MessageBatchJob> newer = [.. ordered.TakeWhile(b => b.Id != beforeId)];
            page = [.. newer.Skip(Math.Max(0, newer.Count - limit))];
            hasMore = newer.Count > limit;
        }
        else
        {
            IEnumerable<MessageBatchJob> older = string.IsNullOrEmpty(afterId) ? ordered : ordered.SkipWhile(b => b.Id != afterId).Skip(1);
            (page, hasMore) = ListPage.Take(older, limit);
        }

        string root = Root(context);
        List<MessageBatchView> views = [.. page.Select(static b => b.Read())];
        await FilesEndpoint.WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("data");
            foreach (MessageBatchView view in views)
            {
                WriteBatch(writer, view, root);
            }

            writer.WriteEndArray();
            writer.WriteBoolean("has_more", hasMore);
            ListPage.WriteStringOrNull(writer, "first_id", views.Count > 0 ? views[0].Id : null);
            ListPage.WriteStringOrNull(writer, "last_id", views.Count > 0 ? views[^1].Id : null);
            writer.WriteEndObject();
        });
    }

    /// <summary>Writes the <c>message_batch</c> object.</summary>
    public static void WriteBatch(Utf8JsonWriter writer, MessageBatchView batch, string root)
    {
        bool ended = batch.ProcessingStatus == "ended";
        writer.WriteStartObject();
        writer.WriteString("id", batch.Id);
        writer.WriteString("type", "message_batch");
        writer.WriteString("processing_status", batch.ProcessingStatus);
        writer.WriteStartObject("request_counts");
        writer.WriteNumber("processing", batch.Processing);
        writer.WriteNumber("succeeded", batch.Succeeded);
        writer.WriteNumber("errored", batch.Errored);
        writer.WriteNumber("canceled", batch.Canceled);
        writer.WriteNumber("expired", batch.Expired);
        writer.WriteEndObject();
        WriteTimeOrNull(writer, "ended_at", batch.EndedAt);
        writer.WriteString("created_at", MessageBatchJob.Timestamp(batch.CreatedAt));
        writer.WriteString("expires_at", MessageBatchJob.Timestamp(batch.ExpiresAt));
        writer.WriteNull("archived_at");
        WriteTimeOrNull(writer, "cancel_initiated_at", batch.CancelInitiatedAt);
        ListPage.WriteStringOrNull(writer, "results_url", ended ? $"{root}v1/messages/batches/{batch.Id}/results" : null);
        writer.WriteEndObject();
    }

    // The validation Anthropic does when a batch is created; null when valid.
    private static string? Validate(JsonElement root, int maxRequests, out List<(string, byte[])>? requests)
    {
        requests = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return "body: Input should be a valid dictionary";
        }

        if (!RequestFields.TryGet(root, "requests", out JsonElement array))
        {
            return "requests: Field required";
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            return "requests: Input should be a valid list";
        }

        int count = array.GetArrayLength();
        if (count == 0)
        {
            return "requests: List should have at least 1 item after validation, not 0";
        }

        if (count > maxRequests)
        {
            return string.Create(CultureInfo.InvariantCulture, $"requests: List should have at most {maxRequests} items after validation, not {count}");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var read = new List<(string, byte[])>(count);
        int index = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            string path = string.Create(CultureInfo.InvariantCulture, $"requests.{index}");
            if (item.ValueKind != JsonValueKind.Object)
            {
                return $"{path}: Input should be a valid dictionary";
            }

            if (!item.TryGetProperty("custom_id", out JsonElement customIdElement) || customIdElement.ValueKind != JsonValueKind.String)
            {
                return $"{path}.custom_id: Field required";
            }

            string customId = customIdElement.GetString()!;
            if (customId.Length is 0 or > MaxCustomIdLength || !customId.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return $"{path}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'";
            }

            if (!seen.Add(customId))
            {
                return $"{path}.custom_id: Duplicate custom_id '{customId}'; each request in a Message Batch needs a unique custom_id";
            }

            if (!item.TryGetProperty("params", out JsonElement parameters) || parameters.ValueKind != JsonValueKind.Object)
            {
                return $"{path}.params: Field required";
            }

            read.Add((customId, JsonSerializer.SerializeToUtf8Bytes(parameters)));
            index++;
        }

        requests = read;
        return null;
    }

    // The body, or null when it is larger than maxBytes (read no further than that).
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength > maxBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        byte[] chunk = new byte[64 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static string Root(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}/";

    private static Task WriteBatchAsync(HttpContext context, MessageBatchView view)
    {
        string root = Root(context);
        return FilesEndpoint.WriteJsonAsync(context, writer => WriteBatch(writer, view, root));
    }

    private async Task<MessageBatchJob?> FindOrNotFoundAsync(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        if (_batches.TryGetValue(id, out MessageBatchJob? job))
        {
            return job;
        }

        await AnthropicErrors.WriteAsync(context, StatusCodes.Status404NotFound, AnthropicErrors.NotFound, $"Message Batch {id} not found.");
        return null;
    }

    private static void WriteTimeOrNull(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } instant)
        {
            writer.WriteString(name, MessageBatchJob.Timestamp(instant));
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
