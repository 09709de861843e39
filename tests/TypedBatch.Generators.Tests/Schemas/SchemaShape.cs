using System.Text.Json;
using System.Text.Json.Nodes;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>Whose schema is being read: the two dialects differ in how they write references and a few keywords.</summary>
internal enum SchemaDialect
{
    /// <summary>Ours: <c>"#"</c> and <c>"#/$defs/Name"</c> references, strict-mode keywords only.</summary>
    Builder,

    /// <summary>System.Text.Json's <c>JsonSchemaExporter</c>: JSON-pointer references to a type's first occurrence.</summary>
    Exporter,
}

/// <summary>
/// The meaning of one schema node, with the spelling differences between the dialects taken out (see the header of
/// <see cref="ExporterAgreementTests"/> for each one). Recursive schemas give a cyclic graph of shapes.
/// </summary>
internal sealed class Shape
{
    // A view of another shape (a nullable use, or a use with its own description) reads through to it, so that a view
    // made while its target is still being read (a cycle) sees the finished target.
    private readonly Shape? _basis;
    private readonly bool _addsNull;
    private string? _description;
    private readonly SortedSet<string> _types = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _required = new(StringComparer.Ordinal);
    private readonly List<Shape> _variants = [];
    private readonly SortedSet<string> _otherKeywords = new(StringComparer.Ordinal);
    private string? _format;
    private SortedSet<string>? _enum;
    private SortedDictionary<string, Shape>? _properties;
    private bool? _additionalProperties;
    private Shape? _items;

    public Shape()
    {
    }

    private Shape(Shape basis, bool addsNull, string? description)
    {
        _basis = basis;
        _addsNull = addsNull;
        _description = description;
    }

    public IReadOnlySet<string> Types => _basis is null ? _types
        : _addsNull ? new SortedSet<string>(_basis.Types.Append("null"), StringComparer.Ordinal)
        : _basis.Types;

    public string? Format => _basis is null ? _format : _basis.Format;

    /// <summary>The allowed values as JSON text (<c>"Red"</c>, <c>null</c>), or null when there is no enum.</summary>
    public IReadOnlySet<string>? Enum => _basis is null ? _enum : _basis.Enum;

    public string? Description => _basis is null || _description is not null ? _description : _basis.Description;

    public IReadOnlyDictionary<string, Shape>? Properties => _basis is null ? _properties : _basis.Properties;

    public IReadOnlySet<string> Required => _basis is null ? _required : _basis.Required;

    /// <summary>The value of <c>additionalProperties</c>, or null when absent.</summary>
    public bool? AdditionalProperties => _basis is null ? _additionalProperties : _basis.AdditionalProperties;

    public Shape? Items => _basis is null ? _items : _basis.Items;

    /// <summary>The object branches of a polymorphic <c>anyOf</c>, in declaration order.</summary>
    public IReadOnlyList<Shape> Variants => _basis is null ? _variants : _basis.Variants;

    /// <summary>Keywords neither dialect is expected to write; any of them is a difference.</summary>
    public IReadOnlySet<string> OtherKeywords => _basis is null ? _otherKeywords : _basis.OtherKeywords;

    public bool IsObject => Types.Contains("object") && Variants.Count == 0;

    /// <summary>This shape with "null" allowed too.</summary>
    public Shape OrNull() => new(this, addsNull: true, description: null);

    /// <summary>This shape with another description.</summary>
    public Shape Described(string description) => new(this, addsNull: false, description);

    /// <summary>Reads a whole schema document.</summary>
    public static Shape Read(JsonNode document, SchemaDialect dialect) => new ShapeReader(document, dialect).Read(document);

    private sealed class ShapeReader(JsonNode document, SchemaDialect dialect)
    {
        private readonly Dictionary<JsonNode, Shape> _read = new(ReferenceEqualityComparer.Instance);

