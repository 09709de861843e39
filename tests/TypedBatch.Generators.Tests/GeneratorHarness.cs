using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TypedBatch.Generators.Tests;

/// <summary>One generated file: its hint name and text.</summary>
internal sealed record GeneratedFile(string HintName, string Text);

/// <summary>What one generator run produced.</summary>
internal sealed record GeneratorRun(
    GeneratorDriver Driver,
    GeneratorDriverRunResult Result,
    ImmutableArray<GeneratedFile> Sources,
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    Compilation OutputCompilation)
{
    /// <summary>The generator's diagnostics that a build shows: those not suppressed by <c>#pragma</c> or configuration.</summary>
    public ImmutableArray<Diagnostic> ReportedDiagnostics => GeneratorDiagnostics.Where(d => !d.IsSuppressed).ToImmutableArray();

    /// <summary>The output compilation's errors and warnings (hidden and info diagnostics left out).</summary>
    public ImmutableArray<Diagnostic> CompilationProblems => OutputCompilation.GetDiagnostics()
        .Where(d => d.Severity is DiagnosticSeverity.Error or DiagnosticSeverity.Warning)
        .ToImmutableArray();
}

/// <summary>Builds compilations the way a consumer's build does and runs <see cref="PromptClientGenerator"/> over them.</summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.CSharp12);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        string trusted = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => Path.GetFileName(path) != "TypedBatch.dll")
            .Append(typeof(TypedBatchClient).Assembly.Location)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    });

    /// <summary>A syntax tree with a file path, as in a real project (diagnostic locations carry the path).</summary>
    public static SyntaxTree Tree(string source, string path = "/src/Input.cs")
        => CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    public static CSharpCompilation Compilation(params SyntaxTree[] trees)
        => CSharpCompilation.Create(
            "Consumer",
            trees,
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static CSharpCompilation Compilation(string source) => Compilation(Tree(source));

    /// <summary>A driver as the build creates it; <paramref name="options"/> are what MSBuild and .editorconfig pass to generators.</summary>
    public static GeneratorDriver CreateDriver(AnalyzerConfigOptionsProvider? options = null) => CSharpGeneratorDriver.Create(
        new[] { new PromptClientGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        optionsProvider: options,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GeneratorRun Run(string source) => Run(CreateDriver(), Compilation(source));

    public static GeneratorRun Run(Compilation compilation) => Run(CreateDriver(), compilation);

    /// <summary>
    /// Runs the generator as a build with these analyzer config files does: <paramref name="configs"/> (path, text) reach
    /// the generator as options and the compilation as per-file and global diagnostic severities.
    /// </summary>
    public static GeneratorRun Run(Compilation compilation, params (string Path, string Text)[] configs)
    {
        var set = AnalyzerConfigSet.Create(configs.Select(c => AnalyzerConfig.Parse(c.Text, c.Path)).ToImmutableArray());
        var editorConfig = new EditorConfigOptions(set, compilation.SyntaxTrees);
        CompilationOptions options = compilation.Options.WithSyntaxTreeOptionsProvider(editorConfig.TreeOptions);
        return Run(CreateDriver(editorConfig), compilation.WithOptions(options));
    }

    /// <summary>Runs <paramref name="driver"/> (fresh or from an earlier run) over <paramref name="compilation"/>.</summary>
    public static GeneratorRun Run(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorDriverRunResult result = driver.GetRunResult();
        GeneratorRunResult single = result.Results.Single();
        single.Exception.Should().BeNull("the generator must never throw");
        var sources = single.GeneratedSources
            .Select(s => new GeneratedFile(s.HintName, s.SourceText.ToString()))
            .OrderBy(s => s.HintName, StringComparer.Ordinal)
            .ToImmutableArray();
        return new GeneratorRun(driver, result, sources, diagnostics, output);
    }
}
