using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// Turns a good answer into valid JSON that does not fit its schema, for <c>[[wrong-shape]]</c>.
/// </summary>
/// <remarks>
/// For an object with required properties, the first required property gets a value of a type
/// its schema does not allow (a string for numbers, 12345 for strings, ...) or, when no such
/// value is sure to be wrong (enum, const, anyOf, untyped), is left out. An object without
/// required properties gets an extra property when <c>additionalProperties</c> is false; anything
/// else (and the json_object answer without a schema) becomes an array of the answer's values.
/// </remarks>
internal static class WrongShape
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Values tried in order; a value is used for a property whose schema allows none of its types.
    private static readonly (string[] Types, Func<JsonNode> Value)[] WrongValues =
    [
        (["string"], static () => JsonValue.Create("not-a-valid-value")),
        (["number", "integer"], static () => JsonValue.Create(12345)),
        (["boolean"], static () => JsonValue.Create(true)),
        (["array"], static () => new JsonArray()),
        (["object"], static () => new JsonObject()),
    ];

    /// <summary>The mis-shaped version of <paramref name="goodJson"/>.</summary>
    /// <param name="goodJson">An answer valid against <paramref name="schema"/>.</param>
    /// <param name="schema">The schema it was made for; <see langword="null"/> for a json_object answer without one.</param>
    public static string From(string goodJson, JsonElement? schema)
    {
        var node = JsonNode.Parse(goodJson);
        if (node is JsonObject obj && schema is { } root && Resolve(root, root) is var rootSchema)
        {
            List<string> required = rootSchema.TryGetProperty("required", out JsonElement list)
                ? list.EnumerateArray().Select(static r => r.GetString()!).Where(obj.ContainsKey).ToList()
                : [];
            if (required.Count > 0)
            {
                string name = required[0];
                JsonElement propertySchema = Resolve(root, rootSchema.GetProperty("properties").GetProperty(name));
                if (WrongValueFor(propertySchema) is { } wrong)
                {
                    obj[name] = wrong;
                }
                else
                {
                    obj.Remove(name);
                }

                return obj.ToJsonString(Compact);
            }

            if (rootSchema.TryGetProperty("additionalProperties", out JsonElement additional) && additional.ValueKind == JsonValueKind.False)
            {
                obj["unexpected_property"] = true;
                return obj.ToJsonString(Compact);
            }
        }

        JsonArray values = node is JsonObject answer
            ? new JsonArray(answer.Select(static p => p.Value?.DeepClone()).ToArray())
            : new JsonArray(node?.DeepClone(), node?.DeepClone());
        return values.ToJsonString(Compact);
    }

    private static JsonNode? WrongValueFor(JsonElement schema)
    {
        if (schema.TryGetProperty("enum", out _) || schema.TryGetProperty("const", out _) || schema.TryGetProperty("anyOf", out _))
        {
            return null;
        }

        List<string> types = SchemaReading.Types(schema);
        if (types.Count == 0)
        {
            return null;
        }

        foreach ((string[]? wrongTypes, Func<JsonNode>? value) in WrongValues)
        {
            if (!wrongTypes.Any(types.Contains))
            {
                return value();
            }
        }

        return null;
    }

    private static JsonElement Resolve(JsonElement root, JsonElement schema)
    {
        for (int hops = 0; hops < 32 && SchemaReading.Text(schema, "$ref") is { } reference; hops++)
        {
            SchemaReading.TryResolveRef(root, reference, out schema);
        }

        return schema;
    }
}
