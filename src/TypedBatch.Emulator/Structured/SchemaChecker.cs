using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// Checks that a JSON schema uses only what <see cref="JsonSchemaFaker"/> can honour, and with
/// <c>strict: true</c> also the rules of OpenAI strict mode (object root, <c>additionalProperties:
/// false</c> and every property required on every object). Problems are reported the way the
/// real service words them: <c>In context=('properties', 'x'), ...</c>.
/// </summary>
internal sealed class SchemaChecker
{
    private const int MaxEnumValues = 1000;

    // Keywords whose meaning the faker cannot honour (and that strict mode rejects).
    private static readonly string[] Unsupported =
        ["allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas", "oneOf", "patternProperties"];

    private readonly JsonElement _root;
    private readonly bool _strict;
    private readonly List<string> _context = [];

    private SchemaChecker(JsonElement root, bool strict)
    {
        _root = root;
        _strict = strict;
    }

    /// <summary>Returns the first problem of a schema, or <see langword="null"/> when it can be generated from.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="strict">Whether OpenAI's strict-mode rules apply as well.</param>
    public static string? FindProblem(JsonElement schema, bool strict)
    {
        var checker = new SchemaChecker(schema, strict);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return "In context=(), schema must be a JSON object";
        }

        if (strict && (!schema.TryGetProperty("type", out JsonElement type) || !type.ValueEquals("object")))
        {
            string got = schema.TryGetProperty("type", out type) ? type.GetRawText() : "None";
            return $"In context=(), schema must be a JSON Schema of 'type: \"object\"', got 'type: {got}'";
        }

