namespace TypedBatch;

/// <summary>
/// Marks a <c>partial</c> interface whose methods are prompts. The TypedBatch generator implements it and adds, for
/// each method <c>M</c>, <c>MBatchAsync</c>, <c>MAsCompletedAsync</c> and a static <c>RenderM</c>; get the
/// implementation from <see cref="TypedBatchClient.For{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class PromptClientAttribute : Attribute
{
    /// <summary>The chat model for every method that does not name one; the client's default when not set.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// A <see cref="System.Text.Json.Serialization.JsonSerializerContext"/> with <c>[JsonSerializable(typeof(T))]</c>
    /// for each typed result <c>T</c>: results are then parsed with source-generated metadata, trim and Native AOT safe,
    /// and the schemas follow its naming policy. Without it, typed results are parsed by reflection.
    /// </summary>
    public Type? JsonContext { get; set; }
}

/// <summary>
/// A system message template. On the interface it comes first in every method's messages; on a method it is sent
/// in declaration order with the method's <see cref="UserAttribute"/> and <see cref="AssistantAttribute"/> messages.
/// </summary>
/// <param name="template">The text, with <c>{parameter}</c>, <c>{parameter.Property}</c>, <c>{parameter:format}</c>
/// placeholders and <c>{{</c>/<c>}}</c> for literal braces. A null value renders as empty text.</param>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class SystemAttribute(string template) : Attribute
{
    /// <summary>The template text.</summary>
    public string Template { get; } = template;
}

/// <summary>A user message template, sent in declaration order; see <see cref="SystemAttribute"/> for the syntax.</summary>
/// <param name="template">The template text.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class UserAttribute(string template) : Attribute
{
    /// <summary>The template text.</summary>
    public string Template { get; } = template;
}

/// <summary>
/// An assistant message template, sent in declaration order: a <c>[User]</c>/<c>[Assistant]</c> pair is a few-shot
/// example. See <see cref="SystemAttribute"/> for the syntax.
/// </summary>
/// <param name="template">The template text.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true, Inherited = false)]
public sealed class AssistantAttribute(string template) : Attribute
{
    /// <summary>The template text.</summary>
    public string Template { get; } = template;
}

/// <summary>
/// Completion settings: on the interface, defaults for every method; on a method, overrides of those defaults.
/// Only the properties you set are sent; values are checked at compile time.
/// </summary>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class CompletionAttribute : Attribute
{
    /// <summary>The chat model.</summary>
    public string? Model { get; set; }

    /// <summary>Sampling temperature, 0 to 2.</summary>
    public double Temperature { get; set; }

    /// <summary>Most tokens in the answer, at least 1.</summary>
    public int MaxTokens { get; set; }

    /// <summary>Nucleus sampling, greater than 0 and at most 1.</summary>
    public double TopP { get; set; }

    /// <summary>Seed for best-effort deterministic sampling.</summary>
    public long Seed { get; set; }

    /// <summary>
    /// For typed results: how many times an answer that does not parse or fit the type is sent back to the model with
    /// the error (0 to 5; default 1).
    /// </summary>
    public int MaxRepairAttempts { get; set; } = 1;

    /// <summary>One to four sequences where generation stops.</summary>
#pragma warning disable CA1819 // attribute arguments are arrays by nature
    public string[]? Stop { get; set; }
#pragma warning restore CA1819
}

/// <summary>
/// Marks a method that embeds its one <see cref="string"/> parameter. It returns <c>Task</c> or <c>ValueTask</c> of
/// <see cref="TypedBatch.EmbeddingVector"/>, <c>float[]</c> or <c>ReadOnlyMemory&lt;float&gt;</c>; its batch variant packs
/// inputs into large requests like <see cref="TypedBatchClient.CreateEmbeddingsBatchAsync(IEnumerable{string}, BatchOptions, int?, CancellationToken)"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>The embedding model; the client's <see cref="TypedBatchOptions.EmbeddingModel"/> when not set.</summary>
    public string? Model { get; set; }

    /// <summary>The vector length, for models that support shortening.</summary>
    public int Dimensions { get; set; }
}