        public Shape Read(JsonNode? node)
        {
            if (node is not JsonObject schema)
            {
                throw new FormatException($"A schema must be an object, not {node?.ToJsonString() ?? "null"}.");
            }

            if (_read.TryGetValue(schema, out Shape? known))
            {
                return known;
            }

            if (schema["$ref"] is JsonNode reference)
            {
                // A description beside a reference describes the use, not the type.
                Shape target = Read(Resolve(reference.GetValue<string>()));
                if (schema["description"] is JsonNode description)
                {
                    target = target.Described(description.GetValue<string>());
                }

                _read[schema] = target;
                return target;
            }

            var shape = new Shape();
            _read[schema] = shape; // before the children, so a cycle finds it
            foreach ((string keyword, JsonNode? value) in schema)
            {
                switch (keyword)
                {
                    case "type":
                        AddTypes(shape, value!);
                        break;
                    case "format":
                        // Transform: strict mode has no "uri" format, so the builder writes none for Uri.
                        string format = value!.GetValue<string>();
                        shape._format = dialect == SchemaDialect.Exporter && format == "uri" ? null : format;
                        break;
                    case "enum":
                        AddEnum(shape, value!.AsArray());
                        break;
                    case "const":
                        // Transform: the exporter writes a discriminator as const; the builder as a one-value enum.
                        AddEnum(shape, [value?.DeepClone()]);
                        break;
                    case "description":
                        shape._description = value!.GetValue<string>();
                        break;
                    case "properties":
                        shape._properties = new SortedDictionary<string, Shape>(StringComparer.Ordinal);
                        foreach ((string name, JsonNode? property) in value!.AsObject())
                        {
                            shape._properties.Add(name, Read(property));
                        }

                        break;
                    case "required":
                        shape._required.UnionWith(value!.AsArray().Select(n => n!.GetValue<string>()));
                        break;
                    case "additionalProperties":
                        shape._additionalProperties = value!.GetValue<bool>();
                        break;
                    case "items":
                        shape._items = Read(value);
                        break;
                    case "anyOf":
                        break; // after the other keywords, which it may have to merge with
                    case "$defs":
                        break; // reached through references
                    case "default" when dialect == SchemaDialect.Exporter:
                        break; // Transform: strict mode has no defaults; every property is required instead.
                    default:
                        shape._otherKeywords.Add(keyword);
                        break;
                }
            }

            if (schema["anyOf"] is JsonArray anyOf)
            {
                return ReadAnyOf(schema, shape, anyOf);
            }

            return shape;
        }

        private Shape ReadAnyOf(JsonObject schema, Shape shape, JsonArray anyOf)
        {
            var branches = anyOf.Select(Read).ToList();
            bool hasNull = branches.RemoveAll(b => b.Types.SetEquals(["null"]) && b.Properties is null && b.Enum is null) > 0;
            if (branches.Count == 1 && hasNull && shape.Types.Count == 0 && shape.Properties is null)
            {
                // Transform: the builder writes a nullable object as anyOf [object, null]; the exporter as type [object, null].
                Shape nullable = branches[0].OrNull();
                if (shape.Description is not null)
                {
                    nullable = nullable.Described(shape.Description);
                }

                _read[schema] = nullable;
                return nullable;
            }

            // Polymorphism. Transform: the exporter puts the object type and the discriminator's "required" on the
            // anyOf node and leaves them out of the branches; the builder writes every branch as a complete object.
            foreach (Shape branch in branches)
            {
                if (branch.Types.Count == 0)
                {
                    branch._types.UnionWith(shape.Types.Where(t => t != "null"));
                }

                branch._required.UnionWith(shape.Required);
            }

            shape._required.Clear();
            shape._types.Add("object");
            if (hasNull)
            {
                shape._types.Add("null");
            }

            shape._variants.AddRange(branches);
            return shape;
        }

        private JsonNode Resolve(string reference)
        {
            if (reference == "#")
            {
                return document;
            }

            if (!reference.StartsWith("#/", StringComparison.Ordinal))
            {
                throw new FormatException($"Unsupported reference '{reference}'.");
            }

            string[] tokens = reference[2..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
            if (dialect == SchemaDialect.Builder && (tokens.Length != 2 || tokens[0] != "$defs"))
            {
                throw new FormatException($"The builder refers only to \"#\" or \"#/$defs/Name\", not '{reference}'.");
            }

            JsonNode? current = document;
            foreach (string token in tokens)
            {
                current = current switch
                {
                    JsonObject obj => obj[token],
                    JsonArray array => array[int.Parse(token, System.Globalization.CultureInfo.InvariantCulture)],
                    _ => null,
                };
            }

            return current ?? throw new FormatException($"The reference '{reference}' does not resolve.");
        }

        private static void AddTypes(Shape shape, JsonNode type)
        {
            if (type is JsonArray types)
            {
                shape._types.UnionWith(types.Select(t => t!.GetValue<string>()));
            }
            else
            {
                shape._types.Add(type.GetValue<string>());
            }
        }

        private static void AddEnum(Shape shape, JsonArray values)
        {
            shape._enum = new SortedSet<string>(values.Select(v => v?.ToJsonString() ?? "null"), StringComparer.Ordinal);

            // Transform: the exporter leaves "type" off enums; it follows from the values.
            foreach (JsonNode? value in values)
            {
                shape._types.Add(value is null ? "null" : value.GetValueKind() switch
                {
                    JsonValueKind.String => "string",
                    JsonValueKind.Number => "integer",
                    _ => value.GetValueKind().ToString(),
                });
            }
        }
    }
}

/// <summary>
/// Compares our shape with the exporter's coinductively: a pair of nodes already under comparison is assumed to agree,
/// so two recursive schemas agree however far each unrolls its cycle before referring back.
/// </summary>
internal static class ShapeComparer
{
    public static IReadOnlyList<string> Differences(Shape ours, Shape exporter)
    {
        var differences = new List<string>();
        Compare(ours, exporter, "$", differences, new HashSet<(Shape, Shape)>());
        return differences;
    }

