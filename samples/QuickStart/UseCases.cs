using TypedBatch;

namespace QuickStart;

/// <summary>The four use cases of the original design, each one batch.</summary>
internal static class UseCases
{
    public static async Task BulkQuestionAnsweringAsync(IAssistant assistant)
    {
        Header("1. Bulk question answering (generated client)");
        string[] topics = ["Python", "JavaScript", "Rust", "Go", "TypeScript", "Kotlin", "Swift", "C#"];

        BatchResult<string> answers = await assistant.AnswerBatchAsync(topics, new BatchOptions { MaxConcurrency = 10 });
        foreach (BatchItem<string> item in answers)
        {
            Console.WriteLine(item.Succeeded ? $"  {topics[item.Index]}: {item.Value}" : $"  {topics[item.Index]}: failed: {item.Error}");
        }

        Summary("1. questions", answers);
    }

    public static async Task CodeGenerationAsync(IAssistant assistant)
    {
        Header("2. Code generation (generated client, typed records, as completed)");
        string[] tasks = ["reverse a string", "check if a number is prime", "compute the nth Fibonacci number", "merge two sorted lists"];

        // Print each snippet as soon as it arrives; the index says which task it answers.
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int succeeded = 0, total = 0, retries = 0;
        TokenUsage usage = default;
        decimal? cost = 0m;
        await foreach (BatchItem<CodeSnippet> item in assistant.WriteCodeAsCompletedAsync(tasks, new BatchOptions { MaxConcurrency = 4 }))
        {
            total++;
            succeeded += item.Succeeded ? 1 : 0;
            usage += item.Usage;
            retries += Math.Max(0, item.Attempts - 1);
            cost = cost is null || item.Cost is null ? null : cost + item.Cost;
            Console.WriteLine($"  # {tasks[item.Index]}");
            Console.WriteLine(item.Succeeded
                ? $"  {item.Value.FunctionName}: {item.Value.Explanation}\n{Indent(item.Value.Code)}"
                : $"  failed: {item.Error}");
        }

        TimeSpan elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        Summary(succeeded, total, elapsed, usage);
        ConsoleOutput.Record("2. code", total, succeeded, duplicates: 0, retries, elapsed, usage, cost);
    }

    public static async Task ClassificationAsync(IAssistant assistant)
    {
        Header("Bonus: classification (generated client, typed enum)");
        string[] reviews = ["Loved every minute of it.", "The plot made no sense.", "Great cast, weak ending."];

        BatchResult<Sentiment> labels = await assistant.ClassifyBatchAsync(reviews);
        foreach (BatchItem<Sentiment> item in labels)
        {
            Console.WriteLine(item.Succeeded ? $"  {item.Value,-8} {reviews[item.Index]}" : $"  failed: {item.Error}");
        }

        Summary("bonus. labels", labels);
    }

    public static async Task DocumentSummarizationAsync(TypedBatchClient client)
    {
        Header("3. Document summarization (the untyped batch API, as in the original helper)");
        string[] documents =
        [
            "Batch processing groups many independent requests and sends them concurrently, so total time approaches the slowest request instead of the sum of all of them.",
            "Rate limits cap how many requests and tokens a client may send per minute; a good client stays just below them instead of provoking 429 responses.",
            "Embeddings map text to vectors so that similar meanings end up close together, which makes semantic search and clustering possible.",
        ];
        var conversations = documents.Select(d => (IReadOnlyList<PromptMessage>)
        [
            PromptMessage.System("Summarize the document in one sentence."),
            PromptMessage.User(d),
        ]).ToList();

        BatchResult<ChatCompletion> summaries = await client.CreateChatCompletionsBatchAsync(conversations, temperature: 0.3, maxTokens: 200, maxWorkers: 10);
        foreach (BatchItem<ChatCompletion> item in summaries)
        {
            Console.WriteLine(item.Succeeded ? $"  [{item.Index}] {item.Value!.Content}" : $"  [{item.Index}] failed: {item.Error}");
        }

        Summary("3. summaries", summaries);
    }

    public static async Task ContextualEmbeddingsAsync(IAssistant assistant)
    {
        Header("4. Contextual embeddings for the chunks of a document (generated client)");
        const string Document = "TypedBatch runs many LLM calls at once. It keeps results in input order. It isolates failures per item. "
            + "It respects provider rate limits. It packs embedding inputs into large requests. It logs a summary of every batch.";
        string[] chunks = Document.Split(". ", StringSplitOptions.RemoveEmptyEntries);

        // First ask the model to situate each chunk within the whole document, then embed context + chunk.
        BatchResult<string> contexts = await assistant.SituateChunkBatchAsync(chunks.Select(chunk => (Document, chunk)));
        Summary("4. contexts", contexts);

        string[] contextualized = chunks.Select((chunk, i) => contexts[i].Succeeded ? $"{contexts[i].Value}\n{chunk}" : chunk).ToArray();
        BatchResult<EmbeddingVector> embeddings = await assistant.EmbedBatchAsync(contextualized);
        foreach (BatchItem<EmbeddingVector> item in embeddings)
        {
            Console.WriteLine(item.Succeeded ? $"  chunk {item.Index}: {item.Value!.Dimensions} dimensions, \"{chunks[item.Index]}\"" : $"  chunk {item.Index} failed: {item.Error}");
        }

        if (embeddings.AllSucceeded)
        {
            Console.WriteLine($"  similarity(chunk 0, chunk 1) = {embeddings[0].Value!.CosineSimilarity(embeddings[1].Value!):F3}");
        }

        Summary("4. embeddings", embeddings);
    }

    private static void Header(string title) => Console.WriteLine($"\n=== {title} ===");

    private static void Summary<T>(string name, BatchResult<T> result)
    {
        Summary(result.SucceededCount, result.Count, result.Elapsed, result.Usage);
        ConsoleOutput.Record(name, result);
    }

    private static void Summary(int succeeded, int total, TimeSpan elapsed, TokenUsage usage)
        => Console.WriteLine(FormattableString.Invariant(
            $"  -> {succeeded}/{total} succeeded in {elapsed.TotalSeconds:F2}s ({(elapsed > TimeSpan.Zero ? total / elapsed.TotalSeconds : 0):F1}/s), tokens {usage.PromptTokens} prompt + {usage.CompletionTokens} completion = {usage.TotalTokens}"));

    private static string Indent(string? text) => "    " + (text ?? string.Empty).Replace("\n", "\n    ", StringComparison.Ordinal);
}
