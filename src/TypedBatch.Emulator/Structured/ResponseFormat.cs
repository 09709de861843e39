using System.Text.Json;

namespace TypedBatch.Emulator.Structured;

/// <summary>What a request's <c>response_format</c> asks for.</summary>
internal enum ResponseFormatKind
{
    /// <summary>Free text: no <c>response_format</c>, or <c>{"type":"text"}</c>.</summary>
    Text,

    /// <summary><c>{"type":"json_object"}</c>: any JSON object.</summary>
    JsonObject,

    /// <summary><c>{"type":"json_schema", ...}</c>: JSON valid against the given schema.</summary>
    JsonSchema,
}

/// <summary>A parsed <c>response_format</c>; <see cref="Schema"/> is a clone that outlives the request body.</summary>
/// <param name="Kind">The kind of answer asked for.</param>
/// <param name="Name">The <c>json_schema.name</c>, for <see cref="ResponseFormatKind.JsonSchema"/>.</param>
/// <param name="Schema">The <c>json_schema.schema</c>; absent for json_object, and for a json_schema without one (answered like json_object).</param>
internal sealed record ResponseFormat(ResponseFormatKind Kind, string? Name, JsonElement? Schema)
{
    private const int MaxNameLength = 64;

    /// <summary>Plain text answers.</summary>
    public static readonly ResponseFormat Text = new(ResponseFormatKind.Text, null, null);

    /// <summary>Whether the answer must be JSON (json_object or json_schema).</summary>
    public bool IsStructured => Kind != ResponseFormatKind.Text;

    /// <summary>
    /// Reads <c>response_format</c> from a request body (absent or null means text) and checks the
    /// schema with <see cref="SchemaChecker"/>; returns <see langword="null"/> with the reason when invalid.
    /// </summary>
    public static ResponseFormat? Parse(JsonElement root, out RequestError? error)
    {
        error = null;
        if (!RequestFields.TryGet(root, "response_format", out JsonElement format))
        {
            return Text;
        }

        if (format.ValueKind != JsonValueKind.Object || !format.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
        {
            error = RequestError.Invalid("response_format", "expected an object with a string 'type'.");
            return null;
        }

        switch (type.GetString())
        {
            case "text":
                return Text;
            case "json_object":
                return new ResponseFormat(ResponseFormatKind.JsonObject, null, null);
            case "json_schema":
                return ParseJsonSchema(format, out error);
            default:
                error = RequestError.Invalid("response_format.type", "expected 'text', 'json_object' or 'json_schema'.");
                return null;
        }
    }

    private static ResponseFormat? ParseJsonSchema(JsonElement format, out RequestError? error)
    {
        error = null;
        if (!RequestFields.TryGet(format, "json_schema", out JsonElement jsonSchema))
        {
            error = RequestError.Missing("response_format.json_schema");
            return null;
        }

        if (jsonSchema.ValueKind != JsonValueKind.Object)
        {
            error = RequestError.Invalid("response_format.json_schema", "expected an object.");
            return null;
        }

        if (!RequestFields.TryGet(jsonSchema, "name", out JsonElement nameElement))
        {
            error = RequestError.Missing("response_format.json_schema.name");
            return null;
        }

        string name = nameElement.ValueKind == JsonValueKind.String ? nameElement.GetString()! : "";
        if (name.Length is 0 or > MaxNameLength || !name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            error = RequestError.Invalid(
                "response_format.json_schema.name", $"expected 1 to {MaxNameLength} characters from a-z, A-Z, 0-9, '_' and '-'.");
            return null;
        }

        if (!RequestFields.TryReadBoolean(jsonSchema, "strict", out bool strict, out _))
        {
            error = RequestError.Invalid("response_format.json_schema.strict", "expected a boolean.");
            return null;
        }

        if (!RequestFields.TryGet(jsonSchema, "schema", out JsonElement schema))
        {
            return new ResponseFormat(ResponseFormatKind.JsonSchema, name, null);
        }

        if (SchemaChecker.FindProblem(schema, strict) is { } problem)
        {
            error = new RequestError($"Invalid schema for response_format '{name}': {problem}.", "response_format", null);
            return null;
        }

        return new ResponseFormat(ResponseFormatKind.JsonSchema, name, schema.Clone());
    }
}
