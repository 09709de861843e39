using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// Analyzer config files applied the way the compiler applies them: each tree's options and severities from
/// <see cref="AnalyzerConfigSet.GetOptionsForSourcePath"/>, global options (<c>build_property.*</c>) from the global
/// section, severities handed to the compilation through <see cref="TreeOptions"/>.
/// </summary>
internal sealed class EditorConfigOptions : AnalyzerConfigOptionsProvider
{
    private readonly ImmutableDictionary<SyntaxTree, AnalyzerConfigOptionsResult> _trees;
    private readonly AnalyzerConfigOptionsResult _global;

    public EditorConfigOptions(AnalyzerConfigSet set, IEnumerable<SyntaxTree> trees)
    {
        _trees = trees.ToImmutableDictionary(t => t, t => set.GetOptionsForSourcePath(t.FilePath));
        _global = set.GlobalConfigOptions;
        TreeOptions = new SeverityOptions(_trees, _global);
    }

    public SyntaxTreeOptionsProvider TreeOptions { get; }

    public override AnalyzerConfigOptions GlobalOptions => new Options(_global.AnalyzerOptions);

    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree)
        => new Options(_trees.TryGetValue(tree, out AnalyzerConfigOptionsResult result) ? result.AnalyzerOptions : ImmutableDictionary<string, string>.Empty);

    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(ImmutableDictionary<string, string>.Empty);

    private sealed class Options(ImmutableDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }

    private sealed class SeverityOptions(ImmutableDictionary<SyntaxTree, AnalyzerConfigOptionsResult> trees, AnalyzerConfigOptionsResult global) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.Unknown;

        public override bool TryGetDiagnosticValue(SyntaxTree tree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
        {
            severity = ReportDiagnostic.Default;
            return trees.TryGetValue(tree, out AnalyzerConfigOptionsResult result) && result.TreeOptions.TryGetValue(diagnosticId, out severity);
        }

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity)
            => global.TreeOptions.TryGetValue(diagnosticId, out severity);
    }
}
