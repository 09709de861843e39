using System.ComponentModel;
using System.Text.Json.Serialization;
using TypedBatch;

namespace QuickStart;

/// <summary>The sentiment of a review; the model answers with one of these names.</summary>
public enum Sentiment
{
    Positive,
    Negative,
    Mixed,
}

/// <summary>A generated function, as a record the model fills in.</summary>
public sealed record CodeSnippet(
    [property: Description("The function's name.")] string FunctionName,
    [property: Description("The complete Python code.")] string Code,
    [property: Description("One sentence on how it works.")] string Explanation);

/// <summary>Source-generated JSON metadata for the typed results: trim and Native AOT safe.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Sentiment))]
[JsonSerializable(typeof(CodeSnippet))]
internal sealed partial class AssistantJson : JsonSerializerContext;

/// <summary>The quick start's prompts, declared once; the TypedBatch generator writes the client.</summary>
[PromptClient(JsonContext = typeof(AssistantJson))]
[System("You are a helpful assistant.")]
public partial interface IAssistant
{
    [User("What is {topic}? Answer in two sentences.")]
    [Completion(Temperature = 0.3, MaxTokens = 200)]
    Task<string> AnswerAsync(string topic, CancellationToken cancellationToken = default);

    [System("You are a Python expert.")]
    [User("Write a function to {task}.")]
    [Completion(Temperature = 0.2, MaxTokens = 400)]
    Task<CodeSnippet> WriteCodeAsync(string task, CancellationToken cancellationToken = default);

    [System("Classify the sentiment of the review.")]
    [User("{review}")]
    [Completion(Temperature = 0)]
    Task<Sentiment> ClassifyAsync(string review, CancellationToken cancellationToken = default);

    [System("Give a short context that situates the chunk within the document, to improve search retrieval.")]
    [User("<document>{document}</document>\n<chunk>{chunk}</chunk>")]
    [Completion(MaxTokens = 100)]
    Task<string> SituateChunkAsync(string document, string chunk, CancellationToken cancellationToken = default);

    [Embedding]
    Task<EmbeddingVector> EmbedAsync(string text, CancellationToken cancellationToken = default);
}
