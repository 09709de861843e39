// Agreement between JsonSchemaBuilder (compile time, strict mode) and System.Text.Json's JsonSchemaExporter (run time,
// under the options StructuredOutput parses with). Both schemas are read into Shapes (SchemaShape.cs) and compared:
// per object the property names, per property the JSON type set (with "null"), enum values, string format,
// description, array items and anyOf branches, following references on both sides with a cycle guard.
//
// Differences that are deliberate strict-mode transforms, and how the comparison accounts for each:
//  1. additionalProperties: false on every object. The exporter writes none (open objects); the comparison demands
//     false on our side and does not look at the exporter's.
//  2. Every property is in "required". The exporter requires only constructor parameters without a default (and
//     `required` members); the comparison demands required == all properties on our side and checks that the
//     exporter's required set is a subset of it.
//  3. Optional means nullable, never absent: the exporter writes "default" for optional constructor parameters
//     (Retries = 3); strict mode has no defaults, so the keyword is ignored on the exporter's side.
//  4. A nullable object is anyOf [object, {"type":"null"}] on our side, type ["object","null"] on the exporter's;
//     both read as the object's shape with "null" in its type set.
//  5. Enums carry "type": "string" (or ["string","null"]) on our side; the exporter writes only "enum". The type set
//     is inferred from the enum values on the exporter's side.
//  6. Polymorphism: we write one complete, closed object per [JsonDerivedType] in anyOf, the discriminator a required
//     one-value enum property. The exporter writes "type" and required: ["$type"] on the anyOf node, and the
//     discriminator as "const" in each branch. The comparison turns const into a one-value enum and hands the anyOf
//     node's type and required down to the branches.
//  7. Recursion: we write recursive types once in $defs and refer to them with "#/$defs/Name" (or "#" for the root);
//     the exporter refers with a JSON pointer to the type's first occurrence, sometimes after unrolling a level.
//     The comparison is coinductive, so how far either side unrolls a cycle does not matter.
//  8. format "uri": strict mode allows only date-time, date, time, duration, email, hostname, ipv4, ipv6 and uuid,
//     so the builder writes no format for Uri; the exporter's "uri" is read as no format.
//  9. A non-object root (int, string, enum, list, bool?, a polymorphic base, T?) is wrapped in
//     {"type":"object","properties":{"value":…},"required":["value"],"additionalProperties":false}; the comparison
//     checks that wrapper exactly and compares "value" with the exporter's root.
// Not strict-mode transforms, but differences of what each side can see:
// 10. A nullable reference-type root (Person?): the runtime type carries no annotation and the exporter treats
//     null-oblivious types as non-nullable, so "null" is added to the exporter's root for a root declared T?.
// 11. Descriptions: the exporter writes none by default, so the test adds them from [Description] through
//     TransformSchemaNode, the documented way; the member's description wins over its type's.
// 12. Property order is not compared: System.Text.Json lists a derived type's own properties before inherited ones,
//     the builder inherited ones first. Strict mode and the parser do not care about order.
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

public sealed class ExporterAgreementTests
{
    private static SampleAssembly Samples => SampleAssembly.Samples;

    public static TheoryData<string> Ids() => SchemaSamples.Ids();

