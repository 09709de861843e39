using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
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

        // 3. Report diagnostics.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (r, _) => r.Diagnostics)
            .Where(static d => d.Count > 0)
            .WithTrackingName(TrackingNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (spc, items) =>
        {
            foreach (DiagnosticInfo item in items)
            {
                spc.ReportDiagnostic(item.ToDiagnostic());
            }
        });

        // 3b. Warn about reflection-based JSON only in projects that trim or publish Native AOT.
        IncrementalValueProvider<bool> trimmed = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => IsTrue(options.GlobalOptions, "build_property.PublishAot") || IsTrue(options.GlobalOptions, "build_property.IsTrimmable") || IsTrue(options.GlobalOptions, "build_property.IsAotCompatible"));
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> aotDiagnostics = results
            .Select(static (r, _) => r.AotDiagnostics)
            .Where(static d => d.Count > 0)
            .Combine(trimmed)
            .Where(static pair => pair.Right)
            .Select(static (pair, _) => pair.Left);
        context.RegisterSourceOutput(aotDiagnostics, static (spc, items) =>
        {
            foreach (DiagnosticInfo item in items)
            {
                spc.ReportDiagnostic(item.ToDiagnostic());
            }
        });

        // 4. Emit one file per valid interface.
        IncrementalValuesProvider<InterfaceModel> models = results
            .Where(static r => r.Model is not null)
            .Select(static (r, _) => r.Model!)
            .WithTrackingName(TrackingNames.Models);
        context.RegisterSourceOutput(models, static (spc, model) =>
            spc.AddSource(model.HintName, SourceText.From(PromptClientEmitter.Emit(model), System.Text.Encoding.UTF8)));
    }

    private static bool IsTrue(Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions options, string key)
        => options.TryGetValue(key, out string? value) && string.Equals(value, "true", System.StringComparison.OrdinalIgnoreCase);
}
