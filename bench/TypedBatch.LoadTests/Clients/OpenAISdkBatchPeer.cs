using System.ClientModel;
using System.Globalization;
using System.Text.Json;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

// BatchClient and CreateBatchOperation are marked experimental (OPENAI001) in OpenAI 2.15; the Batch API through them
// is exactly what this peer measures, and only this file uses them.
#pragma warning disable OPENAI001

namespace TypedBatch.LoadTests.Clients;

/// <summary>
/// The Batch API as a user of the official OpenAI .NET SDK (2.15) writes it without a library around it: each batch's
/// JSONL (at most 50,000 requests, OpenAI's limit) built whole in a <see cref="MemoryStream"/> with a
/// <see cref="Utf8JsonWriter"/> and uploaded with <see cref="OpenAIFileClient"/>; the batch created and polled through
/// <see cref="BatchClient"/>'s protocol methods; each output file downloaded whole (<c>DownloadFileAsync</c> returns
/// <see cref="BinaryData"/>) and parsed line by line into the answers, in input order. Competent, not wasteful: UTF-8
/// throughout, one batch's file in memory at a time, no string copy of a whole file.
/// </summary>
internal static class OpenAISdkBatchPeer
{
    public const int MaxRequestsPerBatch = 50_000;

    /// <summary>Runs <paramref name="count"/> requests of <see cref="DeferredWorkload"/> and returns the answers in input order.</summary>
    public static async Task<string[]> RunAsync(Uri baseUrl, int count, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = baseUrl });
        OpenAIFileClient files = client.GetOpenAIFileClient();
        BatchClient batches = client.GetBatchClient();

        // Prepare and submit: one in-memory file per batch.
        var submitted = new List<(string InputFileId, CreateBatchOperation Batch)>();
        using (IEnumerator<string> reviews = DeferredWorkload.Reviews(count).GetEnumerator())
        {
            int index = 0;
            while (index < count)
            {
                int first = index;
                using var jsonl = new MemoryStream();
                await using (var writer = new Utf8JsonWriter(jsonl))
                {
                    for (; index < count && index - first < MaxRequestsPerBatch && reviews.MoveNext(); index++)
                    {
                        WriteLine(writer, index, reviews.Current);
                        writer.Flush();
                        jsonl.WriteByte((byte)'\n');
                        writer.Reset();
                    }
                }

                jsonl.Position = 0;
                ClientResult<OpenAIFile> file = await files.UploadFileAsync(jsonl, $"requests-{first}.jsonl", FileUploadPurpose.Batch, cancellationToken);
                string create = $$"""{"input_file_id":"{{file.Value.Id}}","endpoint":"/v1/chat/completions","completion_window":"24h"}""";
                CreateBatchOperation operation = await batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(create)), waitUntilCompleted: false, options: null);
                submitted.Add((file.Value.Id, operation));
            }
        }

        // Poll until every batch has ended.
        var outputs = new List<(string BatchId, string? OutputFileId, string? ErrorFileId)>();
        var pending = submitted.Select(static s => s.Batch).ToList();
        while (pending.Count > 0)
        {
            await Task.Delay(pollInterval, cancellationToken);
            for (int i = pending.Count - 1; i >= 0; i--)
            {
                ClientResult status = await pending[i].GetBatchAsync(new System.ClientModel.Primitives.RequestOptions { CancellationToken = cancellationToken });
                BatchStatus batch = Read(status.GetRawResponse().Content);
                if (batch.Status is "completed" or "failed" or "expired" or "cancelled")
                {
                    if (batch.Status != "completed")
                    {
                        throw new InvalidOperationException($"Batch {batch.Id} ended '{batch.Status}'.");
                    }

                    outputs.Add((batch.Id, batch.OutputFileId, batch.ErrorFileId));
                    pending.RemoveAt(i);
                }
            }
        }

        // Read back: each output file downloaded whole, parsed line by line.
        string[] answers = new string[count]; // every slot is filled below, or the run fails
        foreach ((string batchId, string? outputFileId, string? errorFileId) in outputs)
        {
            if (errorFileId is not null)
            {
                throw new InvalidOperationException($"Batch {batchId} has an error file ({errorFileId}).");
            }

            ClientResult<BinaryData> output = await files.DownloadFileAsync(outputFileId ?? throw new InvalidOperationException($"Batch {batchId} has no output file."), cancellationToken);
            using (var reader = new StreamReader(output.Value.ToStream()))
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (line.Length > 0)
                    {
                        (int index, string content) = ParseAnswer(line);
                        answers[index] = content;
                    }
                }
            }

            await files.DeleteFileAsync(outputFileId, cancellationToken);
        }

        foreach ((string inputFileId, _) in submitted)
        {
            await files.DeleteFileAsync(inputFileId, cancellationToken);
        }

        int missing = Array.FindIndex(answers, static a => a is null);
        return missing < 0 ? answers : throw new InvalidOperationException($"Request {missing} has no answer.");
    }

    /// <summary>The request line <see cref="IDeferredPrompts.ClassifyAsync"/> would send, with <c>custom_id</c> <c>request-17</c>.</summary>
    private static void WriteLine(Utf8JsonWriter writer, int index, string review)
    {
        writer.WriteStartObject();
        writer.WriteString("custom_id", "request-" + index.ToString(CultureInfo.InvariantCulture));
        writer.WriteString("method", "POST");
        writer.WriteString("url", "/v1/chat/completions");
        writer.WriteStartObject("body");
        writer.WriteString("model", DeferredWorkload.Model);
        writer.WriteStartArray("messages");
        writer.WriteStartObject();
        writer.WriteString("role", "system");
        writer.WriteString("content", DeferredWorkload.SystemPrompt);
        writer.WriteEndObject();
        writer.WriteStartObject();
        writer.WriteString("role", "user");
        writer.WriteString("content", DeferredWorkload.UserPrompt(review));
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteNumber("temperature", DeferredWorkload.Temperature);
        writer.WriteNumber("max_tokens", DeferredWorkload.MaxTokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The input index and the answer's text of an output line.</summary>
    private static (int Index, string Content) ParseAnswer(string line)
    {
        using var document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        string customId = root.GetProperty("custom_id").GetString()!;
        int index = int.Parse(customId.AsSpan("request-".Length), NumberStyles.None, CultureInfo.InvariantCulture);
        JsonElement response = root.GetProperty("response");
        if (response.GetProperty("status_code").GetInt32() != 200)
        {
            throw new InvalidOperationException($"Request {index} was answered {response.GetProperty("status_code").GetInt32()}.");
        }

        string content = response.GetProperty("body").GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        return (index, content);
    }

    private static BatchStatus Read(BinaryData batch)
    {
        using var document = JsonDocument.Parse(batch);
        JsonElement root = document.RootElement;
        return new BatchStatus(
            root.GetProperty("id").GetString()!,
            root.GetProperty("status").GetString()!,
            root.TryGetProperty("output_file_id", out JsonElement output) && output.ValueKind == JsonValueKind.String ? output.GetString() : null,
            root.TryGetProperty("error_file_id", out JsonElement error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null);
    }

    private sealed record BatchStatus(string Id, string Status, string? OutputFileId, string? ErrorFileId);
}
