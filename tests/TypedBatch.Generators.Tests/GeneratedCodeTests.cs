namespace TypedBatch.Generators.Tests;

/// <summary>Generated code compiles for legal interfaces beyond the baselines: names that could clash with generated ones.</summary>
public sealed class GeneratedCodeTests
{
    [Theory]
    [InlineData("h0")]
    [InlineData("h1")]
    [InlineData("input")]
    [InlineData("ct")]
    [InlineData("inputs")]
    [InlineData("options")]
    [InlineData("cancellationToken")]
    [InlineData("client")]
    [InlineData("_context")]
    [InlineData("global")]
    public void Parameter_named_like_a_generated_local_compiles(string name)
    {
        GeneratorRun run = GeneratorHarness.Run($$"""
            using System.Threading.Tasks;
            using TypedBatch;

            namespace Consumer;

            [PromptClient]
            public partial interface INames
            {
                [User("One {{{name}}}")]
                Task<string> OneAsync(string {{name}});

                [System("Two")]
                [User("Two {{{name}}} and {other}")]
                Task<string> TwoAsync(string {{name}}, int other);
            }
            """);

        run.GeneratorDiagnostics.Should().BeEmpty();
        run.CompilationProblems.Select(d => d.ToString()).Should().BeEmpty();
    }

    [Fact]
    public void A_member_path_reads_with_a_null_conditional_only_after_a_value_that_may_be_null()
    {
        GeneratorRun run = GeneratorHarness.Run("""
            using System.Threading.Tasks;
            using TypedBatch;

            namespace Consumer;

            public readonly record struct Point(int X, int Y);

            public sealed record Shape(Point Corner, Point? Center);

            [PromptClient]
            public partial interface IShapes
            {
                [User("At {point.X}, corner {shape.Corner.Y}, center {shape.Center.X}")]
                Task<string> DescribeAsync(Point point, Shape shape);
            }
            """);

        run.GeneratorDiagnostics.Should().BeEmpty();
        run.CompilationProblems.Select(d => d.ToString()).Should().BeEmpty();
        run.Sources.Should().ContainSingle().Which.Text
            .Should().Contain("AppendFormatted(point.X);")
            .And.Contain("AppendFormatted(shape?.Corner.Y);")
            .And.Contain("AppendFormatted(shape?.Center?.X);");
    }
}
