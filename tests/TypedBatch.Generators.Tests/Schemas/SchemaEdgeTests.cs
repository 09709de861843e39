using System.Text.Json;
using Microsoft.CodeAnalysis;
using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>
/// Schema details the agreement tests cannot see, because they compare shapes coinductively and ignore order and
/// names: the exact text of references and definitions, member order, schema names, JSON string escaping, and the
/// errors for the rarer types.
/// </summary>
public sealed class SchemaEdgeTests
{
    private const string Header = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json.Serialization;

        namespace Samples;

        """;

    [Fact]
    public void Json_strings_escape_quotes_backslashes_and_control_characters()
    {
        const string Text = "a\"b\\c\nd\re\tf\bg\fh\u0001i\u001fj é";

        string quoted = JsonText.Quote(Text);

        quoted.Should().Be("\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj é\"");
        JsonSerializer.Deserialize<string>(quoted).Should().Be(Text);
    }

    [Fact]
    public void A_root_that_refers_to_itself_refers_to_the_root_and_has_no_definitions()
    {
        SchemaResult result = Build("public sealed record Node(string Label, List<Node> Children);", "Node");

        result.Json.Should().Be("""{"type":"object","properties":{"Label":{"type":"string"},"Children":{"type":"array","items":{"$ref":"#"}}},"required":["Label","Children"],"additionalProperties":false}""");
    }

    [Fact]
    public void Types_that_reach_each_other_below_the_root_are_defined_once_each()
    {
        SchemaResult result = Build("""
            public sealed record Department(string Name, List<Employee> Staff);
            public sealed record Employee(string Name, Department? Department);
            public sealed record Org(Wrapper Top);
            public sealed record Wrapper(Department Head);
            """, "Org");

        result.Json.Should().Be("""{"type":"object","properties":{"Top":{"type":"object","properties":{"Head":{"$ref":"#/$defs/Department"}},"required":["Head"],"additionalProperties":false}},"required":["Top"],"additionalProperties":false,"$defs":{"Department":{"type":"object","properties":{"Name":{"type":"string"},"Staff":{"type":"array","items":{"$ref":"#/$defs/Employee"}}},"required":["Name","Staff"],"additionalProperties":false},"Employee":{"type":"object","properties":{"Name":{"type":"string"},"Department":{"anyOf":[{"$ref":"#/$defs/Department"},{"type":"null"}]}},"required":["Name","Department"],"additionalProperties":false}}}""");
    }

    [Fact]
    public void Recursive_types_of_the_same_name_get_distinct_definitions()
    {
        CSharpCompilationFor(
            """
            namespace Samples { public sealed record Pair(Left.Node Left, Right.Node Right); }
            namespace Samples.Left { public sealed record Node(System.Collections.Generic.List<Node> Next); }
            namespace Samples.Right { public sealed record Node(System.Collections.Generic.List<Node> Next); }
            """,
            "Pair",
            out INamedTypeSymbol type);

        string json = JsonSchemaBuilder.Build(type, NamingPolicy.None).Json;

        json.Should().Contain("\"Left\":{\"$ref\":\"#/$defs/Node\"}").And.Contain("\"Right\":{\"$ref\":\"#/$defs/Node2\"}");
    }

    [Fact]
    public void A_nullable_recursive_polymorphic_member_refers_to_its_definition_or_null()
    {
        SchemaResult result = Build("""
            [JsonDerivedType(typeof(Num), 1)]
            [JsonDerivedType(typeof(Add), 2)]
            public abstract record Expr;
            public sealed record Num(double Value) : Expr;
            public sealed record Add(Expr Left, Expr? Right) : Expr;
            public sealed record Formula(Expr? Body);
            """, "Formula");

        result.Errors.Should().BeEmpty();
        result.Json.Should().StartWith("""{"type":"object","properties":{"Body":{"anyOf":[{"$ref":"#/$defs/Expr"},{"type":"null"}]}}""")
            .And.Contain("""{"type":"object","properties":{"$type":{"type":"integer","enum":[1]},"Value":{"type":"number"}}""")
            .And.Contain("""["$type","Left","Right"]""");
        StrictModeValidator.Validate(result.Json, result.Name).Should().BeEmpty();
    }

    [Fact]
    public void A_derived_member_named_like_the_discriminator_is_reported()
    {
        SchemaResult result = Build("""
            [JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
            [JsonDerivedType(typeof(Text), "text")]
            public abstract class Block { }
            public sealed class Text : Block { [JsonPropertyName("kind")] public string Flavor { get; set; } = ""; }
            public sealed record Page(Block Main);
            """, "Page");

        result.Errors.Should().Equal("'Main.Flavor' has the JSON name 'kind' twice");
    }

    [Fact]
    public void Two_members_with_one_JSON_name_are_reported()
    {
        SchemaResult result = Build("""
            public sealed class Twice
            {
                public string Name { get; set; } = "";
                [JsonPropertyName("Name")]
                public string Other { get; set; } = "";
            }
            """, "Twice");

        result.Errors.Should().Equal("'Other' has the JSON name 'Name' twice");
    }

    [Fact]
    public void Members_are_ordered_by_JsonPropertyOrder_then_base_types_first_then_declaration()
    {
        SchemaResult result = Build("""
            public class Root { public string A { get; set; } = ""; [JsonPropertyOrder(2)] public string Late { get; set; } = ""; }
            public class Middle : Root { public string B { get; set; } = ""; }
            public sealed class Leaf : Middle { public string C { get; set; } = ""; [JsonPropertyOrder(-1)] public string Early { get; set; } = ""; public string D { get; set; } = ""; }
            """, "Leaf");

        result.Json.Should().Contain("""["Early","A","B","C","D","Late"]""");
    }

    [Fact]
    public void Included_fields_are_members_and_constants_are_not()
    {
        SchemaResult result = Build("""
            public sealed class Holder
            {
                [JsonInclude] public int Count;
                [JsonInclude] public const int Max = 3;
                public int NotIncluded;
            }
            """, "Holder");

        result.Json.Should().Be("""{"type":"object","properties":{"Count":{"type":"integer"}},"required":["Count"],"additionalProperties":false}""");
    }

    [Fact]
    public void TimeSpan_and_Uri_are_strings_and_Half_is_a_number()
    {
        SchemaResult result = Build("public sealed record Timing(TimeSpan Took, Uri Link, Half Ratio);", "Timing");

        result.Json.Should().Contain("""{"Took":{"type":"string"},"Link":{"type":"string"},"Ratio":{"type":"number"}}""");
    }

    [Fact]
    public void An_interface_with_derived_types_is_polymorphic()
    {
        SchemaResult result = Build("""
            [JsonDerivedType(typeof(Cat), "cat")]
            public interface IPet { }
            public sealed record Cat(string Name) : IPet;
            public sealed record Home(IPet Pet);
            """, "Home");

        result.Errors.Should().BeEmpty();
        result.Json.Should().Contain("""{"Pet":{"anyOf":[{"type":"object","properties":{"$type":{"type":"string","enum":["cat"]},"Name":{"type":"string"}}""");
    }

    [Theory]
    [InlineData("public sealed class Bag : Dictionary<string, int> { }\npublic sealed record Holder(Bag Items);", "'Items' is a dictionary")]
    [InlineData("public sealed record Holder(Version Release);", "'Release' has type System.Version, which strict mode cannot express")]
    [InlineData("public sealed record Holder(IDisposable Resource);", "'Resource' is an interface")]
    public void Rarer_types_strict_mode_cannot_express_are_reported_by_name(string source, string error)
    {
        Build(source, "Holder").Errors.Should().ContainSingle().Which.Should().StartWith(error);
    }

    [Fact]
    public void An_error_in_a_wrapped_root_names_the_value()
    {
        CSharpCompilationFor(Header + "public static class Roots { public static List<object> Items() => new(); }", "Roots", out INamedTypeSymbol roots);
        ITypeSymbol returned = roots.GetMembers("Items").OfType<IMethodSymbol>().Single().ReturnType;

        JsonSchemaBuilder.Build(returned, NamingPolicy.None).Errors.Should().ContainSingle().Which.Should().StartWith("'value[]' is object");
    }

    [Fact]
    public void Arrays_count_as_nesting_levels()
    {
        string lists = string.Concat(Enumerable.Repeat("List<", 10)) + "string" + new string('>', 10);

        Build($"public sealed record Holder({lists} Deep);", "Holder").Errors.Should().ContainSingle().Which.Should().Contain("nested more than 10 levels deep");
        Build($"public sealed record Holder({lists[5..^1]} Deep);", "Holder").Errors.Should().BeEmpty();
    }

    [Fact]
    public void Enum_types_are_listed_in_ordinal_order()
    {
        SchemaResult result = Build("""
            public enum Zeta { A }
            public enum Alpha { B }
            public sealed record Holder(Zeta Last, Alpha First);
            """, "Holder");

        result.EnumTypes.Should().Equal("global::Samples.Alpha", "global::Samples.Zeta");
    }

    [Theory]
    [InlineData("public sealed record Zebra_A09z(int X);", "Zebra_A09z", "Zebra_A09z")]
    [InlineData("public sealed record Über(int X);", "Über", "ber")]
    [InlineData("public sealed record Ü(int X);", "Ü", "Result")]
    [InlineData("public sealed record VeryLongNameThatGoesOnAndOnAndOnUntilItIsLongerThanSixtyFourCharactersX(int X);", "VeryLongNameThatGoesOnAndOnAndOnUntilItIsLongerThanSixtyFourCharactersX", "VeryLongNameThatGoesOnAndOnAndOnUntilItIsLongerThanSixtyFourChar")]
    public void Schema_names_keep_letters_digits_and_underscores_and_at_most_64_characters(string source, string typeName, string name)
    {
        Build(source, typeName).Name.Should().Be(name);
    }

    private static SchemaResult Build(string source, string typeName)
    {
        CSharpCompilationFor(Header + source, typeName, out INamedTypeSymbol type);
        return JsonSchemaBuilder.Build(type, NamingPolicy.None);
    }

    private static void CSharpCompilationFor(string source, string typeName, out INamedTypeSymbol type)
    {
        Microsoft.CodeAnalysis.CSharp.CSharpCompilation compilation = GeneratorHarness.Compilation(source);
        compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Should().BeEmpty("the test source must compile");
        type = compilation.GetTypeByMetadataName("Samples." + typeName)!;
        type.Should().NotBeNull();
    }
}
