using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>
/// Types strict mode cannot express are reported (one error naming the member), and the limits on nesting, enum values
/// and properties hold at their boundaries: the last size that fits builds a schema the validator accepts.
/// </summary>
public sealed class SchemaLimitTests
{
    private const string Header = """
        using System;
        using System.Collections;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Text.Json.Serialization;

        namespace Samples;

        public interface IAnimal { string Name { get; } }
        public abstract class Vehicle { public int Wheels { get; set; } }
        [Flags] public enum Access { None = 0, Read = 1, Write = 2 }

        """;

    [Theory]
    [InlineData("Dictionary<string, int> Scores", "'Scores' is a dictionary")]
    [InlineData("IDictionary Bag", "'Bag' is a dictionary")]
    [InlineData("IReadOnlyDictionary<string, string> Labels", "'Labels' is a dictionary")]
    [InlineData("object Anything", "'Anything' is object")]
    [InlineData("IAnimal Pet", "'Pet' is an interface")]
    [InlineData("Vehicle Ride", "'Ride' is abstract")]
    [InlineData("Access Rights", "'Rights' is a [Flags] enum")]
    [InlineData("(int Count, string Label) Pair", "'Pair' is a tuple")]
    [InlineData("List<object> Items", "'Items[]' is object")]
    public void A_member_strict_mode_cannot_express_is_reported_by_name(string member, string error)
    {
        SchemaResult result = Build(Header + $"public sealed record Holder(string Name, {member});", "Holder");

        result.Errors.Should().ContainSingle().Which.Should().StartWith(error);
    }

    [Fact]
    public void Extension_data_is_reported_by_name()
    {
        SchemaResult result = Build(Header + """
            public sealed class Holder
            {
                public string Name { get; set; } = "";
                [JsonExtensionData]
                public Dictionary<string, JsonElement> Extra { get; set; } = new();
            }
            """, "Holder");

        result.Errors.Should().ContainSingle().Which.Should().StartWith("'Holder.Extra' is [JsonExtensionData]");
    }

    [Fact]
    public void A_polymorphic_derived_type_without_a_discriminator_is_reported()
    {
        SchemaResult result = Build(Header + """
            [JsonDerivedType(typeof(Car), "car")]
            [JsonDerivedType(typeof(Bike))]
            public abstract class Machine { }
            public sealed class Car : Machine { }
            public sealed class Bike : Machine { }
            public sealed record Holder(Machine Ride);
            """, "Holder");

        result.Errors.Should().ContainSingle().Which.Should().Contain("'Ride'").And.Contain("Bike without a type discriminator");
    }

    [Fact]
    public void A_type_nested_ten_levels_deep_fits()
    {
        SchemaResult result = Build(Header + NestedTypes(10), "Level1");

        result.Errors.Should().BeEmpty();
        StrictModeValidator.Validate(result.Json, result.Name).Should().BeEmpty();
    }

    [Fact]
    public void A_type_nested_eleven_levels_deep_is_reported_with_its_path()
    {
        SchemaResult result = Build(Header + NestedTypes(11), "Level1");

        result.Errors.Should().ContainSingle().Which.Should().StartWith("'" + string.Join(".", Enumerable.Repeat("Child", 10)) + "' is nested more than 10 levels deep");
    }

    [Fact]
    public void An_empty_type_at_the_eleventh_level_is_reported()
    {
        SchemaResult result = Build(Header + NestedTypes(10).Replace("Level10(string Leaf)", "Level10(Level11 Child)", StringComparison.Ordinal) + "public sealed record Level11;", "Level1");

        result.Errors.Should().ContainSingle().Which.Should().StartWith("'" + string.Join(".", Enumerable.Repeat("Child", 10)) + "' is nested more than 10 levels deep");
    }

