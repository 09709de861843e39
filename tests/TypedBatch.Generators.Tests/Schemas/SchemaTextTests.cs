using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>
/// The exact schema text, where only text shows it: key order (strict mode reads properties in schema order), and a
/// member's description replacing its type's in place rather than repeating the key.
/// </summary>
public sealed class SchemaTextTests
{
    [Fact]
    public void Member_description_replaces_the_inline_type_description_in_place()
    {
        SchemaResult result = SampleAssembly.Samples.Build(SchemaSamples.Find("Person"));

        result.Json.Should().Be("""
            {"type":"object","properties":{"Name":{"type":"string"},"Age":{"type":"integer"},"Home":{"type":"object","description":"Where they live","properties":{"Street":{"type":"string"},"City":{"type":"string"},"PostCode":{"type":["string","null"]}},"required":["Street","City","PostCode"],"additionalProperties":false},"Work":{"anyOf":[{"type":"object","description":"A postal address","properties":{"Street":{"type":"string"},"City":{"type":"string"},"PostCode":{"type":["string","null"]}},"required":["Street","City","PostCode"],"additionalProperties":false},{"type":"null"}]}},"required":["Name","Age","Home","Work"],"additionalProperties":false}
            """);
    }

    [Fact]
    public void Member_description_is_added_last_when_its_type_has_none()
    {
        SchemaResult result = SampleAssembly.Samples.Build(SchemaSamples.Find("Renamed"));

        result.Json.Should().Contain("\"Age\":{\"type\":\"integer\",\"description\":\"Age in years\"}");
    }
}
