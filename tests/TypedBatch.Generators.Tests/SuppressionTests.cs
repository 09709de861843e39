using Microsoft.CodeAnalysis;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// Generator warnings obey the user's configuration as compiler warnings do: <c>#pragma warning disable</c> around the
/// code, and <c>dotnet_diagnostic.ID.severity</c> in .editorconfig. Both need the diagnostic located in the
/// compilation's own syntax tree; the driver's diagnostics are what the build reports.
/// </summary>
public sealed class SuppressionTests
{
    private const string UnusedParameter = """
        using System.Threading.Tasks;
        using TypedBatch;

        namespace Consumer;

        [PromptClient]
        public partial interface ITutor
        {
        #pragma warning disable TB0005
            [User("What is {topic}?")]
            Task<string> ExplainAsync(string topic, int level);
        #pragma warning restore TB0005

            [User("Define {word}.")]
            Task<string> DefineAsync(string word, int depth);
        }
        """;

    private const string ReflectionJson = """
        using System.Threading.Tasks;
        using TypedBatch;

        namespace Consumer;

        public enum Sentiment { Positive, Negative }

        #pragma warning disable TB0021
        [PromptClient]
        public partial interface IClassifier
        #pragma warning restore TB0021
        {
            [User("Classify: {review}")]
            Task<Sentiment> ClassifyAsync(string review);
        }
        """;

    private const string PublishAot = "is_global = true\nbuild_property.PublishAot = true\n";

    [Fact]
    public void Pragma_around_a_method_suppresses_its_TB0005_and_only_that()
    {
        GeneratorRun run = GeneratorHarness.Run(UnusedParameter);

        run.ReportedDiagnostics.Should().ContainSingle().Which.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
            .Should().Contain("'depth'");
        run.GeneratorDiagnostics.Should().OnlyContain(d => d.Location.IsInSource, "a location in the source tree is what #pragma is checked against");
    }

    [Fact]
    public void Without_the_pragma_both_TB0005_are_reported()
    {
        GeneratorRun run = GeneratorHarness.Run(WithoutPragmas(UnusedParameter));

        run.ReportedDiagnostics.Select(d => d.Id).Should().Equal("TB0005", "TB0005");
    }

    [Theory]
    [InlineData("none", null)]
    [InlineData("silent", DiagnosticSeverity.Hidden)]
    [InlineData("warning", DiagnosticSeverity.Warning)]
    [InlineData("error", DiagnosticSeverity.Error)]
    public void Editorconfig_severity_of_TB0005_is_applied_to_the_file(string configured, DiagnosticSeverity? expected)
    {
        GeneratorRun run = GeneratorHarness.Run(
            GeneratorHarness.Compilation(WithoutPragmas(UnusedParameter)),
            ("/src/.editorconfig", $"root = true\n\n[*.cs]\ndotnet_diagnostic.TB0005.severity = {configured}\n"));

        Reported(run, "TB0005").Should().Equal(expected is null ? [] : [expected.Value, expected.Value]);
    }

    [Fact]
    public void Editorconfig_severity_applies_only_to_the_files_it_matches()
    {
        GeneratorRun run = GeneratorHarness.Run(
            GeneratorHarness.Compilation(GeneratorHarness.Tree(WithoutPragmas(UnusedParameter), "/src/Other/Input.cs")),
            ("/src/Tutoring/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.TB0005.severity = none\n"));

        Reported(run, "TB0005").Should().Equal(DiagnosticSeverity.Warning, DiagnosticSeverity.Warning);
    }

    [Fact]
    public void Pragma_around_the_interface_suppresses_TB0021_in_an_AOT_project()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compilation(ReflectionJson), ("/.globalconfig", PublishAot));

        run.GeneratorDiagnostics.Should().ContainSingle(d => d.Id == "TB0021").Which.IsSuppressed.Should().BeTrue();
        run.ReportedDiagnostics.Should().BeEmpty();
    }

    [Fact]
    public void Without_the_pragma_TB0021_is_reported_in_an_AOT_project()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compilation(WithoutPragmas(ReflectionJson)), ("/.globalconfig", PublishAot));

        Reported(run, "TB0021").Should().Equal(DiagnosticSeverity.Warning);
    }

    [Theory]
    [InlineData("none", null)]
    [InlineData("error", DiagnosticSeverity.Error)]
    public void Editorconfig_severity_of_TB0021_is_applied_to_the_file(string configured, DiagnosticSeverity? expected)
    {
        GeneratorRun run = GeneratorHarness.Run(
            GeneratorHarness.Compilation(WithoutPragmas(ReflectionJson)),
            ("/.globalconfig", PublishAot),
            ("/src/.editorconfig", $"root = true\n\n[*.cs]\ndotnet_diagnostic.TB0021.severity = {configured}\n"));

        Reported(run, "TB0021").Should().Equal(expected is null ? [] : [expected.Value]);
    }

    private static string WithoutPragmas(string source)
        => string.Join("\n", source.Split('\n').Where(line => !line.StartsWith("#pragma", StringComparison.Ordinal)));

    private static IEnumerable<DiagnosticSeverity> Reported(GeneratorRun run, string id)
        => run.ReportedDiagnostics.Where(d => d.Id == id).Select(d => d.Severity);
}
