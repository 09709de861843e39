using System.Threading.Tasks;
using TypedBatch;

namespace Samples.Settings;

[PromptClient(Model = "gpt-4o-mini")]
[Completion(Model = "gpt-4o", Temperature = 0.7, MaxTokens = 256, TopP = 0.9, Seed = 7, Stop = new[] { "\n\n" })]
public partial interface IWriter
{
    [User("Write a haiku about {subject}.")]
    Task<string> HaikuAsync(string subject);

    [User("List three facts about {subject}.")]
    [Completion(Temperature = 0, TopP = 1, Seed = 12345678901, Stop = new[] { "4.", "END", "\"quoted\"" })]
    Task<string> FactsAsync(string subject);

    [User("Name one {thing}.")]
    [Completion(Model = "gpt-4.1-mini", MaxTokens = 5, Temperature = 1e-5)]
    Task<string> NameAsync(string thing);
}
