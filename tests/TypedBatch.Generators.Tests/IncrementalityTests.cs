using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// The generator must stay cheap while the user types: an edit that does not touch a prompt interface re-runs
/// nothing after parsing, and a step's values hold no Roslyn objects that would keep old compilations alive.
/// </summary>
public sealed class IncrementalityTests
{
    private const string Tutor = """
        using System.Threading;
        using System.Threading.Tasks;
        using TypedBatch;

        namespace Consumer;

        [PromptClient]
        [System("You are a tutor.")]
        public partial interface ITutor
        {
            [User("What is {topic}?")]
            Task<string> ExplainAsync(string topic, CancellationToken cancellationToken = default);

            [User("Translate into {language}: {text}")]
            Task<string> TranslateAsync(string text, string language);
        }
        """;

    // Valid but with a TB0005 warning, so the diagnostics step carries a value too.
    private const string Greeter = """
        using System.Threading.Tasks;
        using TypedBatch;

        namespace Consumer;

        [PromptClient]
        public partial interface IGreeter
        {
            [User("Hello {name}")]
            Task<string> GreetAsync(string name, int unused);
        }
        """;

    // A typed result parsed by reflection: in a Native AOT project (see Aot) the AOT-diagnostics step carries TB0021.
    private const string Classifier = """
        using System.Threading.Tasks;
        using TypedBatch;

        namespace Consumer;

        public enum Sentiment { Positive, Negative }

        [PromptClient]
        public partial interface IClassifier
        {
            [User("Classify: {review}")]
            Task<Sentiment> ClassifyAsync(string review);
        }
        """;

    private const string Unrelated = """
        namespace Consumer;

        public static class Arithmetic
        {
            public static int Add(int a, int b) => a + b;
        }
        """;

    [Fact]
    public void Every_step_of_the_first_run_is_tracked()
    {
        GeneratorRun run = GeneratorHarness.Run(Driver(), Compilation());

        GeneratorRunResult result = run.Result.Results.Single();
        result.TrackedSteps.Keys.Should().Contain(PipelineInspector.TrackingNames);
        PipelineInspector.StepOutputs(result).Select(o => o.Step).Distinct().Should().BeEquivalentTo(PipelineInspector.TrackingNames);
        PipelineInspector.StepOutputs(result).Should().OnlyContain(o => o.Reason == IncrementalStepRunReason.New);
    }

    [Fact]
    public void Running_again_on_the_same_compilation_reuses_every_step()
    {
        CSharpCompilation compilation = Compilation();
        GeneratorRun first = GeneratorHarness.Run(Driver(), compilation);

        GeneratorRun second = GeneratorHarness.Run(first.Driver, compilation.Clone());

        AssertNothingRegenerated(first, second);
    }

    [Fact]
    public void Adding_an_unrelated_file_regenerates_nothing()
    {
        CSharpCompilation compilation = Compilation();
        GeneratorRun first = GeneratorHarness.Run(Driver(), compilation);

        GeneratorRun second = GeneratorHarness.Run(first.Driver, compilation.AddSyntaxTrees(GeneratorHarness.Tree("namespace Consumer; public sealed class Added { }", "/src/Added.cs")));

        AssertNothingRegenerated(first, second);
    }

    [Fact]
    public void Editing_an_unrelated_file_regenerates_nothing()
    {
        CSharpCompilation compilation = Compilation();
        GeneratorRun first = GeneratorHarness.Run(Driver(), compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "/src/Arithmetic.cs");
        GeneratorRun second = GeneratorHarness.Run(
            first.Driver,
            compilation.ReplaceSyntaxTree(old, GeneratorHarness.Tree(Unrelated.Replace("a + b", "checked(a + b)", StringComparison.Ordinal), old.FilePath)));

        AssertNothingRegenerated(first, second);
    }

    [Fact]
    public void Editing_a_prompt_interface_file_outside_the_interface_regenerates_nothing()
    {
        CSharpCompilation compilation = Compilation();
        GeneratorRun first = GeneratorHarness.Run(Driver(), compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "/src/ITutor.cs");
        GeneratorRun second = GeneratorHarness.Run(first.Driver, compilation.ReplaceSyntaxTree(old, GeneratorHarness.Tree(Tutor + "\npublic sealed class Later { }\n", old.FilePath)));

        AssertNothingRegenerated(first, second);
    }

