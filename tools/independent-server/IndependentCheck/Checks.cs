using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using TypedBatch;
using static IndependentCheck.Report;

namespace IndependentCheck;

/// <summary>
/// The checks, in order: live and deferred chat (typed and text, 50 and 200 items), sharding, as-completed, embeddings
/// live and deferred, the custom_id round trip, the files left behind, cancellation, and the files a cancellation leaves.
/// </summary>
internal sealed class Checks(ICheckPrompts prompts, ServerAdmin admin, Report report)
{
    /// <summary>aimock's canned answer to every chat line of a batch, whatever the fixtures say.</summary>
    private const string CannedChat = "Mock batch completion";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Polling fast: aimock moves a batch one step per retrieve, so two polls finish it.</summary>
    private static DeferredOptions Quick(int perBatch = 50_000) => new()
    {
        MaxRequestsPerBatch = perBatch,
        PollInterval = TimeSpan.FromMilliseconds(200),
        MaxPollInterval = TimeSpan.FromSeconds(1),
    };

    private static BatchOptions Deferred(DeferredOptions? options = null) => new() { Mode = BatchMode.Deferred, Deferred = options ?? Quick() };

    private static string Tag(int i) => string.Create(Invariant, $"item-{i:D3}");

    public async Task RunAllAsync()
    {
        await report.RunAsync("server answers GET /files and GET /batches", PreflightAsync);
        foreach (int n in new[] { 50, 200 })
        {
            await report.RunAsync($"live typed chat, {n} items", () => LiveTypedAsync(n));
            await report.RunAsync($"live text chat, {n} items", () => LiveTextAsync(n));
            await report.RunAsync($"deferred text chat, {n} items", () => DeferredTextAsync(n));
        }

        await report.RunAsync("streamed prompt method, 10 items one by one", StreamedMethodAsync);
        await report.RunAsync("streamed batch (NameStreamBatchAsync), 100 items", StreamedBatchAsync);
        await report.RunAsync("deferred typed chat, 50 items (canned answer, live repair)", () => DeferredTypedAsync(50));
        await report.RunAsync("deferred sharding: 200 items, MaxRequestsPerBatch = 50", ShardingAsync);
        await report.RunAsync("deferred as-completed, 50 items", AsCompletedAsync);
        await report.RunAsync("live embeddings, 200 items", LiveEmbeddingsAsync);
        await report.RunAsync("deferred embeddings, 200 items", DeferredEmbeddingsAsync);
        await report.RunAsync("custom_id round trip (DeleteFiles = false)", CustomIdRoundTripAsync);
        await report.RunAsync("no files left after the completed runs", NoFilesLeftAsync);
        List<JsonElement> before = await admin.ListFilesAsync();
        await report.RunAsync("cancellation: prompt, remote batches cancelled", CancellationAsync);
        await FilesAfterCancellationAsync(before);
    }

    private async Task<string> PreflightAsync()
    {
        List<JsonElement> files = await admin.ListFilesAsync();
        List<JsonElement> batches = await admin.ListBatchesAsync();
        return $"{files.Count} files, {batches.Count} batches stored at the start";
    }

    // ---- Chat ------------------------------------------------------------------------------------------------------

    private async Task<string> LiveTypedAsync(int n)
    {
        BatchResult<Tagged> result = await prompts.TagBatchAsync(Enumerable.Range(0, n));
        ExpectInOrder(result, n, deferred: false);
        foreach (BatchItem<Tagged> item in result)
        {
            Expect(item.Value == new Tagged(item.Index, Tag(item.Index)), $"item {item.Index} is {item.Value}, not input {item.Index}'s record");
        }

        return $"{n} typed records in input order, record i answers input i; usage {result.Sum(i => i.Usage.TotalTokens)} tokens";
    }

    private async Task<string> LiveTextAsync(int n)
    {
        BatchResult<string> result = await prompts.NameBatchAsync(Enumerable.Range(0, n));
        ExpectInOrder(result, n, deferred: false);
        foreach (BatchItem<string> item in result)
        {
            string expected = string.Create(Invariant, $$"""{"index":{{item.Index}},"tag":"{{Tag(item.Index)}}"}""");
            Expect(item.Value == expected, $"item {item.Index} is '{item.Value}', expected '{expected}'");
        }

        return $"{n} answers in input order, answer i names input i";
    }

