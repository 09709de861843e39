namespace TypedBatch.Generators.Tests;

/// <summary>Every baseline input is a valid prompt client: no generator diagnostics, and the generated code compiles cleanly.</summary>
public sealed class ValidSampleTests
{
    public static TheoryData<string> Cases => Baselines.Cases;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generator_reports_nothing_for_a_valid_interface(string caseName)
    {
        GeneratorRun run = GeneratorHarness.Run(Baselines.Compilation(caseName));

        run.GeneratorDiagnostics.Should().BeEmpty();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_code_compiles_without_errors_or_warnings(string caseName)
    {
        GeneratorRun run = GeneratorHarness.Run(Baselines.Compilation(caseName));

        run.Sources.Should().NotBeEmpty();
        run.CompilationProblems.Select(d => d.ToString()).Should().BeEmpty();
    }
}
