using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TypedBatch;

namespace Samples.Streaming;

[PromptClient(Model = "gpt-4o-mini")]
[System("You are a storyteller.")]
public partial interface IStoryteller
{
    [User("Tell a story about {topic}.")]
    [Completion(MaxTokens = 400)]
    IAsyncEnumerable<string> TellAsync(string topic, CancellationToken cancellationToken = default);

    [User("Tell a story about {hero} and {villain}, without a token.")]
    IAsyncEnumerable<string> Duel(string hero, string villain);

    [User("Tell any story.")]
    IAsyncEnumerable<string> AnyAsync();

    [User("Give a title for a story about {topic}.")]
    Task<string> TitleAsync(string topic, CancellationToken cancellationToken = default);

    [User("Give a moral for a story about {hero} and {villain}.")]
    ValueTask<string> MoralAsync(string hero, string villain);
}
