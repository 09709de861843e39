using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>
/// OpenAI strict structured outputs, as /work/shared/WIRE.md states them, written independently of the builder:
/// <list type="bullet">
/// <item>the root is an object (not a union); the schema name matches <c>[a-zA-Z0-9_-]{1,64}</c>;</item>
/// <item>every object has <c>additionalProperties: false</c> and lists every property in <c>required</c>;</item>
/// <item>only the supported keywords; <c>allOf</c>, <c>not</c>, <c>if/then/else</c>, <c>dependent*</c>, <c>oneOf</c> and
/// <c>patternProperties</c> are named as unsupported;</item>
/// <item>types from string, number, integer, boolean, object, array, null; every schema says what it is (type, enum,
/// const, anyOf or $ref); an array has <c>items</c>;</item>
/// <item>string formats only date-time, date, time, duration, email, hostname, ipv4, ipv6, uuid;</item>
/// <item><c>$defs</c> only at the root, and every <c>$ref</c> is <c>"#"</c> or <c>"#/$defs/Name"</c> of a definition;</item>
/// <item>at most 5000 properties in all, 10 levels of object nesting (the root object is level 1; arrays and anyOf do not
/// add a level; a definition counts from level 1, since it is reached by reference), and 1000 enum values in all
/// (null not counted).</item>
/// </list>
/// </summary>
internal static partial class StrictModeValidator
{
    public const int MaxProperties = 5000;
    public const int MaxNesting = 10;
    public const int MaxEnumValues = 1000;

    private static readonly HashSet<string> Supported =
    [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "anyOf", "$defs", "$ref",
        "description", "format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minItems", "maxItems", "minLength", "maxLength",
    ];

    private static readonly HashSet<string> NamedUnsupported =
    [
        "allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas", "oneOf", "patternProperties",
    ];

    private static readonly HashSet<string> Types = ["string", "number", "integer", "boolean", "object", "array", "null"];

