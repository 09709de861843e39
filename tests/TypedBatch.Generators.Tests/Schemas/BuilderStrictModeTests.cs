using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>Every schema the builder writes is one strict mode accepts, by the rules of <see cref="StrictModeValidator"/>.</summary>
public sealed class BuilderStrictModeTests
{
    public static TheoryData<string> Ids() => SchemaSamples.Ids();

    [Theory]
    [MemberData(nameof(Ids))]
    public void Builder_schema_passes_strict_mode(string id)
    {
        SchemaResult result = SampleAssembly.Samples.Build(SchemaSamples.Find(id));

        result.Errors.Should().BeEmpty();
        StrictModeValidator.Validate(result.Json, result.Name).Should().BeEmpty();
    }

    [Theory]
    [InlineData("Person", "Person")]
    [InlineData("Roots.People()", "List_Person")]
    [InlineData("Roots.Maybe()", "bool_Nullable")]
    public void Schema_names_come_from_the_type(string id, string name)
    {
        SampleAssembly.Samples.Build(SchemaSamples.Find(id)).Name.Should().Be(name);
    }
}
