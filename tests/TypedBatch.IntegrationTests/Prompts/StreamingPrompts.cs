namespace TypedBatch.IntegrationTests.Prompts;

[PromptClient]
[System("You are a storyteller.")]
public partial interface IStoryteller
{
    [User("Tell a story about {topic}.")]
    IAsyncEnumerable<string> TellAsync(string topic, CancellationToken cancellationToken = default);

    [User("Tell a story about {hero} and {villain}.")]
    IAsyncEnumerable<string> Duel(string hero, string villain);

    [User("Give a title for a story about {topic}.")]
    Task<string> TitleAsync(string topic, CancellationToken cancellationToken = default);

    [User("Give a moral for a story about {hero} and {villain}.")]
    ValueTask<string> MoralAsync(string hero, string villain);
}
