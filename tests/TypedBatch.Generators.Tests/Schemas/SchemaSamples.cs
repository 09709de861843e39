using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>
/// The result types the schema tests run over, as one C# source: compiled with Roslyn for the builder and emitted to
/// an assembly for System.Text.Json, so both sides look at exactly the same declarations.
/// </summary>
internal static class SchemaSamples
{
    public const string Source = """
        using System;
        using System.Collections.Generic;
        using System.ComponentModel;
        using System.Text.Json.Serialization;

        namespace Samples;

        // --- plain objects -------------------------------------------------------------------------------------------
        [Description("A postal address")]
        public sealed record Address(string Street, string City, string? PostCode);

        public sealed record Person(string Name, int Age, [property: Description("Where they live")] Address Home, Address? Work);

        public sealed class Customer
        {
            public string Id { get; set; } = "";
            public string? Nickname { get; set; }
            public List<Address> Addresses { get; set; } = new();
        }

        public class Animal
        {
            public string Name { get; set; } = "";
        }

        public sealed class Dog : Animal
        {
            public bool GoodBoy { get; set; }
        }

        public sealed record Defaults(string Name, int Retries = 3, string? Comment = null);

        public record struct Point(int X, int Y);

        public sealed record Route(Point Start, Point? End, List<Point> Stops);

        // --- scalars -------------------------------------------------------------------------------------------------
        public sealed record Numbers(
            bool Flag, sbyte SByte, byte Byte, short Short, ushort UShort, int Int, uint UInt, long Long, ulong ULong,
            float Float, double Double, decimal Decimal);

        public sealed record Moments(
            DateTime Created, DateTimeOffset Updated, DateOnly Day, TimeOnly At, Guid Id, Uri Link, DateTime? Deleted, Guid? Parent);

        public sealed record Nullables(int? Count, DateTime? When, string? Note, Address? Where, bool? Done, double? Score);

        public sealed record Blob(string Name, byte[] Content);

        // --- collections ---------------------------------------------------------------------------------------------
        public sealed record Collections(
            string[] Tags, List<int> Scores, IReadOnlyList<Address> Places, List<List<string>> Grid, int?[] Gaps, IEnumerable<Guid> Ids);

        // --- enums ---------------------------------------------------------------------------------------------------
        public enum Color { Red, Green, Blue }

        public enum Priority { Low, [JsonStringEnumMemberName("normal")] Medium, High }

        public sealed record Paint(Color Main, Color? Accent, Priority Priority, List<Color> Palette);

        // --- attributes ----------------------------------------------------------------------------------------------
        public sealed record Renamed(
            [property: JsonPropertyName("full_name")] string Name,
            [property: JsonIgnore] string Secret,
            [property: Description("Age in years")] int Age);

        public sealed class Annotated
        {
            [JsonPropertyName("id")]
            public int Identifier { get; set; }

            [JsonIgnore]
            public string Hidden { get; set; } = "";

            [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
            public string? Optional { get; set; }

            [Description("What it is for")]
            public string Purpose { get; set; } = "";

            public int Computed => 2;

            public static int Shared => 1;

            [JsonInclude]
            internal string Included { get; set; } = "";

            internal string NotIncluded { get; set; } = "";

            public string this[int index] => "";
        }

        // --- recursion -----------------------------------------------------------------------------------------------
        [Description("A node in a tree")]
        public sealed class TreeNode
        {
            public string Label { get; set; } = "";
            public List<TreeNode> Children { get; set; } = new();
        }

        public sealed record Department(string Name, List<Employee> Staff);

        public sealed record Employee(string Name, Department? Department);

        public sealed record Org(Department Head, Employee Ceo, TreeNode Chart);

        // --- polymorphism --------------------------------------------------------------------------------------------
        [JsonPolymorphic]
        [JsonDerivedType(typeof(Circle), "circle")]
        [JsonDerivedType(typeof(Square), "square")]
        public abstract record Shape(string Label);

        public sealed record Circle(string Label, double Radius) : Shape(Label);

        public sealed record Square(string Label, double Side) : Shape(Label);

        public sealed record Drawing(string Title, Shape Main, List<Shape> Others, Shape? Highlight);

        [JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
        [JsonDerivedType(typeof(TextBlock), "text")]
        [JsonDerivedType(typeof(ImageBlock), "image")]
        public abstract class Block
        {
            public string Id { get; set; } = "";
        }

        public sealed class TextBlock : Block
        {
            public string Body { get; set; } = "";
        }

        public sealed class ImageBlock : Block
        {
            public Uri Source { get; set; } = null!;
            public int Width { get; set; }
        }

        public sealed record Page(List<Block> Blocks);

        [JsonPolymorphic]
        [JsonDerivedType(typeof(Literal), "literal")]
        [JsonDerivedType(typeof(Sum), "sum")]
        public abstract record Expr;

        public sealed record Literal(double Value) : Expr;

        public sealed record Sum(Expr Left, Expr Right) : Expr;

        public sealed record Formula(string Name, Expr Body);

        // --- naming policy -------------------------------------------------------------------------------------------
        public sealed record CamelCased(string FirstName, string URLValue, int ID, string IOStream, Address HomeAddress, Color FavoriteColor);

        public sealed record LineItem(string ProductName, int Quantity, decimal UnitPrice);

        public sealed class Invoice
        {
            public string InvoiceNumber { get; set; } = "";
            public DateOnly DueDate { get; set; }
            public List<LineItem> LineItems { get; set; } = new();
            public Customer? BilledTo { get; set; }
            [JsonPropertyName("Total_Amount")]
            public decimal TotalAmount { get; set; }
        }

        public sealed record Separated(string FirstName, string Already_Snake, string URLValue, int Item2Count, Color Tone);

        // --- non-object roots: the declared return types of these methods ---------------------------------------------
        public static class Roots
        {
            public static int Count() => 0;
            public static string Label() => "";
            public static Color Favorite() => Color.Red;
            public static Priority? MaybePriority() => null;
            public static List<Person> People() => new();
            public static bool? Maybe() => null;
            public static Person? MaybePerson() => null;
            public static Shape AnyShape() => new Circle("c", 1);
            public static double[] Readings() => [];
        }
        """;