    [Fact]
    public void A_recursive_type_referred_to_below_the_tenth_level_fits()
    {
        // Tree > Level1 … Level9 are ten levels; the Node at the bottom is a reference to the definition First made.
        SchemaResult result = Build(Header + NestedTypes(9).Replace("Level9(string Leaf)", "Level9(Node Child)", StringComparison.Ordinal) + "public sealed record Node(string Label, List<Node> Children);\npublic sealed record Tree(Node First, Level1 Deep);", "Tree");

        result.Errors.Should().BeEmpty();
        StrictModeValidator.Validate(result.Json, result.Name).Should().BeEmpty();
    }

    [Fact]
    public void An_enum_of_a_thousand_members_fits()
    {
        SchemaResult result = Build(Header + EnumOf(1000) + "public sealed record Holder(Big Value);", "Holder");

        result.Errors.Should().BeEmpty();
        StrictModeValidator.Validate(result.Json, result.Name).Should().BeEmpty();
    }

    [Fact]
    public void An_enum_of_a_thousand_and_one_members_is_reported()
    {
        SchemaResult result = Build(Header + EnumOf(1001) + "public sealed record Holder(Big Value);", "Holder");

        result.Errors.Should().ContainSingle().Which.Should().Be("its enums have 1001 values in all; strict mode allows 1000");
    }

    [Fact]
    public void Enum_values_count_across_every_use()
    {
        SchemaResult result = Build(Header + EnumOf(600) + "public sealed record Holder(Big First, Big? Second);", "Holder");

        result.Errors.Should().ContainSingle().Which.Should().Be("its enums have 1200 values in all; strict mode allows 1000");
    }

    [Fact]
    public void Five_thousand_properties_fit()
    {
        SchemaResult result = Build(Header + WideType(JsonSchemaBuilder.MaxProperties), "Wide");

        result.Errors.Should().BeEmpty();
        StrictModeValidator.Validate(result.Json, result.Name).Should().BeEmpty();
    }

    [Fact]
    public void More_than_five_thousand_properties_are_reported()
    {
        SchemaResult result = Build(Header + WideType(JsonSchemaBuilder.MaxProperties + 1), "Wide");

        result.Errors.Should().ContainSingle().Which.Should().Be("it has 5001 properties; strict mode allows 5000");
    }

    [Fact]
    public void Properties_count_across_nested_objects()
    {
        // 2 × 2500 in the nested records, plus the 2 members that hold them.
        SchemaResult result = Build(Header + WideType(2500, "Half") + "public sealed record Both(Half First, Half Second);", "Both");

        result.Errors.Should().ContainSingle().Which.Should().Be("it has 5002 properties; strict mode allows 5000");
    }

    private static SchemaResult Build(string source, string typeName)
    {
        CSharpCompilationFor(source, out INamedTypeSymbol type, typeName);
        return JsonSchemaBuilder.Build(type, NamingPolicy.None);
    }

    private static void CSharpCompilationFor(string source, out INamedTypeSymbol type, string typeName)
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.Compilation(source);
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Should().BeEmpty("the test source must compile");
        type = compilation.GetTypeByMetadataName("Samples." + typeName)!;
        type.Should().NotBeNull();
    }

    /// <summary>Level1 … Level<paramref name="levels"/>, each holding the next as Child; the last holds a string Leaf.</summary>
    private static string NestedTypes(int levels)
    {
        var source = new StringBuilder();
        for (int level = 1; level < levels; level++)
        {
            source.AppendLine(CultureInfo.InvariantCulture, $"public sealed record Level{level}(Level{level + 1} Child);");
        }

        return source.AppendLine(CultureInfo.InvariantCulture, $"public sealed record Level{levels}(string Leaf);").ToString();
    }

    private static string EnumOf(int members)
        => "public enum Big { " + string.Join(", ", Enumerable.Range(0, members).Select(i => "M" + i)) + " }\n";

    private static string WideType(int properties, string name = "Wide")
    {
        var source = new StringBuilder($"public sealed class {name}\n{{\n");
        for (int i = 0; i < properties; i++)
        {
            source.AppendLine(CultureInfo.InvariantCulture, $"    public int P{i} {{ get; set; }}");
        }

        return source.AppendLine("}").ToString();
    }
}