    [Fact]
    public void Adding_a_method_regenerates_only_its_interface()
    {
        CSharpCompilation compilation = Compilation();
        GeneratorRun first = GeneratorHarness.Run(Driver(), compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "/src/ITutor.cs");
        string withMethod = Tutor.Replace(
            "    Task<string> TranslateAsync(string text, string language);",
            "    Task<string> TranslateAsync(string text, string language);\n\n    [User(\"Define {word}.\")]\n    Task<string> DefineAsync(string word);",
            StringComparison.Ordinal);
        GeneratorRun second = GeneratorHarness.Run(first.Driver, compilation.ReplaceSyntaxTree(old, GeneratorHarness.Tree(withMethod, old.FilePath)));

        GeneratorRunResult result = second.Result.Results.Single();
        Reasons(result, TrackingNames.Models).Should().BeEquivalentTo(new[] { IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached, IncrementalStepRunReason.Cached });
        ModelNames(result, IncrementalStepRunReason.Modified).Should().Equal("ITutor");
        ModelNames(result, IncrementalStepRunReason.Cached).Should().BeEquivalentTo("IGreeter", "IClassifier");
        Text(second, "Consumer.ITutor.g.cs").Should().NotBe(Text(first, "Consumer.ITutor.g.cs")).And.Contain("DefineBatchAsync");
        Text(second, "Consumer.IGreeter.g.cs").Should().Be(Text(first, "Consumer.IGreeter.g.cs"));
    }

    [Fact]
    public void Step_values_hold_no_symbols_syntax_compilations_or_locations()
    {
        CSharpCompilation compilation = Compilation();
        GeneratorRun first = GeneratorHarness.Run(Driver(), compilation);
        GeneratorRun second = GeneratorHarness.Run(first.Driver, compilation.AddSyntaxTrees(GeneratorHarness.Tree(Unrelated.Replace("Arithmetic", "More", StringComparison.Ordinal), "/src/More.cs")));

        var outputs = PipelineInspector.StepOutputs(first.Result.Results.Single())
            .Concat(PipelineInspector.StepOutputs(second.Result.Results.Single()))
            .ToList();

        outputs.Select(o => o.Step).Distinct().Should().BeEquivalentTo(PipelineInspector.TrackingNames, "every step's values must be walked");
        outputs.SelectMany(o => PipelineInspector.FindBanned(o.Value, o.Step)).Should().BeEmpty();
    }

    [Fact]
    public void The_banned_value_walker_finds_a_location_inside_a_collection()
    {
        SyntaxTree tree = GeneratorHarness.Tree("class C { }");
        var value = new { Name = "x", Items = new object[] { 1, new { Where = tree.GetRoot().GetLocation() } } };

        PipelineInspector.FindBanned(value, "value").Should().ContainSingle().Which.Should().Contain("Where");
    }

    /// <summary>A driver for a project that publishes Native AOT, so that every step, TB0021's included, has values.</summary>
    private static GeneratorDriver Driver() => GeneratorHarness.CreateDriver(new EditorConfigOptions(
        AnalyzerConfigSet.Create(ImmutableArray.Create(AnalyzerConfig.Parse("is_global = true\nbuild_property.PublishAot = true\n", "/.globalconfig"))),
        []));

    private static CSharpCompilation Compilation() => GeneratorHarness.Compilation(
        GeneratorHarness.Tree(Tutor, "/src/ITutor.cs"),
        GeneratorHarness.Tree(Greeter, "/src/IGreeter.cs"),
        GeneratorHarness.Tree(Classifier, "/src/IClassifier.cs"),
        GeneratorHarness.Tree(Unrelated, "/src/Arithmetic.cs"));

    private static void AssertNothingRegenerated(GeneratorRun first, GeneratorRun second)
    {
        GeneratorRunResult result = second.Result.Results.Single();
        var steps = PipelineInspector.StepOutputs(result).ToList();
        steps.Select(o => o.Step).Distinct().Should().BeEquivalentTo(PipelineInspector.TrackingNames, "every named step must have run");
        steps.Should().OnlyContain(
            o => o.Reason == IncrementalStepRunReason.Cached || o.Reason == IncrementalStepRunReason.Unchanged,
            "an edit that does not change a prompt interface must leave every step's output equal");
        PipelineInspector.EmitReasons(result).Should().NotBeEmpty()
            .And.OnlyContain(r => r == IncrementalStepRunReason.Cached || r == IncrementalStepRunReason.Unchanged);
        second.Sources.Should().Equal(first.Sources);

        // Reporting joins the new compilation to map diagnostics onto its trees, so it runs again, by design; what it
        // reports must not change.
        PipelineInspector.ReportReasons(result).Should().NotBeEmpty();
        Describe(second.GeneratorDiagnostics).Should().Equal(Describe(first.GeneratorDiagnostics)).And.Contain(d => d.StartsWith("TB0021", StringComparison.Ordinal));
    }

    private static IEnumerable<string> Describe(IEnumerable<Diagnostic> diagnostics)
        => diagnostics.Select(d => $"{d.Id} {d.Severity} {d.Location.SourceTree?.FilePath}{d.Location.SourceSpan} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}").Order(StringComparer.Ordinal);

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step)
        => result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    private static IEnumerable<string> ModelNames(GeneratorRunResult result, IncrementalStepRunReason reason)
        => result.TrackedSteps[TrackingNames.Models].SelectMany(s => s.Outputs)
            .Where(o => o.Reason == reason)
            .Select(o => ((Model.InterfaceModel)o.Value).Name);

    private static string Text(GeneratorRun run, string hintName) => run.Sources.Single(s => s.HintName == hintName).Text;
}
