using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit.Abstractions;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// Writes how long the generator takes on a large project (200 interfaces × 10 methods) to the test output. Timing is
/// reported, never asserted: the assertions only check that the run is the one being measured.
/// </summary>
[Collection(nameof(TimingReport))]
public sealed class TimingReport(ITestOutputHelper output)
{
    private const int Interfaces = 200;
    private const int MethodsPerInterface = 10;

    [Fact]
    public void Report_first_and_incremental_run_times_for_200_interfaces_of_10_methods()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(
            Enumerable.Range(0, Interfaces).Select(i => GeneratorHarness.Tree(Interface(i), $"/src/IPrompts{i}.cs"))
                .Append(GeneratorHarness.Tree("namespace Load; public static class Unrelated { public static int Value => 1; }", "/src/Unrelated.cs"))
                .ToArray());

        // Only the driver's work is timed (no parse of the generated text into the compilation). Neither compilation is
        // bound before its run, so both runs pay for binding the symbols the parser reads.
        var first = Stopwatch.StartNew();
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        first.Stop();
        GeneratorRunResult cold = driver.GetRunResult().Results.Single();

        SyntaxTree unrelated = compilation.SyntaxTrees.Single(t => t.FilePath == "/src/Unrelated.cs");
        CSharpCompilation edited = compilation.ReplaceSyntaxTree(
            unrelated,
            GeneratorHarness.Tree("namespace Load; public static class Unrelated { public static int Value => 2; }", unrelated.FilePath));
        var second = Stopwatch.StartNew();
        driver = driver.RunGenerators(edited);
        second.Stop();
        GeneratorRunResult warm = driver.GetRunResult().Results.Single();

        // For comparison: a full run again on a fresh driver, now that the code paths are jitted.
        var full = Stopwatch.StartNew();
        GeneratorDriver fresh = GeneratorHarness.CreateDriver().RunGenerators(compilation.Clone());
        full.Stop();

        output.WriteLine($"{Interfaces} interfaces x {MethodsPerInterface} methods");
        output.WriteLine($"first run:                          {first.Elapsed.TotalMilliseconds,8:F1} ms");
        output.WriteLine($"second run after an unrelated edit: {second.Elapsed.TotalMilliseconds,8:F1} ms");
        output.WriteLine($"full run on a fresh driver, jitted: {full.Elapsed.TotalMilliseconds,8:F1} ms");

        cold.Exception.Should().BeNull();
        cold.Diagnostics.Should().BeEmpty();
        cold.GeneratedSources.Should().HaveCount(Interfaces);
        fresh.GetRunResult().Results.Single().GeneratedSources.Should().HaveCount(Interfaces);
        PipelineInspector.EmitReasons(warm)
            .Should().NotBeEmpty().And.OnlyContain(r => r == IncrementalStepRunReason.Cached || r == IncrementalStepRunReason.Unchanged);
    }

    private static string Interface(int index)
    {
        var source = new StringBuilder($$"""
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using TypedBatch;

            namespace Load.Area{{index % 10}};

            public sealed record Item{{index}}(string Title, int Count);

            [PromptClient(Model = "gpt-4o-mini")]
            [System("You are assistant number {{index}}.")]
            public partial interface IPrompts{{index}}
            {

            """);
        for (int m = 0; m < MethodsPerInterface; m++)
        {
            source.Append(CultureInfo.InvariantCulture, $$"""
                    [User("Question {{m}} about {topic} and {item.Title} ({item.Count:N0}) on {day:yyyy-MM-dd}.")]
                    [Completion(Temperature = 0.{{m}}, MaxTokens = {{100 + m}})]
                    Task<string> Ask{{m}}Async(string topic, Item{{index}} item, DateTime day, CancellationToken cancellationToken = default);


                """);
        }

        return source.Append("}\n").ToString();
    }
}

/// <summary>Runs the timing report alone, so other tests do not share its CPU.</summary>
[CollectionDefinition(nameof(TimingReport), DisableParallelization = true)]
public sealed class RunsAlone
{
}