    [Theory]
    [MemberData(nameof(Ids))]
    public void Builder_schema_describes_what_System_Text_Json_reads(string id)
    {
        SchemaCase sample = SchemaSamples.Find(id);
        SchemaResult result = Samples.Build(sample);
        result.Errors.Should().BeEmpty();

        Shape ours = OursToCompare(result);
        Shape exporter = ExporterToCompare(sample);

        ShapeComparer.Differences(ours, exporter).Should().BeEmpty("the strict schema must describe the JSON the runtime parses");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Non_object_roots_and_only_those_are_wrapped_in_value(string id)
    {
        SchemaCase sample = SchemaSamples.Find(id);
        SchemaResult result = Samples.Build(sample);

        bool exporterRootIsPlainObject = Shape.Read(Samples.Export(sample), SchemaDialect.Exporter) is { IsObject: true } root && !root.Types.Contains("null");
        bool declaredNullable = Samples.Symbol(sample).NullableAnnotation == NullableAnnotation.Annotated;
        result.Wrapped.Should().Be(!exporterRootIsPlainObject || declaredNullable);
    }

    // --- the comparison itself, so that agreement cannot be vacuous ------------------------------------------------
    [Fact]
    public void Comparison_reports_a_property_we_leave_out()
    {
        IReadOnlyList<string> differences = CompareEdited("Person", ours => ours["properties"]!.AsObject().Remove("Age"));

        differences.Should().ContainSingle(d => d.Contains("the property set", StringComparison.Ordinal) && d.Contains("Age", StringComparison.Ordinal));
    }

    [Fact]
    public void Comparison_reports_wrong_nullability()
    {
        IReadOnlyList<string> differences = CompareEdited("Nullables", ours => ours["properties"]!["Count"]!["type"] = "integer");

        differences.Should().ContainSingle().Which.Should().StartWith("$.Count: type");
    }

    [Fact]
    public void Comparison_reports_a_nullable_object_written_as_not_nullable()
    {
        IReadOnlyList<string> differences = CompareEdited("Person", ours => ours["properties"]!["Work"] = ours["properties"]!["Work"]!["anyOf"]![0]!.DeepClone());

        differences.Should().ContainSingle().Which.Should().StartWith("$.Work: type");
    }

    [Fact]
    public void Comparison_reports_a_wrong_enum_name()
    {
        IReadOnlyList<string> differences = CompareEdited("Paint", ours => ours["properties"]!["Priority"]!["enum"]![1] = "Medium");

        differences.Should().ContainSingle().Which.Should().StartWith("$.Priority: enum");
    }

    [Fact]
    public void Comparison_reports_a_wrong_format()
    {
        IReadOnlyList<string> differences = CompareEdited("Moments", ours => ours["properties"]!["Day"]!["format"] = "date-time");

        differences.Should().ContainSingle().Which.Should().StartWith("$.Day: format");
    }

    [Fact]
    public void Comparison_reports_a_difference_inside_a_recursive_type()
    {
        IReadOnlyList<string> differences = CompareEdited("Department", ours => ours["$defs"]!["Employee"]!["properties"]!["Name"]!["type"] = "integer");

        differences.Should().ContainSingle().Which.Should().StartWith("$.Staff[].Name: type");
    }

    [Fact]
    public void Comparison_reports_a_difference_inside_a_polymorphic_branch()
    {
        IReadOnlyList<string> differences = CompareEdited("Drawing", ours => ours["properties"]!["Main"]!["anyOf"]![1]!["properties"]!["$type"]!["enum"]![0] = "box");

        differences.Should().ContainSingle().Which.Should().StartWith("$.Main|1.$type: enum");
    }

    [Fact]
    public void Comparison_reports_an_open_object_on_our_side()
    {
        IReadOnlyList<string> differences = CompareEdited("Address", ours => ours.AsObject().Remove("additionalProperties"));

        differences.Should().ContainSingle().Which.Should().StartWith("$: additionalProperties");
    }

    [Fact]
    public void Comparison_reports_a_property_missing_from_required()
    {
        IReadOnlyList<string> differences = CompareEdited("Address", ours => ours["required"]!.AsArray().RemoveAt(2));

        differences.Should().ContainSingle().Which.Should().StartWith("$: required");
    }

    [Fact]
    public void Comparison_reports_an_unexpected_keyword()
    {
        IReadOnlyList<string> differences = CompareEdited("Address", ours => ours["properties"]!["City"]!["minLength"] = 1);

        differences.Should().ContainSingle().Which.Should().StartWith("$.City: unexpected keywords");
    }

    private static IReadOnlyList<string> CompareEdited(string type, Action<JsonNode> edit)
    {
        SchemaCase sample = SchemaSamples.Find(type);
        SchemaResult result = Samples.Build(sample);
        ShapeComparer.Differences(OursToCompare(result), ExporterToCompare(sample)).Should().BeEmpty("the unedited schemas agree");

        JsonNode ours = SchemaJson.Parse(result.Json);
        edit(ours);
        return ShapeComparer.Differences(Shape.Read(ours, SchemaDialect.Builder), ExporterToCompare(sample));
    }

    /// <summary>Our schema, through the wrapper of a non-object root (transform 9), which must be exactly that wrapper.</summary>
    private static Shape OursToCompare(SchemaResult result)
    {
        JsonNode document = SchemaJson.Parse(result.Json);
        var root = Shape.Read(document, SchemaDialect.Builder);
        if (!result.Wrapped)
        {
            return root;
        }

        root.Types.Should().Equal("object");
        root.Properties!.Keys.Should().Equal("value");
        root.Required.Should().Equal("value");
        root.AdditionalProperties.Should().BeFalse();
        root.Description.Should().BeNull();
        return root.Properties["value"];
    }

    /// <summary>The exporter's schema, with "null" added to a root declared as a nullable reference type (difference 10).</summary>
    private static Shape ExporterToCompare(SchemaCase sample)
    {
        var root = Shape.Read(Samples.Export(sample), SchemaDialect.Exporter);
        ITypeSymbol declared = Samples.Symbol(sample);
        if (declared.IsReferenceType && declared.NullableAnnotation == NullableAnnotation.Annotated)
        {
            root = root.OrNull();
        }

        return root;
    }
}

/// <summary>Parses schema text strictly: a duplicate key is an error, as it is for a strict-mode request.</summary>
internal static class SchemaJson
{
    public static JsonNode Parse(string json)
        => JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false })
            ?? throw new FormatException("The schema is null.");
}
