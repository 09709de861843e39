using System.Threading.Tasks;
using TypedBatch;

namespace Samples.Plain;

internal partial interface IJokes
{
}

[PromptClient]
internal partial interface IQuestions
{
    [User("Tell me a joke.")]
    Task<string> JokeAsync();

    [User("{question}")]
    Task<string> Ask(string question);

    [User("How many {unit} in a {thing}? Answer with a number of at most {digits} digits.")]
    ValueTask<ChatCompletion> CountAsync(string unit, string thing, int digits);
}
