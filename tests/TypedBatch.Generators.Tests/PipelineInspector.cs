using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace TypedBatch.Generators.Tests;

/// <summary>Reads a run's tracked pipeline steps: their run reasons, and whether their values hold Roslyn objects.</summary>
internal static class PipelineInspector
{
    /// <summary>Types that must never be cached in a step: each pins a compilation in memory or changes on every edit.</summary>
    private static readonly Type[] Banned =
    [
        typeof(ISymbol), typeof(SyntaxNode), typeof(SyntaxTree), typeof(SemanticModel), typeof(Compilation), typeof(Location), typeof(AttributeData),
    ];

    /// <summary>The generator's own step names (every constant in <see cref="TrackingNames"/>).</summary>
    public static IReadOnlyList<string> TrackingNames { get; } = typeof(TrackingNames)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(string))
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToArray();

    /// <summary>Every output of the generator's named steps, as "step: reason".</summary>
    public static IEnumerable<(string Step, object Value, IncrementalStepRunReason Reason)> StepOutputs(GeneratorRunResult result)
        => TrackingNames
            .Where(result.TrackedSteps.ContainsKey)
            .SelectMany(name => result.TrackedSteps[name].SelectMany(step => step.Outputs.Select(o => (name, o.Value, o.Reason))));

    /// <summary>The reasons of the source outputs that added files (the emit step).</summary>
    public static IEnumerable<IncrementalStepRunReason> EmitReasons(GeneratorRunResult result)
        => SourceOutputs(result).Where(o => o.Sources > 0).Select(o => o.Reason);

    /// <summary>The reasons of the source outputs that only reported diagnostics (the report steps).</summary>
    public static IEnumerable<IncrementalStepRunReason> ReportReasons(GeneratorRunResult result)
        => SourceOutputs(result).Where(o => o.Sources == 0 && o.Diagnostics > 0).Select(o => o.Reason);

    // A source output step's value is the pair of what it added, (generated sources, diagnostics); the sources'
    // element type is internal to Roslyn, so both are counted through the tuple.
    private static IEnumerable<(int Sources, int Diagnostics, IncrementalStepRunReason Reason)> SourceOutputs(GeneratorRunResult result)
        => result.TrackedOutputSteps.SelectMany(pair => pair.Value).SelectMany(step => step.Outputs)
            .Select(o => o.Value is ITuple pair ? (Count(pair[0]), Count(pair[1]), o.Reason) : throw new InvalidOperationException($"Unexpected source output value {o.Value}."));

    private static int Count(object? items) => ((IEnumerable)items!).Cast<object>().Count();

    /// <summary>Paths to every banned object reachable from <paramref name="value"/> through fields and enumerables.</summary>
    public static List<string> FindBanned(object? value, string path)
    {
        var found = new List<string>();
        Walk(value, path, new HashSet<object>(ReferenceEqualityComparer.Instance), found);
        return found;
    }

    private static void Walk(object? value, string path, HashSet<object> visited, List<string> found)
    {
        if (value is null)
        {
            return;
        }

        Type type = value.GetType();
        if (Banned.Any(banned => banned.IsAssignableFrom(type)))
        {
            found.Add($"{path} is a {type.Name}");
            return;
        }

        if (type.IsPrimitive || type.IsEnum || value is string or decimal || type.IsPointer || (!type.IsValueType && !visited.Add(value)))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            int index = 0;
            foreach (object? item in items)
            {
                Walk(item, $"{path}[{index++}]", visited, found);
            }
        }

        for (Type? current = type; current is not null && current != typeof(object); current = current.BaseType)
        {
            foreach (FieldInfo field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (!field.FieldType.IsPointer && !field.FieldType.IsByRefLike)
                {
                    Walk(field.GetValue(value), $"{path}.{field.Name}", visited, found);
                }
            }
        }
    }
}