    private static void Compare(Shape ours, Shape theirs, string path, List<string> differences, HashSet<(Shape, Shape)> assumed)
    {
        if (!assumed.Add((ours, theirs)))
        {
            return;
        }

        void Differ(string what, object? mine, object? exporter)
            => differences.Add($"{path}: {what} is {Show(mine)} in ours but {Show(exporter)} in the exporter's");

        if (!ours.Types.SetEquals(theirs.Types))
        {
            Differ("type", ours.Types, theirs.Types);
        }

        if (ours.Format != theirs.Format)
        {
            Differ("format", ours.Format, theirs.Format);
        }

        if (!SameSet(ours.Enum, theirs.Enum))
        {
            Differ("enum", ours.Enum, theirs.Enum);
        }

        if (ours.Description != theirs.Description)
        {
            Differ("description", ours.Description, theirs.Description);
        }

        if (ours.OtherKeywords.Count > 0 || theirs.OtherKeywords.Count > 0)
        {
            Differ("unexpected keywords", ours.OtherKeywords, theirs.OtherKeywords);
        }

        CompareObject(ours, theirs, path, differences, assumed, Differ);

        if ((ours.Items is null) != (theirs.Items is null))
        {
            Differ("items", ours.Items is null ? "absent" : "present", theirs.Items is null ? "absent" : "present");
        }
        else if (ours.Items is not null)
        {
            Compare(ours.Items, theirs.Items!, path + "[]", differences, assumed);
        }

        if (ours.Variants.Count != theirs.Variants.Count)
        {
            Differ("the number of anyOf branches", ours.Variants.Count, theirs.Variants.Count);
        }
        else
        {
            for (int i = 0; i < ours.Variants.Count; i++)
            {
                Compare(ours.Variants[i], theirs.Variants[i], $"{path}|{i}", differences, assumed);
            }
        }
    }

    private static void CompareObject(Shape ours, Shape theirs, string path, List<string> differences, HashSet<(Shape, Shape)> assumed, Action<string, object?, object?> differ)
    {
        if (!ours.Types.Contains("object") || ours.Variants.Count > 0)
        {
            return;
        }

        // Transform: strict mode closes every object and requires every property.
        if (ours.AdditionalProperties != false)
        {
            differ("additionalProperties", ours.AdditionalProperties, "(not compared)");
        }

        IReadOnlyDictionary<string, Shape> mine = ours.Properties ?? new SortedDictionary<string, Shape>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, Shape> exporter = theirs.Properties ?? new SortedDictionary<string, Shape>(StringComparer.Ordinal);
        if (!ours.Required.SetEquals(mine.Keys))
        {
            differ("required (strict mode needs every property)", ours.Required, mine.Keys);
        }

        if (!theirs.Required.IsSubsetOf(mine.Keys))
        {
            differ("the exporter's required properties", mine.Keys, theirs.Required);
        }

        if (!mine.Keys.SequenceEqual(exporter.Keys))
        {
            differ("the property set", mine.Keys, exporter.Keys);
        }

        foreach ((string name, Shape property) in mine)
        {
            if (exporter.TryGetValue(name, out Shape? other))
            {
                Compare(property, other, path + "." + name, differences, assumed);
            }
        }
    }

    private static bool SameSet(IReadOnlySet<string>? a, IReadOnlySet<string>? b) => a is null ? b is null : b is not null && a.SetEquals(b);

    private static string Show(object? value) => value switch
    {
        null => "(none)",
        string text => text,
        IEnumerable<string> items => "[" + string.Join(", ", items) + "]",
        _ => value.ToString() ?? string.Empty,
    };
}