    private static readonly HashSet<string> Formats = ["date-time", "date", "time", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"];

    /// <summary>Every rule the schema and its name break; empty when strict mode accepts them.</summary>
    public static IReadOnlyList<string> Validate(string schemaJson, string name)
    {
        var problems = new List<string>();
        if (!SchemaName().IsMatch(name))
        {
            problems.Add($"the schema name '{name}' does not match [a-zA-Z0-9_-]{{1,64}}");
        }

        JsonNode root;
        try
        {
            root = SchemaJson.Parse(schemaJson);
        }
        catch (JsonException e)
        {
            problems.Add("the schema is not valid JSON: " + e.Message);
            return problems;
        }

        if (root is not JsonObject rootObject || !TypesOf(rootObject).SetEquals(["object"]) || rootObject.ContainsKey("anyOf"))
        {
            problems.Add("the root is not an object schema");
        }

        var walk = new Walk(root, problems);
        walk.Visit(root, "#", level: 1);
        if (root["$defs"] is JsonObject defs)
        {
            foreach ((string defName, JsonNode? definition) in defs)
            {
                walk.Visit(definition, "#/$defs/" + defName, level: 1);
            }
        }

        if (walk.Properties > MaxProperties)
        {
            problems.Add($"{walk.Properties} properties in all, more than {MaxProperties}");
        }

        if (walk.EnumValues > MaxEnumValues)
        {
            problems.Add($"{walk.EnumValues} enum values in all, more than {MaxEnumValues}");
        }

        if (walk.DeepestNesting > MaxNesting)
        {
            problems.Add($"objects nested {walk.DeepestNesting} levels deep, more than {MaxNesting}");
        }

        return problems;
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex SchemaName();

    private static HashSet<string> TypesOf(JsonObject schema) => schema["type"] switch
    {
        JsonArray types => types.Select(t => t?.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : "?").ToHashSet(),
        JsonValue type when type.GetValueKind() == JsonValueKind.String => [type.GetValue<string>()],
        null => [],
        _ => ["?"],
    };

    private sealed class Walk(JsonNode root, List<string> problems)
    {
        public int Properties { get; private set; }

        public int EnumValues { get; private set; }

        public int DeepestNesting { get; private set; }

        public void Visit(JsonNode? node, string path, int level)
        {
            if (node is not JsonObject schema)
            {
                problems.Add($"{path}: a schema must be an object");
                return;
            }

            foreach ((string keyword, _) in schema)
            {
                if (NamedUnsupported.Contains(keyword))
                {
                    problems.Add($"{path}: '{keyword}' is not supported in strict mode");
                }
                else if (!Supported.Contains(keyword))
                {
                    problems.Add($"{path}: unknown keyword '{keyword}'");
                }
                else if (keyword == "$defs" && path != "#")
                {
                    problems.Add($"{path}: $defs is allowed only at the root");
                }
            }

            HashSet<string> types = TypesOf(schema);
            foreach (string type in types.Where(t => !Types.Contains(t)))
            {
                problems.Add($"{path}: '{type}' is not a type");
            }

            if (types.Count == 0 && !schema.ContainsKey("enum") && !schema.ContainsKey("const") && !schema.ContainsKey("anyOf") && !schema.ContainsKey("$ref"))
            {
                problems.Add($"{path}: the schema does not say what it is (no type, enum, const, anyOf or $ref)");
            }

            if (schema["format"] is JsonNode format && !Formats.Contains(format.ToString()))
            {
                problems.Add($"{path}: the format '{format}' is not supported");
            }

            if (schema["$ref"] is JsonNode reference)
            {
                CheckReference(reference.ToString(), path);
            }

            if (schema["enum"] is JsonNode values)
            {
                if (values is not JsonArray { Count: > 0 } list)
                {
                    problems.Add($"{path}: enum must be a non-empty array");
                }
                else
                {
                    EnumValues += list.Count(v => v is not null);
                }
            }

            if (types.Contains("object") || schema.ContainsKey("properties"))
            {
                CheckObject(schema, path, level);
            }

            if (types.Contains("array"))
            {
                if (schema["items"] is null)
                {
                    problems.Add($"{path}: an array must have items");
                }
            }

            if (schema["items"] is JsonNode items)
            {
                Visit(items, path + "/items", level);
            }

            if (schema["anyOf"] is JsonNode anyOf)
            {
                if (anyOf is not JsonArray { Count: > 0 } branches)
                {
                    problems.Add($"{path}: anyOf must be a non-empty array");
                }
                else
                {
                    for (int i = 0; i < branches.Count; i++)
                    {
                        Visit(branches[i], $"{path}/anyOf/{i}", level);
                    }
                }
            }
        }

        private void CheckObject(JsonObject schema, string path, int level)
        {
            DeepestNesting = Math.Max(DeepestNesting, level);
            if (schema["additionalProperties"] is not JsonValue additional || additional.GetValueKind() != JsonValueKind.False)
            {
                problems.Add($"{path}: additionalProperties must be false");
            }

            var properties = schema["properties"] as JsonObject;
            if (properties is null)
            {
                problems.Add($"{path}: an object must list its properties");
                return;
            }

            HashSet<string> required = (schema["required"] as JsonArray)?.Select(r => r?.ToString() ?? string.Empty).ToHashSet() ?? [];
            foreach ((string name, JsonNode? property) in properties)
            {
                Properties++;
                if (!required.Contains(name))
                {
                    problems.Add($"{path}: '{name}' is not in required");
                }

                Visit(property, path + "/properties/" + name, level + 1);
            }

            foreach (string name in required.Where(r => !properties.ContainsKey(r)))
            {
                problems.Add($"{path}: required names '{name}', which is not a property");
            }
        }

        private void CheckReference(string reference, string path)
        {
            if (reference == "#")
            {
                return;
            }

            const string Prefix = "#/$defs/";
            if (!reference.StartsWith(Prefix, StringComparison.Ordinal) || root["$defs"]?[reference[Prefix.Length..]] is null)
            {
                problems.Add($"{path}: the reference '{reference}' does not resolve to \"#\" or a definition in $defs");
            }
        }
    }
}