    private static string Record(int i) => string.Create(Invariant, $$"""{"index":{{i}},"tag":"{{Tag(i)}}"}""");

    private async Task<string> StreamedMethodAsync()
    {
        int pieces = 0;
        for (int i = 0; i < 10; i++)
        {
            var text = new System.Text.StringBuilder();
            await foreach (string piece in prompts.NameStreamedAsync(i))
            {
                text.Append(piece);
                pieces++;
            }

            Expect(text.ToString() == Record(i), $"item {i} streamed '{text}', expected '{Record(i)}'");
        }

        Expect(pieces > 10, $"{pieces} pieces for 10 answers: the server did not stream");
        return $"10 answers streamed in {pieces} pieces, each adding up to its fixture";
    }

    private async Task<string> StreamedBatchAsync()
    {
        const int n = 100;
        var texts = new System.Text.StringBuilder[n];
        var finals = new BatchItem<string>?[n];
        int deltas = 0;
        await foreach (BatchDelta delta in prompts.NameStreamBatchAsync(Enumerable.Range(0, n), new BatchOptions { MaxConcurrency = 16 }))
        {
            Expect(finals[delta.Index] is null, $"a delta of item {delta.Index} came after its final delta");
            if (delta.Item is { } item)
            {
                finals[delta.Index] = item;
            }
            else
            {
                (texts[delta.Index] ??= new()).Append(delta.Text);
                deltas++;
            }
        }

        for (int i = 0; i < n; i++)
        {
            Expect(finals[i] is { Succeeded: true }, $"item {i} has no successful final delta: {finals[i]?.Error}");
            Expect(texts[i]?.ToString() == Record(i) && finals[i]!.Value.Value == Record(i), $"item {i} streamed '{texts[i]}', final '{finals[i]?.Value}', expected '{Record(i)}'");
        }

        return $"{n} answers in {deltas} deltas, each input's deltas adding up to its fixture, one final each";
    }

    private async Task<string> DeferredTextAsync(int n)
    {
        HashSet<string> known = await BatchIdsAsync();
        BatchResult<string> result = await prompts.NameBatchAsync(Enumerable.Range(0, n), Deferred());
        ExpectInOrder(result, n, deferred: true);
        ExpectCannedChat(result);
        List<JsonElement> created = await NewBatchesAsync(known);
        Expect(created.Count == 1, $"{created.Count} remote batches were created, expected 1");
        ExpectCompleted(created[0], n);
        return $"1 remote batch ({created[0].GetProperty("id").GetString()}), {n} items in input order, all Deferred, canned answer with usage 1/1/2";
    }

    private async Task<string> DeferredTypedAsync(int n)
    {
        BatchResult<Tagged> result = await prompts.TagBatchAsync(Enumerable.Range(0, n), Deferred());
        ExpectInOrder(result, n, deferred: true);
        var repaired = new Tagged(-1, "repaired");
        foreach (BatchItem<Tagged> item in result)
        {
            Expect(item.Repairs == 1, $"item {item.Index} had {item.Repairs} repairs, expected 1 (the batch's canned text is not JSON)");
            Expect(item.Value == repaired, $"item {item.Index} is {item.Value}, expected the repair fixture's {repaired}");
        }

        return $"{n} items in input order, all Deferred; each canned batch answer failed to parse and was repaired live once (Repairs = 1)";
    }

