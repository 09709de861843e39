using Microsoft.CodeAnalysis;

namespace TypedBatch.Generators.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are stable and never renumbered; each links to its section of
/// docs/diagnostics.md.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "TypedBatch";
    private const string HelpBase = "https://github.com/typedbatch/typedbatch/blob/main/docs/diagnostics.md#";

    public static readonly DiagnosticDescriptor InterfaceNotPartial = Error("TB0001",
        "Prompt client interface must be partial",
        "Interface '{0}' has [PromptClient] but is not partial; add the partial modifier so the batch methods can be generated",
        "The generator adds batch and as-completed members to the interface, which needs it to be declared partial.");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Error("TB0002",
        "Unsupported return type",
        "Method '{0}' returns '{1}'; a prompt method returns Task<T> or ValueTask<T> with T string, ChatCompletion or a type with a strict JSON schema, or IAsyncEnumerable<string> to stream its text, and an [Embedding] method Task/ValueTask of EmbeddingVector, float[] or ReadOnlyMemory<float>",
        "Only these return types can be generated today.");

    public static readonly DiagnosticDescriptor UnknownPlaceholder = Error("TB0003",
        "Placeholder names no parameter",
        "Placeholder '{{{0}}}' in method '{1}' names no parameter; the parameters are: {2}",
        "Every {name} in a template must be the name of one of the method's parameters.");

    public static readonly DiagnosticDescriptor UnknownMember = Error("TB0004",
        "Placeholder names no such property",
        "'{0}' has no readable public property or field '{1}' (in placeholder '{{{2}}}')",
        "In {name.Property}, each part after the first must be a public property or field of the previous part's type.");

    public static readonly DiagnosticDescriptor UnusedParameter = new("TB0005",
        "Parameter is used by no template",
        "Parameter '{0}' of method '{1}' is used by no template and will not reach the model",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "A parameter that no [System], [User] or [Assistant] template mentions is probably a mistake. CancellationToken parameters are exempt.",
        helpLinkUri: HelpBase + "tb0005");

    public static readonly DiagnosticDescriptor MalformedTemplate = Error("TB0006",
        "Malformed template",
        "Template of method '{0}' is malformed: {1}",
        "Placeholders are {name}, {name.Property} or {name:format}; write {{ and }} for literal braces.");

    public static readonly DiagnosticDescriptor NoUserMessage = Error("TB0007",
        "Prompt method has no [User] message",
        "Method '{0}' has no [User] template; add [User(\"...\")] or mark it [Embedding]",
        "A chat request needs at least one user message.");

    public static readonly DiagnosticDescriptor TemperatureOutOfRange = Error("TB0008",
        "Temperature out of range",
        "Temperature {0} is outside 0 to 2",
        "OpenAI-compatible servers accept a temperature between 0 and 2.");

    public static readonly DiagnosticDescriptor MaxTokensOutOfRange = Error("TB0009",
        "MaxTokens below 1",
        "MaxTokens {0} must be at least 1",
        "A completion needs room for at least one token.");

    public static readonly DiagnosticDescriptor GenericMethod = Error("TB0010",
        "Generic prompt methods are not supported",
        "Method '{0}' is generic; prompt methods cannot have type parameters",
        "The generated batch signature needs concrete types.");

    public static readonly DiagnosticDescriptor RefParameter = Error("TB0011",
        "ref, out and in parameters are not supported",
        "Parameter '{0}' of method '{1}' is passed by reference or is a ref struct or pointer; prompt parameters must be values that can be stored",
        "Batch inputs are values kept in a sequence; by-reference parameters, spans and pointers cannot be batched.");

    public static readonly DiagnosticDescriptor MemberCollision = Error("TB0012",
        "Member collides with a generated member",
        "'{0}' collides with the member the generator adds for method '{1}'; rename one of them",
        "For each method M the generator adds MBatchAsync, MAsCompletedAsync and RenderM (a trailing Async is not repeated).");

    public static readonly DiagnosticDescriptor UnsupportedInterface = Error("TB0013",
        "Unsupported prompt client interface",
        "Interface '{0}' cannot be a prompt client: {1}",
        "Prompt client interfaces must be top-level, non-generic interfaces.");

    public static readonly DiagnosticDescriptor FormatOnNonFormattable = Error("TB0014",
        "Format on a value that is not IFormattable",
        "Placeholder '{{{0}}}' has format '{1}' but its type '{2}' does not implement IFormattable",
        "Only IFormattable values (numbers, dates, …) take a format.");

    public static readonly DiagnosticDescriptor InvalidEmbeddingSignature = Error("TB0015",
        "Invalid [Embedding] method",
        "[Embedding] method '{0}' must take exactly one string parameter (and optionally a CancellationToken)",
        "An embedding method embeds one text.");

    public static readonly DiagnosticDescriptor TopPOutOfRange = Error("TB0016",
        "TopP out of range",
        "TopP {0} must be greater than 0 and at most 1",
        "Nucleus sampling takes a probability mass in (0, 1].");

    public static readonly DiagnosticDescriptor TooManyCancellationTokens = Error("TB0017",
        "More than one CancellationToken",
        "Method '{0}' has more than one CancellationToken parameter",
        "The generated methods pass one token.");

    public static readonly DiagnosticDescriptor InvalidStop = Error("TB0018",
        "Invalid stop sequences",
        "Stop must hold one to four non-empty sequences",
        "OpenAI-compatible servers accept at most four stop sequences.");

    public static readonly DiagnosticDescriptor MixedPromptAndEmbedding = Error("TB0019",
        "[Embedding] method with message templates",
        "Method '{0}' is an [Embedding] method and cannot also have [System], [User] or [Assistant] templates",
        "An embedding embeds its one text parameter as is.");

    public static readonly DiagnosticDescriptor TypeNotExpressible = Error("TB0020",
        "Result type cannot be expressed as a strict JSON schema",
        "The result of method '{0}' cannot be a strict JSON schema: {1}",
        "OpenAI strict mode needs every property known and required: dictionaries, object, interfaces, abstract types without [JsonDerivedType], [Flags] enums and tuples have no strict schema.");

    public static readonly DiagnosticDescriptor ReflectionJsonInAotProject = new("TB0021",
        "Typed result parsed by reflection in a trimmed or AOT project",
        "Interface '{0}' has typed results but no [PromptClient(JsonContext = typeof(...))]; reflection-based JSON is not trim or Native AOT safe",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true,
        description: "Give a JsonSerializerContext with [JsonSerializable(typeof(T))] for each result type so parsing uses source-generated metadata.",
        helpLinkUri: HelpBase + "tb0021");

    public static readonly DiagnosticDescriptor JsonContextMissingType = Error("TB0022",
        "JsonContext cannot read the result type",
        "JsonContext '{0}' has no [JsonSerializable(typeof({1}))], which method '{2}' returns",
        "The JsonContext must be a JsonSerializerContext with [JsonSerializable(typeof(T))] for each typed result T.");

    /// <summary>The other half of TB0022: the given type is no context at all, so there is no result type to name.</summary>
    public static readonly DiagnosticDescriptor JsonContextNotAContext = Error("TB0022",
        "JsonContext cannot read the result type",
        "JsonContext '{0}' is not a System.Text.Json JsonSerializerContext",
        "The JsonContext must be a JsonSerializerContext with [JsonSerializable(typeof(T))] for each typed result T.");

    public static readonly DiagnosticDescriptor RepairAttemptsOutOfRange = Error("TB0023",
        "MaxRepairAttempts out of range",
        "MaxRepairAttempts {0} must be between 0 and 5",
        "Each repair is another paid request; more than a few rarely helps.");

    public static readonly DiagnosticDescriptor UnsupportedMember = Error("TB0024",
        "Member cannot be generated",
        "'{0}' on prompt client '{1}' cannot be implemented: {2}",
        "The generated client implements the prompt methods declared on the [PromptClient] interface itself.");

    public static readonly DiagnosticDescriptor ReservedTupleName = Error("TB0025",
        "Parameter name is reserved in a tuple",
        "Parameter '{0}' of method '{1}' cannot name an element of the batch input tuple; rename it",
        "Batch inputs of several parameters are named tuples; Rest, ItemN out of place and object's members are not valid element names.");

    private static DiagnosticDescriptor Error(string id, string title, string message, string description)
        => new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description: description, helpLinkUri: HelpBase + id.ToLowerInvariant());
}
