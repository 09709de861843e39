using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TypedBatch.Generators.Emitting;
using TypedBatch.Generators.Model;
using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators;

/// <summary>
/// Generates typed single, batch and as-completed methods for <c>[PromptClient]</c> interfaces.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PromptClientGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // 1. Find interfaces carrying [PromptClient]: a cheap syntax check, then the attribute by metadata name.
        // 2. Parse each into an equatable model plus diagnostics; no symbol, syntax or compilation survives this step,
        //    so an edit elsewhere leaves the step's output equal and everything after it cached.
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TypeNames.PromptClientAttribute,
                predicate: static (node, _) => node is InterfaceDeclarationSyntax,
                transform: static (ctx, ct) => PromptClientParser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Interfaces);

        // 3. Diagnostics of each interface.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (r, _) => r.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(TrackingNames.Diagnostics);

        // 4. Whether the project trims or publishes Native AOT, and the reflection-JSON warnings that only such a project gets.
        IncrementalValueProvider<bool> trimmed = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => IsTrue(options.GlobalOptions, BuildProperties.PublishAot) || IsTrue(options.GlobalOptions, BuildProperties.IsTrimmable) || IsTrue(options.GlobalOptions, BuildProperties.IsAotCompatible))
            .WithTrackingName(TrackingNames.TrimmedOptions);
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> aotDiagnostics = results
            .Select(static (r, _) => r.AotDiagnostics)
            .Where(static d => d.Count > 0)
            .Combine(trimmed)
            .Where(static pair => pair.Right)
            .Select(static (pair, _) => pair.Left)
            .WithTrackingName(TrackingNames.AotDiagnostics);

        // 5. Report both at real locations in the compilation's trees, so #pragma and .editorconfig severities apply.
        //    The compilation joins only here, after parsing and only for interfaces that have diagnostics: an edit
        //    re-runs this cheap mapping, never the parser or the emitter.
        ReportAtSourceLocations(context, diagnostics);
        ReportAtSourceLocations(context, aotDiagnostics);

        // 6. Emit one file per valid interface.
        IncrementalValuesProvider<InterfaceModel> models = results
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models, static (spc, model) =>
            spc.AddSource(model.HintName, SourceText.From(PromptClientEmitter.Emit(model), System.Text.Encoding.UTF8)));
    }

    private static void ReportAtSourceLocations(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics)
        => context.RegisterSourceOutput(diagnostics.Combine(context.CompilationProvider), static (spc, pair) =>
        {
            var trees = new Dictionary<string, SyntaxTree>(System.StringComparer.Ordinal);
            foreach (SyntaxTree tree in pair.Right.SyntaxTrees)
            {
                // Several trees without a path (in-memory sources) cannot be told apart: leave those unmapped.
                if (tree.FilePath.Length > 0 && !trees.ContainsKey(tree.FilePath))
                {
                    trees.Add(tree.FilePath, tree);
                }
            }

            foreach (DiagnosticInfo item in pair.Left)
            {
                spc.ReportDiagnostic(item.ToDiagnostic(trees.TryGetValue(item.FilePath, out SyntaxTree? tree) ? tree : null));
            }
        });

    private static bool IsTrue(AnalyzerConfigOptions options, string key)
        => options.TryGetValue(key, out string? value) && string.Equals(value, "true", System.StringComparison.OrdinalIgnoreCase);
}
