using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Threading;
using System.Threading.Tasks;
using TypedBatch;

namespace Samples.Typed;

public enum Mood
{
    Calm,
    Angry,
}

public enum Size
{
    Small,
    Large,
}

public sealed record Review(string Title, Mood Mood, Size? Size);

public sealed record Step(int Order, string Title);

/// <summary>
/// A context written by hand: these baselines run only the TypedBatch generator, not System.Text.Json's, so the
/// context cannot be a generated partial class. The emitter reads only its name and its [JsonSerializable] types.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Review))]
[JsonSerializable(typeof(List<Step>))]
[JsonSerializable(typeof(int))]
public sealed class TypedContext : JsonSerializerContext
{
    public TypedContext()
        : base(null)
    {
    }

    public static TypedContext Default { get; } = new TypedContext();

    protected override JsonSerializerOptions? GeneratedSerializerOptions => null;

    public override JsonTypeInfo? GetTypeInfo(Type type) => null;
}

[PromptClient(JsonContext = typeof(TypedContext))]
public partial interface IReviewer
{
    [User("Review {text}.")]
    [Completion(MaxRepairAttempts = 3, Temperature = 0.5)]
    Task<Review> ReviewAsync(string text, CancellationToken cancellationToken = default);

    [User("Plan {goal} for {owner}.")]
    ValueTask<List<Step>> PlanAsync(string goal, string owner);

    [User("Pick a number.")]
    Task<int> PickAsync();

    [User("Pick a number.")]
    ValueTask<int> PickValueAsync(CancellationToken cancellationToken);
}

[PromptClient]
public partial interface IReflectiveReviewer
{
    [User("Review {text}.")]
    Task<Review> ReviewAsync(string text);
}
