namespace TypedBatch.Generators.Tests;

/// <summary>
/// The generated text of representative interfaces, compared exactly with baselines checked into Baselines/.
/// Regenerate with <c>TYPEDBATCH_UPDATE_BASELINES=1 dotnet test tests/TypedBatch.Generators.Tests</c> and review the diff.
/// </summary>
public sealed class BaselineTests
{
    public static TheoryData<string> Cases => Baselines.Cases;

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generated_source_matches_baseline(string caseName)
    {
        GeneratorRun run = GeneratorHarness.Run(Baselines.Compilation(caseName));
        var actual = run.Sources.ToDictionary(
            s => Baselines.FileName(caseName, s.HintName),
            s => Baselines.Scrub(s.Text),
            StringComparer.Ordinal);

        if (Baselines.Updating)
        {
            string folder = Baselines.SourceFolder();
            foreach (string stale in Baselines.Expected(caseName, folder).Keys.Except(actual.Keys))
            {
                File.Delete(Path.Combine(folder, stale));
            }

            foreach ((string name, string text) in actual)
            {
                File.WriteAllText(Path.Combine(folder, name), text);
            }

            Assert.Fail($"{Baselines.UpdateVariable}=1: baselines of '{caseName}' were written to {folder}. Review the diff, then run again without the variable.");
        }

        actual.Should().NotBeEmpty("every baseline case declares a prompt client");
        IReadOnlyDictionary<string, string> expected = Baselines.Expected(caseName, Baselines.OutputFolder);
        actual.Keys.Should().BeEquivalentTo(expected.Keys, $"the generated files must match the baselines (set {Baselines.UpdateVariable}=1 to regenerate)");
        foreach ((string name, string text) in actual)
        {
            text.Should().Be(expected[name], $"{name} must match its baseline (set {Baselines.UpdateVariable}=1 to regenerate)");
        }
    }
}
