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
/// Turns one <c>[PromptClient]</c> interface symbol into a plain <see cref="InterfaceModel"/> and its diagnostics.
/// Everything that needs the semantic model happens in Parsing/; the emitter sees only values. This file reads the
/// interface; PromptClientParser.Method.cs each method, <see cref="TemplateBinder"/> its templates and
/// <see cref="SettingsReader"/> its request settings.
/// </summary>
internal sealed partial class PromptClientParser
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private readonly DiagnosticSink _sink = new DiagnosticSink();
    private readonly List<DiagnosticInfo> _aotDiagnostics = new List<DiagnosticInfo>();
    private readonly SortedSet<string> _enumTypes = new SortedSet<string>(System.StringComparer.Ordinal);
    private INamedTypeSymbol? _jsonContext;
    private NamingPolicy _namingPolicy;
    private Location? _jsonContextLocation;
    private bool _usesReflectionJson;
    private readonly CancellationToken _cancellationToken;

    private PromptClientParser(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var parser = new PromptClientParser(cancellationToken);
        InterfaceModel? model = parser.ParseInterface((INamedTypeSymbol)context.TargetSymbol, (InterfaceDeclarationSyntax)context.TargetNode, context.Attributes[0]);
        // One mistake in an interface-level template would otherwise be reported once per method.
        DiagnosticInfo[] distinct = parser._sink.Items.Distinct().ToArray();
        return new ParseResult(parser._sink.HasErrors ? null : model, new EquatableArray<DiagnosticInfo>(distinct), new EquatableArray<DiagnosticInfo>(parser._aotDiagnostics));
    }

    private InterfaceModel? ParseInterface(INamedTypeSymbol symbol, InterfaceDeclarationSyntax syntax, AttributeData promptClient)
    {
        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            Report(DiagnosticDescriptors.InterfaceNotPartial, syntax.Identifier.GetLocation(), symbol.Name);
            return null;
        }

        if (symbol.ContainingType is not null)
        {
            Report(DiagnosticDescriptors.UnsupportedInterface, syntax.Identifier.GetLocation(), symbol.Name, "it is nested in another type; declare it at namespace level");
            return null;
        }

        if (symbol.IsGenericType)
        {
            Report(DiagnosticDescriptors.UnsupportedInterface, syntax.Identifier.GetLocation(), symbol.Name, "it is generic");
            return null;
        }

        var interfaceSettings = new SettingsBuilder();
        if (Named(promptClient, "Model") is { } model)
        {
            interfaceSettings.Model = model.Value as string;
        }

        ReadJsonContext(promptClient);

        List<(string Role, AttributeData Attribute)> interfaceMessages = Messages(symbol, allowUserAndAssistant: false);
        if (Find(symbol, TypeNames.CompletionAttribute) is { } interfaceCompletion)
        {
            SettingsReader.Read(interfaceCompletion, interfaceSettings, _sink, _cancellationToken);
        }

        IMethodSymbol[] methods = symbol.GetMembers().OfType<IMethodSymbol>()
            .Where(m => m.MethodKind == Microsoft.CodeAnalysis.MethodKind.Ordinary && m.IsAbstract && !m.IsStatic)
            .OrderBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
            .ToArray();

        // The generated class implements only prompt methods: anything else abstract would be left unimplemented.
        foreach (ISymbol member in symbol.GetMembers().Where(m => m.IsAbstract && !(m is IMethodSymbol { MethodKind: Microsoft.CodeAnalysis.MethodKind.Ordinary, IsStatic: false } || m is IMethodSymbol { AssociatedSymbol: not null })))
        {
            Report(DiagnosticDescriptors.UnsupportedMember, member.Locations.FirstOrDefault(), member.Name, symbol.Name, "only methods can be prompts; give it a default implementation or move it to another interface");
        }

        foreach (INamedTypeSymbol baseInterface in symbol.AllInterfaces)
        {
            foreach (ISymbol member in baseInterface.GetMembers().Where(m => m.IsAbstract && !m.IsStatic))
            {
                Report(DiagnosticDescriptors.UnsupportedMember, syntax.Identifier.GetLocation(), $"{baseInterface.Name}.{member.Name}", symbol.Name, "members inherited from another interface are not implemented by the generator; declare the prompt methods on the [PromptClient] interface itself");
            }
        }

        var declaredNames = new Dictionary<string, ISymbol>();
        foreach (ISymbol member in symbol.GetMembers().OrderBy(m => m.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0))
        {
            if (!declaredNames.ContainsKey(member.Name))
            {
                declaredNames.Add(member.Name, member);
            }
        }

        var models = new List<MethodModel>();
        var generatedNames = new Dictionary<string, string>();
        foreach (IMethodSymbol method in methods)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            MethodModel? methodModel = ParseMethod(method, interfaceMessages, interfaceSettings);
            if (methodModel is null)
            {
                continue;
            }

            foreach (string generated in methodModel.GeneratedNames)
            {
                if (declaredNames.TryGetValue(generated, out ISymbol? clash))
                {
                    Report(DiagnosticDescriptors.MemberCollision, clash.Locations.FirstOrDefault(), generated, method.Name);
                }
                else if (generatedNames.TryGetValue(generated, out string? other))
                {
                    Report(DiagnosticDescriptors.MemberCollision, method.Locations.FirstOrDefault(), generated, other);
                }
                else
                {
                    generatedNames.Add(generated, method.Name);
                }
            }

            models.Add(methodModel);
        }

        string? ns = symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString();
        string baseName = symbol.Name.Length > 1 && symbol.Name[0] == 'I' && char.IsUpper(symbol.Name[1]) ? symbol.Name.Substring(1) : symbol.Name;
        string accessibility = symbol.DeclaredAccessibility == Accessibility.Public ? "public" : "internal";
        return new InterfaceModel(
            typeof(PromptClientParser).Assembly.GetName().Version?.ToString() ?? "0.0.0.0",
            ns,
            symbol.Name,
            accessibility,
            baseName + "PromptClient",
            (ns is null ? string.Empty : ns + ".") + symbol.Name + ".g.cs",
            new EquatableArray<MethodModel>(models),
            _jsonContext?.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            new EquatableArray<string>(_enumTypes));
    }

    /// <summary>Reads <c>[PromptClient(JsonContext = typeof(...))]</c> and the naming policy its options declare.</summary>
    private void ReadJsonContext(AttributeData promptClient)
    {
        if (Named(promptClient, "JsonContext") is not { Value: INamedTypeSymbol context })
        {
            return;
        }

        var syntax = promptClient.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
        _jsonContextLocation = syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "JsonContext")?.GetLocation() ?? syntax?.GetLocation();
        bool isContext = false;
        for (INamedTypeSymbol? t = context.BaseType; t is not null; t = t.BaseType)
        {
            isContext |= t.ToDisplayString() == TypeNames.JsonSerializerContext;
        }

        if (!isContext)
        {
            Report(DiagnosticDescriptors.JsonContextNotAContext, _jsonContextLocation, context.ToDisplayString());
            return;
        }

        _jsonContext = context;
        AttributeData? options = context.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonSourceGenerationOptionsAttribute);
        foreach (KeyValuePair<string, TypedConstant> argument in options?.NamedArguments ?? Enumerable.Empty<KeyValuePair<string, TypedConstant>>())
        {
            if (argument.Key == "PropertyNamingPolicy" && argument.Value.Value is int policy && policy is >= 0 and <= 5)
            {
                _namingPolicy = (NamingPolicy)policy;
            }
        }

        // JsonSourceGenerationOptions(JsonSerializerDefaults.Web) means camelCase.
        if (options is { ConstructorArguments.Length: 1 } && options.ConstructorArguments[0].Value is int defaults && defaults == 1 && _namingPolicy == NamingPolicy.None)
        {
            _namingPolicy = NamingPolicy.CamelCase;
        }
    }

    private static List<(string Role, AttributeData Attribute)> Messages(ISymbol symbol, bool allowUserAndAssistant)
    {
        var messages = new List<(string Role, AttributeData Attribute, int Position)>();
        foreach (AttributeData attribute in symbol.GetAttributes())
        {
            string? role = attribute.AttributeClass?.ToDisplayString() switch
            {
                TypeNames.SystemAttribute => "System",
                TypeNames.UserAttribute when allowUserAndAssistant => "User",
                TypeNames.AssistantAttribute when allowUserAndAssistant => "Assistant",
                _ => null,
            };
            if (role is not null)
            {
                messages.Add((role, attribute, attribute.ApplicationSyntaxReference?.Span.Start ?? 0));
            }
        }

        // Declaration order is message order.
        return messages.OrderBy(m => m.Position).Select(m => (m.Role, m.Attribute)).ToList();
    }

    private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => _sink.Report(descriptor, location, arguments);
}