    /// <summary>Every sample the agreement and strict-mode tests run over.</summary>
    public static readonly IReadOnlyList<SchemaCase> All =
    [
        SchemaCase.Type("Address"),
        SchemaCase.Type("Person"),
        SchemaCase.Type("Customer"),
        SchemaCase.Type("Dog"),
        SchemaCase.Type("Defaults"),
        SchemaCase.Type("Route"),
        SchemaCase.Type("Numbers"),
        SchemaCase.Type("Moments"),
        SchemaCase.Type("Nullables"),
        SchemaCase.Type("Blob"),
        SchemaCase.Type("Collections"),
        SchemaCase.Type("Paint"),
        SchemaCase.Type("Renamed"),
        SchemaCase.Type("Annotated"),
        SchemaCase.Type("TreeNode"),
        SchemaCase.Type("Department"),
        SchemaCase.Type("Employee"),
        SchemaCase.Type("Org"),
        SchemaCase.Type("Drawing"),
        SchemaCase.Type("Page"),
        SchemaCase.Type("Formula"),
        SchemaCase.Type("CamelCased", NamingPolicy.CamelCase),
        SchemaCase.Type("Invoice", NamingPolicy.CamelCase),
        SchemaCase.Type("Person", NamingPolicy.CamelCase),
        SchemaCase.Type("Separated", NamingPolicy.KebabCaseLower),
        SchemaCase.Type("Separated", NamingPolicy.SnakeCaseUpper),
        SchemaCase.Returned("Count"),
        SchemaCase.Returned("Label"),
        SchemaCase.Returned("Favorite"),
        SchemaCase.Returned("MaybePriority"),
        SchemaCase.Returned("People"),
        SchemaCase.Returned("Maybe"),
        SchemaCase.Returned("MaybePerson"),
        SchemaCase.Returned("AnyShape"),
        SchemaCase.Returned("Readings"),
    ];

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (SchemaCase sample in All)
        {
            data.Add(sample.Id);
        }

        return data;
    }

    public static SchemaCase Find(string id) => All.Single(c => c.Id == id);
}

/// <summary>
/// One sample: a type of <see cref="SchemaSamples.Source"/> by name, or the declared return type of a
/// <c>Samples.Roots</c> method (how non-object and nullable roots are written), with the naming policy to use.
/// </summary>
internal sealed record SchemaCase(string Name, bool IsReturnType, NamingPolicy Policy)
{
    public static SchemaCase Type(string name, NamingPolicy policy = NamingPolicy.None) => new(name, false, policy);

    public static SchemaCase Returned(string method) => new(method, true, NamingPolicy.None);

    /// <summary>The theory-data id, readable in test names.</summary>
    public string Id => (IsReturnType ? "Roots." + Name + "()" : Name) + (Policy == NamingPolicy.None ? string.Empty : " [" + Policy + "]");
}
