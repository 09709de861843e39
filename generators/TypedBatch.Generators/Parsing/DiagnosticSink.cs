using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using TypedBatch.Generators.Model;

namespace TypedBatch.Generators.Parsing;

/// <summary>Where the parts of the parser put the diagnostics of one interface, as values.</summary>
internal sealed class DiagnosticSink
{
    public List<DiagnosticInfo> Items { get; } = new List<DiagnosticInfo>();

    /// <summary>Whether an error was reported: then the interface is not generated.</summary>
    public bool HasErrors => Items.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);

    public void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => Items.Add(DiagnosticInfo.Create(descriptor, location, arguments));
}
