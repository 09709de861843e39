using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TypedBatch.Generators.Model;

/// <summary>
/// A diagnostic as a value: its descriptor, where (file, span, line span) and message arguments. Holds no
/// <see cref="Location"/> or syntax, so it can sit in a cached pipeline step.
/// </summary>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        location ??= Location.None;
        FileLinePositionSpan lines = location.GetLineSpan();
        return new DiagnosticInfo(descriptor, lines.Path ?? string.Empty, location.SourceSpan, lines.Span, new EquatableArray<string>(arguments));
    }

    /// <summary>
    /// The diagnostic at <paramref name="tree"/>, the compilation's own tree for <see cref="FilePath"/>. Only a location
    /// in a tree of the compilation is subject to <c>#pragma warning disable</c> and to per-file .editorconfig severities;
    /// an external location (path and span alone) is the fallback when no such tree exists.
    /// </summary>
    public Diagnostic ToDiagnostic(SyntaxTree? tree)
    {
        Location location = tree is not null && Span.End <= tree.Length
            ? Location.Create(tree, Span)
            : FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i];
        }

        return Diagnostic.Create(Descriptor, location, args);
    }
}

/// <summary>The outcome of parsing one interface: its model (null when it cannot be generated) and its diagnostics.</summary>
/// <param name="AotDiagnostics">Diagnostics reported only when the project publishes AOT or is trimmable.</param>
internal sealed record ParseResult(InterfaceModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, EquatableArray<DiagnosticInfo> AotDiagnostics);
