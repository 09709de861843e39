using System.Buffers;
using System.Text;
using System.Text.Json;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// Writes a compact JSON value that is valid against a schema checked by <see cref="SchemaChecker"/>,
/// choosing every free value from a <see cref="SeededRandom"/>: the same seed always gives the same value.
/// </summary>
/// <remarks>
/// Every listed property is written; a nullable type is null one time in four; arrays get 1 to 3
/// items within <c>minItems</c>/<c>maxItems</c>. Recursion goes through <c>$ref</c>: once a
/// reference has been re-entered <see cref="RecursionGuard"/> times on the current path, the faker
/// prefers null, null-allowing <c>anyOf</c> branches and the fewest array items, so generation ends.
/// </remarks>
internal sealed class JsonSchemaFaker
{
    /// <summary>Re-entries of a <c>$ref</c> already on the path after which the faker steers towards the end.</summary>
    public const int RecursionGuard = 3;

    // A schema that still nests this deep has no finite instance (a required recursion without an exit).
    private const int MaxNesting = 64;

    private readonly JsonElement _root;
    private readonly SeededRandom _random;
    private readonly List<string> _refPath = ["#"];
    private int _reentries;
    private int _nesting;

    private JsonSchemaFaker(JsonElement root, SeededRandom random)
    {
        _root = root;
        _random = random;
    }

    private bool Deep => _reentries >= RecursionGuard;

    /// <summary>Generates a value for <paramref name="schema"/> as compact JSON text.</summary>
    /// <exception cref="SchemaGenerationException">The schema has no finite instance.</exception>
    public static string Generate(JsonElement schema, SeededRandom random)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            new JsonSchemaFaker(schema, random).Write(writer, schema, "value");
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private void Write(Utf8JsonWriter writer, JsonElement node, string name)
    {
        if (++_nesting > MaxNesting)
        {
            throw new SchemaGenerationException(
                $"The schema has no finite instance: the recursion through '{_refPath[^1]}' has no null, empty-array or other exit.");
        }

        try
        {
            WriteNode(writer, node, name);
        }
        finally
        {
            _nesting--;
        }
    }

    private void WriteNode(Utf8JsonWriter writer, JsonElement node, string name)
    {
        if (SchemaReading.Text(node, "$ref") is { } reference)
        {
            WriteReference(writer, reference, name);
            return;
        }

        if (node.TryGetProperty("const", out JsonElement constant))
        {
            constant.WriteTo(writer);
            return;
        }

        if (node.TryGetProperty("enum", out JsonElement values))
        {
            var options = values.EnumerateArray().ToList();
            JsonElement chosen = Deep && options.Any(static o => o.ValueKind == JsonValueKind.Null)
                ? options.First(static o => o.ValueKind == JsonValueKind.Null)
                : options[_random.Next(options.Count)];
            chosen.WriteTo(writer);
            return;
        }

        if (node.TryGetProperty("anyOf", out JsonElement branches))
        {
            Write(writer, ChooseBranch(branches.EnumerateArray().ToList()), name);
            return;
        }

        switch (ChooseType(node))
        {
            case "object":
                WriteObject(writer, node);
                break;
            case "array":
                WriteArray(writer, node, name);
                break;
            case "string":
                writer.WriteStringValue(FakeScalars.String(node, name, _random));
                break;
            case "integer":
                writer.WriteNumberValue(FakeScalars.Integer(node, _random));
                break;
            case "number":
                writer.WriteNumberValue(FakeScalars.Number(node, _random));
                break;
            case "boolean":
                writer.WriteBooleanValue(_random.OneIn(2));
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private void WriteReference(Utf8JsonWriter writer, string reference, string name)
    {
        SchemaReading.TryResolveRef(_root, reference, out JsonElement target);
        bool reentry = _refPath.Contains(reference);
        _reentries += reentry ? 1 : 0;
        _refPath.Add(reference);
        try
        {
            Write(writer, target, name);
        }
        finally
        {
            _refPath.RemoveAt(_refPath.Count - 1);
            _reentries -= reentry ? 1 : 0;
        }
    }

    // Deep in a recursion: a null branch, else a branch that allows null, else a scalar one, else the first.
    private JsonElement ChooseBranch(List<JsonElement> branches)
    {
        if (!Deep)
        {
            return branches[_random.Next(branches.Count)];
        }

        Func<JsonElement, bool>[] preferences =
        [
            static b => SchemaReading.Types(b) is ["null"],
            static b => SchemaReading.Types(b).Contains("null"),
            static b => !b.TryGetProperty("$ref", out _) && IsScalar(b),
        ];
        foreach (Func<JsonElement, bool> preferred in preferences)
        {
            foreach (JsonElement branch in branches)
            {
                if (preferred(branch))
                {
                    return branch;
                }
            }
        }

        return branches[0];
    }

    private static bool IsScalar(JsonElement schema)
    {
        List<string> types = SchemaReading.Types(schema);
        return schema.TryGetProperty("enum", out _) || schema.TryGetProperty("const", out _)
            || (types.Count > 0 && !types.Contains("object") && !types.Contains("array"));
    }

    private string ChooseType(JsonElement node)
    {
        List<string> types = SchemaReading.Types(node);
        if (types.Count == 0)
        {
            return node.TryGetProperty("properties", out _) ? "object" : node.TryGetProperty("items", out _) ? "array" : "string";
        }

        var nonNull = types.Where(static t => t != "null").ToList();
        if (nonNull.Count == 0 || (nonNull.Count < types.Count && (Deep || _random.OneIn(4))))
        {
            return "null";
        }

        return nonNull[_random.Next(nonNull.Count)];
    }

    private void WriteObject(Utf8JsonWriter writer, JsonElement node)
    {
        writer.WriteStartObject();
        if (node.TryGetProperty("properties", out JsonElement properties))
        {
            foreach (JsonProperty property in properties.EnumerateObject())
            {
                writer.WritePropertyName(property.Name);
                Write(writer, property.Value, property.Name);
            }
        }

        writer.WriteEndObject();
    }

    private void WriteArray(Utf8JsonWriter writer, JsonElement node, string name)
    {
        int min = SchemaReading.Count(node, "minItems") ?? 0;
        int? max = SchemaReading.Count(node, "maxItems");
        int low = Math.Min(Math.Max(min, 1), max ?? int.MaxValue);
        int high = Math.Max(low, Math.Min(max ?? 3, Math.Max(min, 3)));
        int count = Deep ? min : (int)_random.NextInRange(low, high);
        bool hasItems = node.TryGetProperty("items", out JsonElement items);

        writer.WriteStartArray();
        for (int i = 0; i < count; i++)
        {
            if (hasItems)
            {
                Write(writer, items, name);
            }
            else
            {
                writer.WriteStringValue(name + "-" + _random.HexWord());
            }
        }

        writer.WriteEndArray();
    }
}
