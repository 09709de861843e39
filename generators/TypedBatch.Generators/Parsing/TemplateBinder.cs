using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedBatch.Generators.Diagnostics;
using TypedBatch.Generators.Model;
using static TypedBatch.Generators.Parsing.SymbolQueries;

namespace TypedBatch.Generators.Parsing;

/// <summary>
/// Binds a parsed template to the method's parameters: each placeholder becomes a member path with its null-safety,
/// checked for unknown names and members and for formats on values that are not IFormattable.
/// </summary>
internal static class TemplateBinder
{
    public static EquatableArray<Segment>? Bind(AttributeData attribute, IMethodSymbol method, List<IParameterSymbol> parameters, HashSet<string> used, string owner, DiagnosticSink sink, CancellationToken cancellationToken)
    {
        string template = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string text ? text : string.Empty;
        AttributeArgumentSyntax? argument = (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments.FirstOrDefault();
        var errors = new List<TemplateError>();
        List<TemplatePart> parts = TemplateParser.Parse(template, errors);
        foreach (TemplateError error in errors)
        {
            // Reported for the template's owner, so a mistake in an interface-level [System] is reported once.
            sink.Report(DiagnosticDescriptors.MalformedTemplate, SpanIn(argument, error.Start, error.Length), owner, error.Message);
        }

        bool ok = errors.Count == 0;
        var segments = new List<Segment>();
        foreach (TemplatePart part in parts)
        {
            if (part.IsLiteral)
            {
                segments.Add(Segment.Literal(part.Literal!));
                continue;
            }

            Location? where = SpanIn(argument, part.Start, part.Length);
            string[] path = part.Path!;
            IParameterSymbol? parameter = parameters.FirstOrDefault(p => p.Name == path[0]);
            if (parameter is null)
            {
                string names = parameters.Count == 0 ? "(none)" : string.Join(", ", parameters.Select(p => p.Name));
                sink.Report(DiagnosticDescriptors.UnknownPlaceholder, where, part.PlaceholderText, method.Name, names);
                ok = false;
                continue;
            }

            used.Add(parameter.Name);
            ITypeSymbol type = parameter.Type;
            var hops = new List<PathHop> { new PathHop(parameter.Name, MayBeNull(type)) };
            bool failedPath = false;
            for (int i = 1; i < path.Length; i++)
            {
                ITypeSymbol receiver = UnderlyingIfNullable(type);
                ISymbol? member = FindMember(receiver, path[i]);
                if (member is null)
                {
                    sink.Report(DiagnosticDescriptors.UnknownMember, where, receiver.ToDisplayString(), path[i], part.PlaceholderText);
                    failedPath = true;
                    break;
                }

                type = member is IPropertySymbol property ? property.Type : ((IFieldSymbol)member).Type;
                hops.Add(new PathHop(member.Name, MayBeNull(type)));
            }

            if (failedPath)
            {
                ok = false;
                continue;
            }

            if (part.Format is not null && !IsFormattable(UnderlyingIfNullable(type)))
            {
                sink.Report(DiagnosticDescriptors.FormatOnNonFormattable, where, part.PlaceholderText, part.Format, type.ToDisplayString());
                ok = false;
                continue;
            }

            segments.Add(Segment.Value(new EquatableArray<PathHop>(hops), part.Format, type.SpecialType == SpecialType.System_String));
        }

        return ok ? new EquatableArray<Segment>(segments) : null;
    }

    private static bool MayBeNull(ITypeSymbol type)
        => type.IsReferenceType || type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T || type.TypeKind == TypeKind.TypeParameter;

    private static bool IsFormattable(ITypeSymbol type)
        => IsType(type, TypeNames.IFormattable) || type.AllInterfaces.Any(i => IsType(i, TypeNames.IFormattable));

    private static ISymbol? FindMember(ITypeSymbol type, string name)
    {
        IEnumerable<ITypeSymbol> types = type.TypeKind == TypeKind.Interface ? new[] { type }.Concat(type.AllInterfaces) : BaseTypes(type);
        foreach (ITypeSymbol candidate in types)
        {
            foreach (ISymbol member in candidate.GetMembers(name))
            {
                if (member.DeclaredAccessibility == Accessibility.Public && !member.IsStatic
                    && (member is IPropertySymbol { GetMethod: not null, Parameters.Length: 0 } || member is IFieldSymbol))
                {
                    return member;
                }
            }
        }

        return null;
    }

    private static IEnumerable<ITypeSymbol> BaseTypes(ITypeSymbol type)
    {
        for (ITypeSymbol? current = type; current is not null; current = current.BaseType)
        {
            yield return current;
        }
    }

    /// <summary>
    /// The location of characters [start, start+length) of a template, when the argument is a plain string
    /// literal whose characters map one to one onto the value; else the whole argument.
    /// </summary>
    private static Location? SpanIn(AttributeArgumentSyntax? argument, int start, int length)
    {
        if (argument is null)
        {
            return null;
        }

        if (argument.Expression is LiteralExpressionSyntax { Token: var token } literal && literal.IsKind(SyntaxKind.StringLiteralExpression))
        {
            string text = token.Text;
            int prefix = -1;
            if (text.StartsWith("\"\"\"", System.StringComparison.Ordinal))
            {
                int quotes = text.TakeWhile(c => c == '"').Count();
                prefix = text.IndexOf('\n') < 0 ? quotes : -1;
            }
            else if (text.StartsWith("@\"", System.StringComparison.Ordinal))
            {
                prefix = text.IndexOf("\"\"", 2, System.StringComparison.Ordinal) < 0 ? 2 : -1;
            }
            else if (text.StartsWith("\"", System.StringComparison.Ordinal))
            {
                prefix = text.IndexOf('\\') < 0 ? 1 : -1;
            }

            if (prefix >= 0)
            {
                var span = new Microsoft.CodeAnalysis.Text.TextSpan(token.SpanStart + prefix + start, length);
                return Location.Create(argument.SyntaxTree, span);
            }
        }

        return argument.GetLocation();
    }
}