    private async Task<string> ShardingAsync()
    {
        HashSet<string> known = await BatchIdsAsync();
        int peak = 0;
        var progress = new SyncProgress(p => peak = Math.Max(peak, p.Deferred?.Batches ?? 0));
        BatchResult<string> result = await prompts.NameBatchAsync(Enumerable.Range(0, 200), new BatchOptions { Mode = BatchMode.Deferred, Deferred = Quick(50), Progress = progress });
        ExpectInOrder(result, 200, deferred: true);
        ExpectCannedChat(result);
        List<JsonElement> created = await NewBatchesAsync(known);
        Expect(created.Count == 4, $"{created.Count} remote batches were created, expected 4");
        foreach (JsonElement batch in created)
        {
            ExpectCompleted(batch, 50);
        }

        string[] shards = created.Select(b => Metadata(b, "typedbatch_shard")).Order(StringComparer.Ordinal).ToArray();
        Expect(shards.SequenceEqual(["0.0", "1.0", "2.0", "3.0"]), $"shard metadata {string.Join(", ", shards)}, expected 0.0 to 3.0");
        Expect(created.Select(b => Metadata(b, "typedbatch_run")).Distinct().Count() == 1, "the remote batches name different runs");
        return $"4 remote batches of 50 (metadata typedbatch_shard 0.0 to 3.0, one typedbatch_run), 200 items in input order; progress saw up to {peak} remote batches at once";
    }

    private async Task<string> AsCompletedAsync()
    {
        var items = new List<BatchItem<string>>();
        await foreach (BatchItem<string> item in prompts.NameAsCompletedAsync(Enumerable.Range(0, 50), Deferred()))
        {
            items.Add(item);
        }

        Expect(items.Count == 50, $"{items.Count} items, expected 50");
        Expect(items.Select(i => i.Index).Order().SequenceEqual(Enumerable.Range(0, 50)), "the indexes are not each of 0 to 49 once");
        Expect(items.TrueForAll(i => i.Succeeded && i.Deferred && i.Value == CannedChat), "an item failed, was not Deferred or is not the canned answer");
        return "50 items, each index once, all Deferred";
    }

    // ---- Embeddings ------------------------------------------------------------------------------------------------

    private static List<string> Texts(int n) => Enumerable.Range(0, n).Select(i => string.Create(Invariant, $"text number {i}")).ToList();

    private async Task<string> LiveEmbeddingsAsync()
    {
        List<string> texts = Texts(200);
        BatchResult<EmbeddingVector> result = await prompts.EmbedBatchAsync(texts);
        ExpectInOrder(result, 200, deferred: false);
        int distinct = result.Select(i => string.Join(',', i.Value!.Vector.ToArray().Take(8))).Distinct(StringComparer.Ordinal).Count();
        Expect(distinct == 200, $"{distinct} distinct vectors for 200 distinct texts");
        foreach (int index in new[] { 0, 1, 99, 199 })
        {
            EmbeddingVector single = await prompts.EmbedAsync(texts[index]);
            Expect(single.Vector.Span.SequenceEqual(result[index].Value!.Vector.Span), $"item {index}'s vector is not the single call's vector for '{texts[index]}'");
        }

        return $"200 vectors ({result[0].Value!.Dimensions} dimensions, the server's hash of each text) in input order; items 0, 1, 99, 199 equal single calls";
    }

    private async Task<string> DeferredEmbeddingsAsync()
    {
        HashSet<string> known = await BatchIdsAsync();
        BatchResult<EmbeddingVector> result = await prompts.EmbedBatchAsync(Texts(200), Deferred());
        ExpectInOrder(result, 200, deferred: true);
        foreach (BatchItem<EmbeddingVector> item in result)
        {
            Expect(item.Value!.Vector.ToArray().SequenceEqual([0f, 0f, 0f]), $"item {item.Index} is not aimock's canned [0,0,0]");
            Expect(item.Usage.PromptTokens == 1, $"item {item.Index} has usage {item.Usage}, expected 1 prompt token");
        }

        List<JsonElement> created = await NewBatchesAsync(known);
        Expect(created.Count == 1, $"{created.Count} remote batches were created, expected 1");
        ExpectCompleted(created[0], 200);
        Expect(created[0].GetProperty("endpoint").GetString() == "/v1/embeddings", $"the batch's endpoint is {created[0].GetProperty("endpoint")}");
        return "1 remote batch on /v1/embeddings, 200 items in input order, all Deferred, canned [0,0,0] with 1 prompt token";
    }

    // ---- Wire, files ---------------------------------------------------------------------------------------------

