using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TypedBatch.Generators.Model;

/// <summary>
/// A diagnostic as a value: descriptor id, where (file, span, line span) and message arguments. Holds no
/// <see cref="Location"/> or syntax, so it can sit in a cached pipeline step.
/// </summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan LineSpan, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        location ??= Location.None;
        FileLinePositionSpan lines = location.GetLineSpan();
        return new DiagnosticInfo(descriptor.Id, lines.Path ?? string.Empty, location.SourceSpan, lines.Span, new EquatableArray<string>(arguments));
    }

    public Diagnostic ToDiagnostic()
    {
        DiagnosticDescriptor descriptor = Diagnostics.DiagnosticDescriptors.ById(Id);
        Location location = FilePath.Length == 0 ? Location.None : Location.Create(FilePath, Span, LineSpan);
        object[] args = new object[Arguments.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = Arguments[i];
        }

        return Diagnostic.Create(descriptor, location, args);
    }
}

/// <summary>The outcome of parsing one interface: its model (null when it cannot be generated) and its diagnostics.</summary>
/// <param name="AotDiagnostics">Diagnostics reported only when the project publishes AOT or is trimmable.</param>
internal sealed record ParseResult(InterfaceModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, EquatableArray<DiagnosticInfo> AotDiagnostics);
