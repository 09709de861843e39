using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace TypedBatch;

/// <summary>
/// How a typed prompt method asks for and reads its result: the compile-time JSON schema as a
/// <see cref="ResponseFormat"/>, the parse function the generator wrote for the type, and how often a bad answer is
/// sent back for repair. Created once per method by generated code.
/// </summary>
/// <typeparam name="T">The result type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StructuredOutputSpec<T>
{
    /// <summary>Creates the spec.</summary>
    /// <param name="format">The <c>json_schema</c> response format.</param>
    /// <param name="parse">Reads the answer's JSON into <typeparamref name="T"/>; throws <see cref="JsonException"/> when it does not fit.</param>
    /// <param name="maxRepairAttempts">Re-asks after an answer that does not parse (0 to 5).</param>
    public StructuredOutputSpec(ResponseFormat format, Func<string, T> parse, int maxRepairAttempts = 1)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRepairAttempts);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxRepairAttempts, 5);
        Format = format;
        Parse = parse;
        MaxRepairAttempts = maxRepairAttempts;
    }

    /// <summary>The response format with the schema.</summary>
    public ResponseFormat Format { get; }

    /// <summary>Reads the answer's JSON.</summary>
    public Func<string, T> Parse { get; }

    /// <summary>Re-asks after an answer that does not parse.</summary>
    public int MaxRepairAttempts { get; }
}

/// <summary>Reading typed answers: code-fence unwrapping and strict System.Text.Json parsing. Called by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class StructuredOutput
{
    /// <summary>The property a non-object result is wrapped in, since strict mode needs an object at the root.</summary>
    public const string WrapperProperty = "value";

    /// <summary>
    /// The JSON inside an answer: the answer itself, or the body of the first Markdown code fence
    /// (<c>```json … ```</c>), which local models add even when asked for JSON only.
    /// </summary>
    /// <param name="content">The model's answer.</param>
    public static string ExtractJson(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        ReadOnlySpan<char> text = content.AsSpan().Trim();
        int fence = text.IndexOf("```", StringComparison.Ordinal);
        if (fence < 0)
        {
            return text.Length == content.Length ? content : text.ToString();
        }

        ReadOnlySpan<char> rest = text[(fence + 3)..];
        int lineEnd = rest.IndexOf('\n');
        if (lineEnd < 0)
        {
            return text.ToString();
        }

        rest = rest[(lineEnd + 1)..];
        int close = rest.IndexOf("```", StringComparison.Ordinal);
        return (close < 0 ? rest : rest[..close]).Trim().ToString();
    }

    /// <summary>
    /// Options for parsing with a source-generated context: the context's metadata (trim and AOT safe), strict about
    /// nulls and required constructor parameters, no unknown members, and the given enum converters (enums are names).
    /// </summary>
    /// <param name="context">The user's <see cref="JsonSerializerContext"/>.</param>
    /// <param name="converters">String-enum converters for the enums the result contains.</param>
    public static JsonSerializerOptions CreateOptions(JsonSerializerContext context, params JsonConverter[] converters)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(converters);
        var options = new JsonSerializerOptions(context.Options)
        {
            TypeInfoResolver = context,
        };
        ApplyStrictness(options, converters);
        return options;
    }

    /// <summary>
    /// Options for parsing by reflection, when no <c>JsonContext</c> is given: not trim or AOT safe (the generator
    /// warns when the project publishes AOT or is trimmable).
    /// </summary>
    [RequiresUnreferencedCode("Reflection-based JSON; give [PromptClient(JsonContext = typeof(...))] for trimming and AOT.")]
    [RequiresDynamicCode("Reflection-based JSON; give [PromptClient(JsonContext = typeof(...))] for trimming and AOT.")]
    public static JsonSerializerOptions CreateReflectionOptions()
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        ApplyStrictness(options, [new JsonStringEnumConverter()]);
        return options;
    }

    /// <summary>Parses <paramref name="json"/> as <typeparamref name="T"/>, unwrapping <c>{"value": …}</c> when <paramref name="wrapped"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <param name="json">The answer's JSON.</param>
    /// <param name="options">Options from <see cref="CreateOptions"/> or <see cref="CreateReflectionOptions"/>.</param>
    /// <param name="wrapped">Whether the schema wrapped a non-object type in an object.</param>
    /// <exception cref="JsonException">The JSON does not parse or does not fit <typeparamref name="T"/>.</exception>
    public static T Parse<T>(string json, JsonSerializerOptions options, bool wrapped)
    {
        ArgumentNullException.ThrowIfNull(options);
        JsonTypeInfo<T> typeInfo = (JsonTypeInfo<T>?)options.GetTypeInfo(typeof(T))
            ?? throw new InvalidOperationException($"The JSON options have no metadata for {typeof(T)}; add [JsonSerializable(typeof({typeof(T).Name}))] to the JsonContext.");
        if (!wrapped)
        {
            return JsonSerializer.Deserialize(json, typeInfo) ?? throw new JsonException($"The answer is null, not a {typeof(T).Name}.");
        }

        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(WrapperProperty, out JsonElement value))
        {
            throw new JsonException($"Expected an object with a \"{WrapperProperty}\" property.");
        }

        T? result = value.Deserialize(typeInfo);
        return result is null && default(T) is not null
            ? throw new JsonException($"\"{WrapperProperty}\" is null, not a {typeof(T).Name}.")
            : result!;
    }

    private static void ApplyStrictness(JsonSerializerOptions options, JsonConverter[] converters)
    {
        options.RespectNullableAnnotations = true;
        options.RespectRequiredConstructorParameters = true;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.AllowOutOfOrderMetadataProperties = true;
        foreach (JsonConverter converter in converters)
        {
            options.Converters.Add(converter);
        }

        options.MakeReadOnly();
    }
}
