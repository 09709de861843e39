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

/// <summary>What the method returns, wrapped in <c>Task</c> or <c>ValueTask</c>.</summary>
internal enum ResultKind
{
    String,
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
    StructuredModel? Structured);

/// <summary>How a typed result is requested and read: its strict schema (minified JSON) and repair budget.</summary>
internal sealed record StructuredModel(string SchemaName, string SchemaJson, bool Wrapped, int MaxRepairAttempts);

/// <summary>A prompt parameter (the cancellation token is not one).</summary>
internal sealed record ParameterModel(string Name, string Type);

/// <summary>One message: its role (<c>System</c>, <c>User</c>, <c>Assistant</c>) and its parsed template.</summary>
internal sealed record MessageModel(string Role, EquatableArray<Segment> Segments);

/// <summary>
/// A piece of a template: literal text, or a C# expression that reads a parameter (with <c>?.</c> where a hop
/// may be null) and an optional format string. <paramref name="IsString"/> marks an expression of type string.
/// </summary>
internal sealed record Segment(bool IsLiteral, string Text, string? Format, bool IsString);

/// <summary>
/// Request settings merged at compile time from <c>[PromptClient]</c>, the interface's <c>[Completion]</c> and the
/// method's own: values are C# literals, or null where nothing was set.
/// </summary>
internal sealed record SettingsModel(
    string? Model,
    string? Temperature,
    string? MaxTokens,
    string? TopP,
    string? Seed,
    EquatableArray<string> Stop,
    string? Dimensions);
