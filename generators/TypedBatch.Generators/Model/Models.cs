namespace TypedBatch.Generators.Model;

/// <summary>One <c>[PromptClient]</c> interface, ready to emit. Plain values only: no symbols, syntax or locations.</summary>
internal sealed record InterfaceModel(
    string GeneratorVersion,
    string? Namespace,
    string Name,
    string Accessibility,
    string ClientClassName,
    string HintName,
    EquatableArray<MethodModel> Methods,
    string? JsonContext,
    EquatableArray<string> EnumTypes);

internal enum MethodKind
{
    Chat,
    Embedding,
}

/// <summary>What the method returns, wrapped in <c>Task</c> or <c>ValueTask</c> (or, for <see cref="Stream"/>, <c>IAsyncEnumerable</c>).</summary>
internal enum ResultKind
{
    String,

    /// <summary><c>IAsyncEnumerable&lt;string&gt;</c>: the answer's text deltas as they arrive; no batch members.</summary>
    Stream,

    ChatCompletion,
    Embedding,
    FloatArray,
    ReadOnlyMemoryOfFloat,

    /// <summary>Any other type: requested with a compile-time JSON schema and parsed with System.Text.Json.</summary>
    Json,
}

/// <summary>One declared method and everything generated for it.</summary>
internal sealed record MethodModel(
    string Name,
    string BatchName,
    string AsCompletedName,
    string RenderName,
    MethodKind Kind,
    ResultKind Result,
    string ResultType,
    bool ReturnsValueTask,
    EquatableArray<ParameterModel> Parameters,
    string? CancellationTokenName,
    EquatableArray<MessageModel> Messages,
    SettingsModel Settings,
    StructuredModel? Structured)
{
    /// <summary>The streamed batch member a string-returning chat method gets: <c>MStreamBatchAsync</c>.</summary>
    public string StreamBatchName => BatchName.Substring(0, BatchName.Length - "BatchAsync".Length) + "StreamBatchAsync";

    /// <summary>Whether the method gets a streamed batch member (a chat method returning <c>Task&lt;string&gt;</c> or <c>ValueTask&lt;string&gt;</c>).</summary>
    public bool HasStreamBatch => Kind == MethodKind.Chat && Result == ResultKind.String;

    /// <summary>Whether the method gets batch and as-completed members: it has parameters, and its answer is not streamed.</summary>
    public bool HasBatchMembers => Parameters.Count > 0 && Result != ResultKind.Stream;

    /// <summary>The names of the members generated for the method, which no declared member may have.</summary>
    public System.Collections.Generic.IEnumerable<string> GeneratedNames => Result == ResultKind.Stream
        ? new[] { RenderName }
        : HasStreamBatch ? new[] { BatchName, AsCompletedName, StreamBatchName, RenderName } : new[] { BatchName, AsCompletedName, RenderName };
}

/// <summary>How a typed result is requested and read: its strict schema (minified JSON) and repair budget.</summary>
internal sealed record StructuredModel(string SchemaName, string SchemaJson, bool Wrapped, int MaxRepairAttempts);

/// <summary>A prompt parameter (the cancellation token is not one): its name as declared and its fully qualified type.</summary>
internal sealed record ParameterModel(string Name, string Type);

/// <summary>One message: its role (<c>System</c>, <c>User</c>, <c>Assistant</c>) and its parsed template.</summary>
internal sealed record MessageModel(string Role, EquatableArray<Segment> Segments);

/// <summary>
/// A piece of a template: literal <paramref name="Text"/>, or a value read through <paramref name="Path"/> (a parameter,
/// then members) with an optional format string. <paramref name="IsString"/> marks a value of type string.
/// </summary>
internal sealed record Segment(bool IsLiteral, string Text, EquatableArray<PathHop> Path, string? Format, bool IsString)
{
    public static Segment Literal(string text) => new(true, text, EquatableArray<PathHop>.Empty, null, true);

    public static Segment Value(EquatableArray<PathHop> path, string? format, bool isString) => new(false, string.Empty, path, format, isString);
}

/// <summary>
/// One hop of a placeholder's member path: the parameter's or member's name as declared (not escaped), and whether
/// the value it reads may be null, so that the next hop must be null-conditional.
/// </summary>
internal readonly record struct PathHop(string Name, bool MayBeNull);

/// <summary>
/// Request settings merged at compile time from <c>[PromptClient]</c>, the interface's <c>[Completion]</c> and the
/// method's own (for an embedding, its model and dimensions): typed values, or null where nothing was set.
/// </summary>
internal sealed record SettingsModel(
    string? Model,
    double? Temperature,
    int? MaxTokens,
    double? TopP,
    long? Seed,
    EquatableArray<string> Stop,
    int? Dimensions);
