using System.Text.RegularExpressions;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// Where baseline inputs and expected outputs live: read from the test's output folder (copied there by the build),
/// written into the source tree only when <c>TYPEDBATCH_UPDATE_BASELINES=1</c>.
/// </summary>
internal static partial class Baselines
{
    public const string UpdateVariable = "TYPEDBATCH_UPDATE_BASELINES";

    public static string OutputFolder => Path.Combine(AppContext.BaseDirectory, "Baselines");

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    public static IEnumerable<string> CaseNames => Directory.EnumerateFiles(Path.Combine(OutputFolder, "Inputs"), "*.cs")
        .Select(path => Path.GetFileNameWithoutExtension(path))
        .Order(StringComparer.Ordinal);

    public static TheoryData<string> Cases => new(CaseNames);

    public static string Input(string caseName) => File.ReadAllText(Path.Combine(OutputFolder, "Inputs", caseName + ".cs"));

    public static Microsoft.CodeAnalysis.CSharp.CSharpCompilation Compilation(string caseName)
        => GeneratorHarness.Compilation(GeneratorHarness.Tree(Input(caseName), $"/src/{caseName}.cs"));

    public static string FileName(string caseName, string hintName) => $"{caseName}.{hintName}.generated.txt";

    /// <summary>The expected files of a case, by file name.</summary>
    public static IReadOnlyDictionary<string, string> Expected(string caseName, string folder)
        => Directory.EnumerateFiles(folder, caseName + ".*.generated.txt")
            .ToDictionary(path => Path.GetFileName(path), path => Normalize(File.ReadAllText(path)), StringComparer.Ordinal);

    /// <summary>The baselines folder in the source tree: next to the TypedBatch.sln found above the test's output folder.</summary>
    public static string SourceFolder()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TypedBatch.sln")))
            {
                return Path.Combine(dir.FullName, "tests", "TypedBatch.Generators.Tests", "Baselines");
            }
        }

        throw new InvalidOperationException("TypedBatch.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Generated text with the generator version scrubbed and line endings normalized.</summary>
    public static string Scrub(string generated)
        => Normalize(GeneratedCodeVersion().Replace(generated, "$1\"VERSION\")"));

    public static string Normalize(string text) => text.ReplaceLineEndings("\n");

    [GeneratedRegex("""(GeneratedCode\("TypedBatch\.Generators", )"[^"]*"\)""")]
    private static partial Regex GeneratedCodeVersion();
}