        return checker.Check(schema);
    }

    private string? Check(JsonElement node)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            return Problem("schema must be a JSON object");
        }

        foreach (string keyword in Unsupported)
        {
            if (node.TryGetProperty(keyword, out _))
            {
                return Problem($"'{keyword}' is not permitted");
            }
        }

        return CheckType(node, out List<string>? types)
            ?? CheckRef(node)
            ?? CheckEnum(node)
            ?? CheckChildren(node, "anyOf", isArray: true)
            ?? CheckChildren(node, "$defs", isArray: false)
            ?? CheckChildren(node, "definitions", isArray: false)
            ?? CheckObject(node, types)
            ?? CheckArray(node)
            ?? CheckNumbers(node, types)
            ?? CheckString(node);
    }

    private string? CheckType(JsonElement node, out List<string> types)
    {
        types = [];
        if (!node.TryGetProperty("type", out JsonElement type))
        {
            return null;
        }

        List<JsonElement> items = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().ToList() : [type];
        if (items.Count == 0)
        {
            return Problem("'type' must not be an empty array");
        }

        foreach (JsonElement item in items)
        {
            string name = item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText();
            if (item.ValueKind != JsonValueKind.String || Array.IndexOf(SchemaReading.KnownTypes, name) < 0)
            {
                return Problem($"'{name}' is not a valid type; expected one of {string.Join(", ", SchemaReading.KnownTypes)}");
            }

            if (types.Contains(name))
            {
                return Problem($"'type' lists '{name}' twice");
            }

            types.Add(name);
        }

        return null;
    }

    private string? CheckRef(JsonElement node)
    {
        if (!node.TryGetProperty("$ref", out JsonElement reference))
        {
            return null;
        }

        if (reference.ValueKind != JsonValueKind.String)
        {
            return Problem("'$ref' must be a string");
        }

        string text = reference.GetString()!;
        if (!SchemaReading.TryResolveRef(_root, text, out JsonElement target))
        {
            return Problem($"reference '{text}' cannot be resolved; use '#' or '#/$defs/Name'");
        }

        return target.ValueKind == JsonValueKind.Object ? null : Problem($"reference '{text}' does not point to a schema");
    }

    private string? CheckEnum(JsonElement node)
    {
        if (!node.TryGetProperty("enum", out JsonElement values))
        {
            return null;
        }

        return values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0
            ? Problem("'enum' must be a non-empty array")
            : values.GetArrayLength() > MaxEnumValues
                ? Problem($"'enum' has {values.GetArrayLength()} values, more than the {MaxEnumValues} allowed")
                : null;
    }

    private string? CheckChildren(JsonElement node, string keyword, bool isArray)
    {
        if (!node.TryGetProperty(keyword, out JsonElement children))
        {
            return null;
        }

        if (isArray ? children.ValueKind != JsonValueKind.Array || children.GetArrayLength() == 0 : children.ValueKind != JsonValueKind.Object)
        {
            return Problem(isArray ? $"'{keyword}' must be a non-empty array of schemas" : $"'{keyword}' must be an object of schemas");
        }

        if (isArray)
        {
            int index = 0;
            foreach (JsonElement child in children.EnumerateArray())
            {
                if (Nested(child, keyword, index.ToString(CultureInfo.InvariantCulture)) is { } problem)
                {
                    return problem;
                }

                index++;
            }

            return null;
        }

        foreach (JsonProperty child in children.EnumerateObject())
        {
            if (Nested(child.Value, keyword, child.Name) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private string? CheckObject(JsonElement node, List<string> types)
    {
        bool hasProperties = node.TryGetProperty("properties", out JsonElement properties);
        if (hasProperties && properties.ValueKind != JsonValueKind.Object)
        {
            return Problem("'properties' must be an object");
        }

        if (CheckChildren(node, "properties", isArray: false) is { } childProblem)
        {
            return childProblem;
        }

        List<string> names = hasProperties ? properties.EnumerateObject().Select(static p => p.Name).ToList() : [];
        var required = new List<string>();
        if (node.TryGetProperty("required", out JsonElement requiredList))
        {
            if (requiredList.ValueKind != JsonValueKind.Array || requiredList.EnumerateArray().Any(static r => r.ValueKind != JsonValueKind.String))
            {
                return Problem("'required' must be an array of strings");
            }

            required.AddRange(requiredList.EnumerateArray().Select(static r => r.GetString()!));
            if (required.FirstOrDefault(r => !names.Contains(r)) is { } extra)
            {
                return Problem($"'required' names '{extra}', which is not in 'properties'");
            }
        }

        bool isObject = types.Contains("object") || (types.Count == 0 && hasProperties);
        node.TryGetProperty("additionalProperties", out JsonElement additional);
        if (additional.ValueKind == JsonValueKind.Object && Nested(additional, "additionalProperties") is { } additionalProblem)
        {
            return additionalProblem;
        }

        if (!_strict || !isObject)
        {
            return null;
        }

        if (additional.ValueKind != JsonValueKind.False)
        {
            return Problem("'additionalProperties' is required to be supplied and to be false");
        }

        var missing = names.Where(n => !required.Contains(n)).ToList();
        return missing.Count == 0
            ? null
            : Problem($"'required' is required to be supplied and to be an array including every key in properties. Missing '{missing[0]}'");
    }

    private string? CheckArray(JsonElement node)
    {
        if (node.TryGetProperty("items", out JsonElement items) && Nested(items, "items") is { } problem)
        {
            return problem;
        }

        return CheckCounts(node, "minItems", "maxItems");
    }

    private string? CheckNumbers(JsonElement node, List<string> types)
    {
        foreach (string keyword in (string[])["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"])
        {
            if (node.TryGetProperty(keyword, out JsonElement bound)
                && bound.ValueKind is not (JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
            {
                return Problem($"'{keyword}' must be a number");
            }
        }

        var range = NumericRange.Of(node);
        bool wantsNumbers = types.Contains("number") || types.Contains("integer");
        if (wantsNumbers && !types.Contains("number") && range.IntegerBounds() is null)
        {
            return Problem("no integer lies between 'minimum' and 'maximum'");
        }

        return wantsNumbers && !range.HasNumbers() ? Problem("'minimum' is greater than 'maximum'") : null;
    }

    private string? CheckString(JsonElement node)
    {
        if (node.TryGetProperty("format", out JsonElement format) && format.ValueKind != JsonValueKind.String)
        {
            return Problem("'format' must be a string");
        }

        if (node.TryGetProperty("pattern", out JsonElement pattern))
        {
            if (pattern.ValueKind != JsonValueKind.String)
            {
                return Problem("'pattern' must be a string");
            }

            try
            {
                _ = new Regex(pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException)
            {
                return Problem($"'pattern' {pattern.GetRawText()} is not a valid regular expression");
            }
        }

        return CheckCounts(node, "minLength", "maxLength");
    }

    private string? CheckCounts(JsonElement node, string minKeyword, string maxKeyword)
    {
        foreach (string keyword in (string[])[minKeyword, maxKeyword])
        {
            if (node.TryGetProperty(keyword, out JsonElement value)
                && (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int count) || count < 0))
            {
                return Problem($"'{keyword}' must be a non-negative whole number");
            }
        }

        return SchemaReading.Count(node, minKeyword) > SchemaReading.Count(node, maxKeyword)
            ? Problem($"'{minKeyword}' is greater than '{maxKeyword}'")
            : null;
    }

    private string? Nested(JsonElement child, params string[] segments)
    {
        _context.AddRange(segments);
        string? problem = Check(child);
        _context.RemoveRange(_context.Count - segments.Length, segments.Length);
        return problem;
    }

    private string Problem(string text)
    {
        var context = new StringBuilder("In context=(");
        context.AppendJoin(", ", _context.Select(static c => "'" + c + "'"));
        if (_context.Count == 1)
        {
            context.Append(',');
        }

        return context.Append("), ").Append(text).ToString();
    }
}
