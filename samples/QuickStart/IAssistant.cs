using TypedBatch;

namespace QuickStart;

/// <summary>The quick start's prompts, declared once; the TypedBatch generator writes the client.</summary>
[PromptClient]
[System("You are a helpful assistant.")]
public partial interface IAssistant
{
    [User("What is {topic}? Answer in two sentences.")]
    [Completion(Temperature = 0.3, MaxTokens = 200)]
    Task<string> AnswerAsync(string topic, CancellationToken cancellationToken = default);

    [System("You are a Python expert. Reply with code only.")]
    [User("Write a function to {task}.")]
    [Completion(Temperature = 0.2, MaxTokens = 300)]
    Task<string> WriteCodeAsync(string task, CancellationToken cancellationToken = default);

    [System("Give a short context that situates the chunk within the document, to improve search retrieval.")]
    [User("<document>{document}</document>\n<chunk>{chunk}</chunk>")]
    [Completion(MaxTokens = 100)]
    Task<string> SituateChunkAsync(string document, string chunk, CancellationToken cancellationToken = default);

    [Embedding]
    Task<Embedding> EmbedAsync(string text, CancellationToken cancellationToken = default);
}