    private async Task<string> CustomIdRoundTripAsync()
    {
        HashSet<string> known = await BatchIdsAsync();
        BatchResult<string> result = await prompts.NameBatchAsync(Enumerable.Range(0, 20), Deferred(Quick() with { DeleteFiles = false }));
        ExpectInOrder(result, 20, deferred: true);
        List<JsonElement> created = await NewBatchesAsync(known);
        Expect(created.Count == 1, $"{created.Count} remote batches were created, expected 1");
        JsonElement batch = await admin.GetBatchAsync(created[0].GetProperty("id").GetString()!);
        string input = batch.GetProperty("input_file_id").GetString()!;
        string output = ServerAdmin.Text(batch, "output_file_id");
        Expect(output != "-", "the completed batch has no output_file_id");
        List<JsonElement> inputLines = await admin.ReadLinesAsync(input);
        List<JsonElement> outputLines = await admin.ReadLinesAsync(output);
        string[] sent = inputLines.Select(l => l.GetProperty("custom_id").GetString()!).ToArray();
        string[] answered = outputLines.Select(l => l.GetProperty("custom_id").GetString()!).ToArray();
        Expect(sent.Length == 20 && sent.Distinct(StringComparer.Ordinal).Count() == 20, $"the input file has {sent.Length} lines ({sent.Distinct(StringComparer.Ordinal).Count()} distinct custom_ids), expected 20");
        Expect(answered.Order(StringComparer.Ordinal).SequenceEqual(sent.Order(StringComparer.Ordinal)), "the output file's custom_ids are not the input file's");
        Expect(outputLines.TrueForAll(l => l.GetProperty("response").GetProperty("status_code").GetInt32() == 200), "an output line is not status 200");
        bool inOrder = answered.SequenceEqual(sent);
        Expect(await admin.DeleteFileAsync(input) && await admin.DeleteFileAsync(output), "the kept files could not be deleted afterwards");
        return $"20 custom_ids (e.g. {sent[0]}) sent and echoed back, {(inOrder ? "in input order" : "in another order")}; the two kept files were then deleted by this check";
    }

    private async Task<string> NoFilesLeftAsync()
    {
        List<JsonElement> files = await admin.ListFilesAsync();
        Expect(files.Count == 0, $"{files.Count} files left: {string.Join("; ", files.Select(ServerAdmin.Describe))}");
        return "GET /files lists no file: every completed run deleted its input, output (and error) files";
    }

    // ---- Cancellation ----------------------------------------------------------------------------------------------

    private async Task<string> CancellationAsync()
    {
        HashSet<string> known = await BatchIdsAsync();
        using var cts = new CancellationTokenSource();
        long cancelledAt = 0;
        using CancellationTokenRegistration registration = cts.Token.Register(() => Interlocked.Exchange(ref cancelledAt, Stopwatch.GetTimestamp()));

        // All four remote batches submitted: cancel while the run waits for its first poll (30 s away).
        var progress = new SyncProgress(p =>
        {
            if (p.Deferred is { Batches: 4 })
            {
                cts.CancelAfter(TimeSpan.FromMilliseconds(200));
            }
        });
        var options = new BatchOptions
        {
            Mode = BatchMode.Deferred,
            Progress = progress,
            Deferred = new DeferredOptions { MaxRequestsPerBatch = 50, PollInterval = TimeSpan.FromSeconds(30), MaxPollInterval = TimeSpan.FromSeconds(60) },
        };
        BatchCanceledException<string>? cancelled = null;
        try
        {
            BatchResult<string> finished = await prompts.NameBatchAsync(Enumerable.Range(0, 200), options, cts.Token);
            throw new CheckFailedException($"the batch finished ({finished.Count} items) instead of throwing BatchCanceledException");
        }
        catch (BatchCanceledException<string> thrown)
        {
            cancelled = thrown;
        }

        TimeSpan after = Stopwatch.GetElapsedTime(Interlocked.Read(ref cancelledAt));
        Expect(after < TimeSpan.FromSeconds(5), $"the call returned {after.TotalSeconds:F1} s after the cancellation");
        Expect(cancelled.Partial.Count == 200, $"the partial result has {cancelled.Partial.Count} items, expected 200");
        Expect(cancelled.Completed == 0, $"{cancelled.Completed} items completed, expected 0");
        Expect(cancelled.Partial.All(i => i.Error?.Kind == BatchErrorKind.Cancelled), "an unfinished item is not failed as Cancelled");

        List<JsonElement> created = await NewBatchesAsync(known);
        Expect(created.Count == 4, $"{created.Count} remote batches were created, expected 4");
        string listed = string.Join(", ", created.Select(b => b.GetProperty("status").GetString()).Distinct());
        Expect(created.TrueForAll(b => b.GetProperty("status").GetString() is "cancelling" or "cancelled"), $"the listed statuses are {listed}, expected cancelling");
        foreach (JsonElement batch in created)
        {
            JsonElement now = await admin.GetBatchAsync(batch.GetProperty("id").GetString()!);
            Expect(now.GetProperty("status").GetString() == "cancelled", $"batch {batch.GetProperty("id")} is {now.GetProperty("status")} on retrieve, expected cancelled");
        }

        return string.Create(Invariant, $"BatchCanceledException<string> {after.TotalSeconds:F2} s after the cancellation (poll interval 30 s), partial 200 items all Cancelled; the 4 remote batches listed '{listed}', then 'cancelled' on retrieve");
    }

