namespace TypedBatch.LoadTests.Clients;

/// <summary>The workload as a prompt client: the generator writes <c>ExplainBatchAsync</c>, which the runner calls.</summary>
[PromptClient(Model = "gpt-4o-mini")]
[System("You are a helpful assistant.")]
public partial interface ILoadPrompts
{
    [User("Explain {topic} in one sentence.")]
    [Completion(Temperature = 0.3, MaxTokens = 100)]
    Task<string> ExplainAsync(string topic, CancellationToken cancellationToken = default);
}
