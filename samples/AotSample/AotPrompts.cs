using System.ComponentModel;
using System.Text.Json.Serialization;
using TypedBatch;

namespace AotSample;

/// <summary>The sentiment of a review.</summary>
public enum Sentiment
{
    Positive,
    Negative,
    Neutral,
}

/// <summary>A code snippet; <see cref="Explanation"/> may be left out (null).</summary>
public sealed record CodeSnippet(
    string Language,
    string Code,
    [property: Description("What the code does, in one sentence, or null.")] string? Explanation);

/// <summary>One step of a plan.</summary>
public sealed record PlanStep(int Order, string Title);

/// <summary>Every typed result of <see cref="IAotAssistant"/>, serialized without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Sentiment))]
[JsonSerializable(typeof(CodeSnippet))]
[JsonSerializable(typeof(List<PlanStep>))]
[JsonSerializable(typeof(string))]
internal sealed partial class AotJsonContext : JsonSerializerContext;

/// <summary>Typed prompts whose results are parsed through <see cref="AotJsonContext"/>: trim and Native AOT safe.</summary>
[PromptClient(JsonContext = typeof(AotJsonContext))]
[System("You are a concise assistant.")]
public partial interface IAotAssistant
{
    [System("Classify the sentiment of the review.")]
    [User("{review}")]
    Task<Sentiment> ClassifyAsync(string review, CancellationToken cancellationToken = default);

    [System("You are a Python expert.")]
    [User("Write a function to {task}.")]
    [Completion(MaxTokens = 400)]
    Task<CodeSnippet> WriteCodeAsync(string task, CancellationToken cancellationToken = default);

    [User("Break the goal '{goal}' into a few ordered steps.")]
    [Completion(MaxTokens = 400)]
    Task<List<PlanStep>> PlanAsync(string goal, CancellationToken cancellationToken = default);

    [User("What is {topic}? Answer in one sentence.")]
    [Completion(Temperature = 0.3, MaxTokens = 100)]
    Task<string> AnswerAsync(string topic, CancellationToken cancellationToken = default);
}
