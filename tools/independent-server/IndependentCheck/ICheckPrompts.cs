using System.Text.Json.Serialization;
using TypedBatch;

namespace IndependentCheck;

/// <summary>An item's record, as the server's fixtures answer it: the input index and its tag.</summary>
public sealed record Tagged(int Index, string Tag);

/// <summary>Source-generated JSON metadata for the typed result, camelCase as the fixtures write it.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Tagged))]
internal sealed partial class CheckJson : JsonSerializerContext;

/// <summary>
/// The prompts the check runs. Every chat prompt carries its input's marker "[item NNN]", which the fixtures in
/// ../fixtures/chat.json answer with that item's record, so a live answer shows which input it belongs to.
/// </summary>
[PromptClient(Model = "gpt-4o-mini", JsonContext = typeof(CheckJson))]
public partial interface ICheckPrompts
{
    /// <summary>A typed result: the record of item n.</summary>
    [User("Return the record of [item {n:D3}] as JSON.")]
    Task<Tagged> TagAsync(int n);

    /// <summary>A string result: the answer's text as it is.</summary>
    [User("Name [item {n:D3}].")]
    Task<string> NameAsync(int n);

    /// <summary>A streamed answer: its text as it arrives.</summary>
    [User("Name [item {n:D3}].")]
    IAsyncEnumerable<string> NameStreamedAsync(int n, CancellationToken cancellationToken = default);

    /// <summary>An embedding of a text.</summary>
    [Embedding(Model = "text-embedding-3-small")]
    Task<EmbeddingVector> EmbedAsync(string text);
}
