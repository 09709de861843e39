namespace TypedBatch.IntegrationTests.Prompts;

/// <summary>Prompts whose whole user message is the input, so an empty input renders an empty message.</summary>
[PromptClient(Model = "gpt-4o-mini")]
public partial interface IReviewPrompts
{
    [System("Repeat the review.")]
    [User("{review}")]
    Task<string> EchoAsync(string? review);

    [System("Classify the sentiment of the review.")]
    [User("{review}")]
    Task<Sentiment> ClassifyAsync(string? review);
}
