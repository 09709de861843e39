using TypedBatch;

/// <summary>The four use cases of the original design, each one batch.</summary>
internal static class UseCases
{
    public static async Task BulkQuestionAnsweringAsync(TypedBatchClient client)
    {
        Header("1. Bulk question answering");
        string[] topics = ["Python", "JavaScript", "Rust", "Go", "TypeScript", "Kotlin", "Swift", "C#"];
        var conversations = topics.Select(t => (IReadOnlyList<ChatMessage>)
        [
            ChatMessage.System("You are a helpful assistant. Answer in two sentences."),
            ChatMessage.User($"What is {t}?"),
        ]).ToList();

        BatchResult<ChatCompletion> answers = await client.CreateChatCompletionsBatchAsync(conversations, temperature: 0.3, maxTokens: 200, maxWorkers: 10);
        foreach (BatchItem<ChatCompletion> item in answers)
        {
            Console.WriteLine(item.Succeeded ? $"  {topics[item.Index]}: {item.Value!.Content}" : $"  {topics[item.Index]}: failed: {item.Error}");
        }

        Summary(answers);
    }

    public static async Task CodeGenerationAsync(TypedBatchClient client)
    {
        Header("2. Code generation");
        string[] tasks = ["reverse a string", "check if a number is prime", "compute the nth Fibonacci number", "merge two sorted lists"];
        var conversations = tasks.Select(t => (IReadOnlyList<ChatMessage>)
        [
            ChatMessage.System("You are a Python expert. Reply with code only."),
            ChatMessage.User($"Write a function to {t}."),
        ]).ToList();

        BatchResult<ChatCompletion> code = await client.CreateChatCompletionsBatchAsync(conversations, temperature: 0.2, maxTokens: 300, maxWorkers: 4);
        foreach (BatchItem<ChatCompletion> item in code)
        {
            Console.WriteLine($"  # {tasks[item.Index]}");
            Console.WriteLine(item.Succeeded ? Indent(item.Value!.Content) : $"  failed: {item.Error}");
        }

        Summary(code);
    }

    public static async Task DocumentSummarizationAsync(TypedBatchClient client)
    {
        Header("3. Document summarization");
        string[] documents =
        [
            "Batch processing groups many independent requests and sends them concurrently, so total time approaches the slowest request instead of the sum of all of them.",
            "Rate limits cap how many requests and tokens a client may send per minute; a good client stays just below them instead of provoking 429 responses.",
            "Embeddings map text to vectors so that similar meanings end up close together, which makes semantic search and clustering possible.",
        ];
        var conversations = documents.Select(d => (IReadOnlyList<ChatMessage>)
        [
            ChatMessage.System("Summarize the document in one sentence."),
            ChatMessage.User(d),
        ]).ToList();

        BatchResult<ChatCompletion> summaries = await client.CreateChatCompletionsBatchAsync(conversations, maxTokens: 100);
        foreach (BatchItem<ChatCompletion> item in summaries)
        {
            Console.WriteLine(item.Succeeded ? $"  [{item.Index}] {item.Value!.Content}" : $"  [{item.Index}] failed: {item.Error}");
        }

        Summary(summaries);
    }

    public static async Task ContextualEmbeddingsAsync(TypedBatchClient client)
    {
        Header("4. Contextual embeddings for the chunks of a document");
        const string Document = "TypedBatch runs many LLM calls at once. It keeps results in input order. It isolates failures per item. "
            + "It respects provider rate limits. It packs embedding inputs into large requests. It logs a summary of every batch.";
        string[] chunks = Document.Split(". ", StringSplitOptions.RemoveEmptyEntries);

        // First ask the model to situate each chunk within the whole document, then embed context + chunk.
        var conversations = chunks.Select(chunk => (IReadOnlyList<ChatMessage>)
        [
            ChatMessage.System("Give a short context that situates the chunk within the document, to improve search retrieval."),
            ChatMessage.User($"<document>{Document}</document>\n<chunk>{chunk}</chunk>"),
        ]).ToList();
        BatchResult<ChatCompletion> contexts = await client.CreateChatCompletionsBatchAsync(conversations, maxTokens: 100);
        Summary(contexts);

        string[] contextualized = chunks.Select((chunk, i) => contexts[i].Succeeded ? $"{contexts[i].Value!.Content}\n{chunk}" : chunk).ToArray();
        BatchResult<Embedding> embeddings = await client.CreateEmbeddingsBatchAsync(contextualized);
        foreach (BatchItem<Embedding> item in embeddings)
        {
            Console.WriteLine(item.Succeeded ? $"  chunk {item.Index}: {item.Value!.Dimensions} dimensions, \"{chunks[item.Index]}\"" : $"  chunk {item.Index} failed: {item.Error}");
        }

        if (embeddings.AllSucceeded)
        {
            Console.WriteLine($"  similarity(chunk 0, chunk 1) = {embeddings[0].Value!.CosineSimilarity(embeddings[1].Value!):F3}");
        }

        Summary(embeddings);
    }

    private static void Header(string title) => Console.WriteLine($"\n=== {title} ===");

    private static void Summary<T>(BatchResult<T> result)
        => Console.WriteLine($"  -> {result.SucceededCount}/{result.Count} succeeded in {result.Elapsed.TotalSeconds:F2}s ({result.ItemsPerSecond:F1}/s), tokens {result.Usage.PromptTokens} prompt + {result.Usage.CompletionTokens} completion = {result.Usage.TotalTokens}");

    private static string Indent(string? text) => "    " + (text ?? string.Empty).Replace("\n", "\n    ", StringComparison.Ordinal);
}
