namespace TypedBatch;

/// <summary>
/// What shape the answer must take (<c>response_format</c> on the wire): free text, any JSON object, or JSON that
/// conforms to a JSON schema (OpenAI structured outputs). Immutable; create schema formats once and reuse them.
/// </summary>
public sealed class ResponseFormat
{
    private ResponseFormat(string type, string? name, string? description, ReadOnlyMemory<byte> schema, bool strict)
    {
        Type = type;
        Name = name;
        Description = description;
        Schema = schema;
        Strict = strict;
    }

    /// <summary>Free text (the default).</summary>
    public static ResponseFormat Text { get; } = new("text", null, null, default, false);

    /// <summary>Any JSON object (<c>json_object</c>).</summary>
    public static ResponseFormat JsonObject { get; } = new("json_object", null, null, default, false);

    /// <summary><c>text</c>, <c>json_object</c> or <c>json_schema</c>.</summary>
    public string Type { get; }

    /// <summary>The schema's name: <c>[a-zA-Z0-9_-]</c>, at most 64 characters.</summary>
    public string? Name { get; }

    /// <summary>What the schema describes, for the model.</summary>
    public string? Description { get; }

    /// <summary>The JSON schema as UTF-8 JSON.</summary>
    public ReadOnlyMemory<byte> Schema { get; }

    /// <summary>Whether the provider must follow the schema exactly (OpenAI strict mode).</summary>
    public bool Strict { get; }

    /// <summary>A <c>json_schema</c> format.</summary>
    /// <param name="name">The schema's name: <c>[a-zA-Z0-9_-]</c>, 1 to 64 characters.</param>
    /// <param name="schemaUtf8">The schema as UTF-8 JSON (the generator emits it as a UTF-8 literal).</param>
    /// <param name="description">What it describes.</param>
    /// <param name="strict">Strict mode; the generator's schemas are strict-mode compatible.</param>
    /// <exception cref="ArgumentException">The name is invalid or the schema is empty.</exception>
    public static ResponseFormat ForJsonSchema(string name, ReadOnlyMemory<byte> schemaUtf8, string? description = null, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            throw new ArgumentException($"A schema name is 1 to 64 characters of a-z, A-Z, 0-9, '_' and '-'; got '{name}'.", nameof(name));
        }

        if (schemaUtf8.IsEmpty)
        {
            throw new ArgumentException("The schema is empty.", nameof(schemaUtf8));
        }

        return new ResponseFormat("json_schema", name, description, schemaUtf8, strict);
    }

    /// <summary>The schema as text.</summary>
    public string SchemaText => System.Text.Encoding.UTF8.GetString(Schema.Span);

    /// <inheritdoc />
    public override string ToString() => Name is null ? Type : $"{Type}:{Name}";
}

/// <summary>How structured outputs are requested from the provider.</summary>
public enum StructuredOutputMode
{
    /// <summary><c>response_format: json_schema</c> with <c>strict: true</c> (OpenAI, Azure OpenAI, vLLM, LM Studio, Ollama).</summary>
    JsonSchema,

    /// <summary>
    /// For servers without <c>json_schema</c> support: <c>response_format: json_object</c>, with the schema given to the
    /// model in a system message. The answer is still parsed and repaired against the type.
    /// </summary>
    JsonObjectWithSchemaInPrompt,

    /// <summary>
    /// Anthropic: a forced tool call whose <c>input_schema</c> is the schema, its <c>input</c> the answer, for models
    /// without structured outputs (<see cref="JsonSchema"/> sends <c>output_config.format</c>). Other providers send
    /// <see cref="JsonSchema"/>.
    /// </summary>
    ToolCall,
}
