using System.Text.Json;

namespace TypedBatch.Emulator.Structured;

/// <summary>Reading of JSON schema keywords shared by <see cref="SchemaChecker"/> and <see cref="JsonSchemaFaker"/>.</summary>
internal static class SchemaReading
{
    /// <summary>The values <c>type</c> may take.</summary>
    public static readonly string[] KnownTypes = ["string", "number", "integer", "boolean", "object", "array", "null"];

    /// <summary>
    /// The types a schema names: the <c>type</c> string, or the strings of a <c>type</c> array; empty
    /// when there is no <c>type</c>. Call only on checked schemas.
    /// </summary>
    public static List<string> Types(JsonElement schema)
    {
        var types = new List<string>(2);
        if (!schema.TryGetProperty("type", out JsonElement type))
        {
            return types;
        }

        if (type.ValueKind == JsonValueKind.String)
        {
            types.Add(type.GetString()!);
        }
        else if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in type.EnumerateArray())
            {
                types.Add(item.GetString()!);
            }
        }

        return types;
    }

    /// <summary>
    /// Resolves a local reference: <c>#</c> (the root) or a JSON pointer such as <c>#/$defs/Name</c>
    /// (<c>~1</c> and <c>~0</c> unescaped). Other references do not resolve.
    /// </summary>
    public static bool TryResolveRef(JsonElement root, string reference, out JsonElement target)
    {
        target = root;
        if (reference == "#")
        {
            return true;
        }

        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (string raw in reference[2..].Split('/'))
        {
            string segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (target.ValueKind == JsonValueKind.Object && target.TryGetProperty(segment, out JsonElement child))
            {
                target = child;
            }
            else if (target.ValueKind == JsonValueKind.Array
                && int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int index)
                && index < target.GetArrayLength())
            {
                target = target[index];
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads an optional number keyword.</summary>
    public static double? Number(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    /// <summary>Reads an optional non-negative whole-number keyword such as <c>minItems</c>.</summary>
    public static int? Count(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out JsonElement value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int count)
            ? count
            : null;

    /// <summary>Reads an optional string keyword.</summary>
    public static string? Text(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
