using System.ComponentModel;
using System.Text.Json.Serialization;

namespace TypedBatch.IntegrationTests.Prompts;

public enum Sentiment
{
    Positive,
    Negative,
    Neutral,
}

public sealed record CodeSnippet(string Language, string Code, [property: Description("What the code does, in one sentence.")] string Explanation);

public sealed record Address(string Street, string City, string? PostalCode);

public sealed record Person(
    string Name,
    int Age,
    decimal Balance,
    bool Active,
    DateOnly Born,
    DateTimeOffset Seen,
    Guid Id,
    IReadOnlyList<string> Tags,
    Address? Address,
    Sentiment Mood,
    [property: JsonPropertyName("nick_name")] string? Nickname,
    [property: JsonIgnore] string? Secret = null);

public sealed class TreeNode
{
    public required string Label { get; init; }

    public List<TreeNode> Children { get; init; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Sentiment))]
[JsonSerializable(typeof(CodeSnippet))]
[JsonSerializable(typeof(Person))]
[JsonSerializable(typeof(TreeNode))]
[JsonSerializable(typeof(List<Sentiment>))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(DateTimeOffset))]
internal sealed partial class PromptJsonContext : JsonSerializerContext;

/// <summary>Typed results parsed through a source-generated context (trim and AOT safe).</summary>
[PromptClient(JsonContext = typeof(PromptJsonContext))]
public partial interface IAnalyst
{
    [System("Classify the sentiment of the review.")]
    [User("{review}")]
    Task<Sentiment> ClassifyAsync(string review, CancellationToken cancellationToken = default);

    [System("You are a Python expert.")]
    [User("Write a function to {task}.")]
    Task<CodeSnippet> WriteCodeAsync(string task, CancellationToken cancellationToken = default);

    [User("Describe a person for: {prompt}")]
    [Completion(MaxRepairAttempts = 2)]
    Task<Person> DescribeAsync(string prompt, CancellationToken cancellationToken = default);

    [User("Build a tree about {topic}")]
    ValueTask<TreeNode> TreeAsync(string topic);

    [User("List sentiments in {text}")]
    Task<List<Sentiment>> SentimentsAsync(string text);

    [User("How many words in {text}?")]
    Task<int> CountAsync(string text);

    [User("Is {text} a question?")]
    Task<bool> IsQuestionAsync(string text);

    [User("When was {text} written?")]
    Task<DateTimeOffset> WhenAsync(string text);
}

/// <summary>Typed results parsed by reflection (no JsonContext).</summary>
[PromptClient]
public partial interface IReflectiveAnalyst
{
    [User("{review}")]
    Task<Sentiment> ClassifyAsync(string review);

    [User("Describe {prompt}")]
    Task<Person> DescribeAsync(string prompt);
}