    private async Task FilesAfterCancellationAsync(List<JsonElement> before)
    {
        var had = before.Select(f => f.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
        var left = (await admin.ListFilesAsync()).Where(f => !had.Contains(f.GetProperty("id").GetString()!)).ToList();
        if (left.Count == 0)
        {
            await report.RunAsync("no files left after the cancelled run", () => Task.FromResult("GET /files lists no file from the cancelled run"));
            return;
        }

        report.Note("files left after the cancelled run", $"{left.Count} files: {string.Join("; ", left.Select(ServerAdmin.Describe))}");
    }

    // ---- Helpers ---------------------------------------------------------------------------------------------------

    private static void ExpectInOrder<T>(BatchResult<T> result, int n, bool deferred)
    {
        Expect(result.Count == n, $"{result.Count} items, expected {n}");
        BatchItem<T>? failed = result.FirstOrDefault(i => !i.Succeeded);
        Expect(result.AllSucceeded, $"{result.FailedCount} items failed; first: item {failed?.Index}: {failed?.Error?.Kind}: {failed?.Error?.Message}");
        Expect(result.Select(i => i.Index).SequenceEqual(Enumerable.Range(0, n)), "the items are not in input order");
        Expect(result.All(i => i.Deferred == deferred), deferred ? "an item was not answered by the Batch API" : "a live item is marked Deferred");
        Expect(result.DeferredCount == (deferred ? n : 0), $"DeferredCount is {result.DeferredCount}");
    }

    private static void ExpectCannedChat(BatchResult<string> result)
    {
        foreach (BatchItem<string> item in result)
        {
            Expect(item.Value == CannedChat, $"item {item.Index} is '{item.Value}', expected aimock's canned '{CannedChat}'");
            Expect(item.Usage == new TokenUsage(1, 1, 2), $"item {item.Index} has usage {item.Usage}, expected 1/1/2");
        }
    }

    private static void ExpectCompleted(JsonElement batch, int requests)
    {
        string id = batch.GetProperty("id").GetString()!;
        Expect(batch.GetProperty("status").GetString() == "completed", $"batch {id} is {batch.GetProperty("status")}, expected completed");
        JsonElement counts = batch.GetProperty("request_counts");
        Expect(counts.GetProperty("total").GetInt32() == requests && counts.GetProperty("completed").GetInt32() == requests, $"batch {id} counts {counts}, expected {requests} completed");
    }

    private async Task<HashSet<string>> BatchIdsAsync()
        => (await admin.ListBatchesAsync()).Select(b => b.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);

    private async Task<List<JsonElement>> NewBatchesAsync(HashSet<string> known)
        => (await admin.ListBatchesAsync()).Where(b => !known.Contains(b.GetProperty("id").GetString()!)).ToList();

    private static string Metadata(JsonElement batch, string key)
        => batch.TryGetProperty("metadata", out JsonElement metadata) && metadata.ValueKind == JsonValueKind.Object ? ServerAdmin.Text(metadata, key) : "-";
}

/// <summary>Progress reported synchronously, on the reporting thread (Progress&lt;T&gt; would post it).</summary>
internal sealed class SyncProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
{
    public void Report(BatchProgress value) => report(value);
}
