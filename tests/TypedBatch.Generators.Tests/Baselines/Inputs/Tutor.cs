using System;
using System.Threading;
using System.Threading.Tasks;
using TypedBatch;

namespace Samples.Tutoring;

public sealed record Document(string Title, Author Author, int Pages);

public sealed record Author(string Name);

[PromptClient(Model = "gpt-4o-mini")]
[System("You are a helpful assistant.")]
public partial interface ITutor
{
    [User("What is {topic}?")]
    [Completion(Temperature = 0.3, MaxTokens = 100)]
    Task<string> ExplainAsync(string topic, CancellationToken cancellationToken = default);

    [System("You translate text.")]
    [User("Translate into {language}: {text}")]
    Task<string> TranslateAsync(string text, string language);

    [User("Summarize '{doc.Title}' by {doc.Author.Name} ({doc.Pages:N0} pages).")]
    Task<ChatCompletion> SummarizeAsync(Document doc, CancellationToken cancellationToken);

    [User("Price: {price:F2} on {day:yyyy-MM-dd}. Literal {{braces}}.")]
    ValueTask<string> QuoteAsync(decimal price, DateTime day);

    [User("Classify: great movie")]
    [Assistant("positive")]
    [User("Classify: awful plot")]
    [Assistant("negative")]
    [User("Classify: {review}")]
    Task<string> ClassifyAsync(string review);

    [Embedding(Model = "text-embedding-3-small", Dimensions = 32)]
    Task<EmbeddingVector> EmbedAsync(string text, CancellationToken cancellationToken = default);

    [Embedding]
    Task<float[]> EmbedFloatsAsync(string text);

    [Embedding]
    ValueTask<ReadOnlyMemory<float>> EmbedMemoryAsync(string text, CancellationToken cancellationToken);
}
