using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedBatch.Generators.Diagnostics;
using TypedBatch.Generators.Model;

namespace TypedBatch.Generators.Parsing;

/// <summary>
/// Turns one <c>[PromptClient]</c> interface symbol into a plain <see cref="InterfaceModel"/> and its diagnostics.
/// Everything that needs the semantic model happens here; the emitter sees only strings.
/// </summary>
internal sealed class PromptClientParser
{
    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();
    private readonly List<DiagnosticInfo> _aotDiagnostics = new List<DiagnosticInfo>();
    private readonly SortedSet<string> _enumTypes = new SortedSet<string>(System.StringComparer.Ordinal);
    private INamedTypeSymbol? _jsonContext;
    private NamingPolicy _namingPolicy;
    private Location? _jsonContextLocation;
    private bool _usesReflectionJson;
    private readonly CancellationToken _cancellationToken;

    private PromptClientParser(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

    private bool HasErrors => _diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var parser = new PromptClientParser(cancellationToken);
        InterfaceModel? model = parser.ParseInterface((INamedTypeSymbol)context.TargetSymbol, (InterfaceDeclarationSyntax)context.TargetNode, context.Attributes[0]);
        // One mistake in an interface-level template would otherwise be reported once per method.
        DiagnosticInfo[] distinct = parser._diagnostics.Distinct().ToArray();
        return new ParseResult(parser.HasErrors ? null : model, new EquatableArray<DiagnosticInfo>(distinct), new EquatableArray<DiagnosticInfo>(parser._aotDiagnostics));
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
            ReadCompletion(interfaceCompletion, interfaceSettings);
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

            foreach (string generated in new[] { methodModel.BatchName, methodModel.AsCompletedName, methodModel.RenderName })
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

    /// <summary>The strict schema of a typed result, and the checks that it can be requested and parsed.</summary>
    private StructuredModel? ParseStructured(IMethodSymbol method, ITypeSymbol resultType, int maxRepairs)
    {
        Location? returnLocation = (method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as MethodDeclarationSyntax)?.ReturnType.GetLocation() ?? method.Locations.FirstOrDefault();
        SchemaResult schema = JsonSchemaBuilder.Build(resultType, _namingPolicy);
        foreach (string error in schema.Errors)
        {
            Report(DiagnosticDescriptors.TypeNotExpressible, returnLocation, method.Name, error);
        }

        if (schema.Errors.Count > 0)
        {
            return null;
        }

        if (_jsonContext is null)
        {
            if (!_usesReflectionJson)
            {
                _usesReflectionJson = true;
                _aotDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReflectionJsonInAotProject, method.ContainingType.Locations.FirstOrDefault(), method.ContainingType.Name));
            }
        }
        else if (!_jsonContext.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonSerializableAttribute
            && a.ConstructorArguments.FirstOrDefault().Value is ITypeSymbol declared
            && SymbolEqualityComparer.Default.Equals(declared.WithNullableAnnotation(NullableAnnotation.NotAnnotated), resultType.WithNullableAnnotation(NullableAnnotation.NotAnnotated))))
        {
            Report(DiagnosticDescriptors.JsonContextMissingType, returnLocation, _jsonContext.Name, resultType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(), method.Name);
            return null;
        }

        foreach (string enumType in schema.EnumTypes)
        {
            _enumTypes.Add(enumType);
        }

        return new StructuredModel(schema.Name, schema.Json, schema.Wrapped, maxRepairs);
    }

    private MethodModel? ParseMethod(IMethodSymbol method, List<(string Role, AttributeData Attribute)> interfaceMessages, SettingsBuilder interfaceSettings)
    {
        Location? location = method.Locations.FirstOrDefault();
        if (method.IsGenericMethod)
        {
            Report(DiagnosticDescriptors.GenericMethod, location, method.Name);
            return null;
        }

        bool isEmbedding = Find(method, TypeNames.EmbeddingAttribute) is not null;
        if (!TryGetResult(method, isEmbedding, out ResultKind result, out string resultType, out bool valueTask))
        {
            Location? returnLocation = (method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as MethodDeclarationSyntax)?.ReturnType.GetLocation() ?? location;
            Report(DiagnosticDescriptors.UnsupportedReturnType, returnLocation, method.Name, method.ReturnType.ToDisplayString());
            return null;
        }

        var parameters = new List<IParameterSymbol>();
        string? tokenName = null;
        bool failed = false;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                Report(DiagnosticDescriptors.RefParameter, parameter.Locations.FirstOrDefault(), parameter.Name, method.Name);
                failed = true;

                // Still a parameter its templates may name: TB0011 alone says what is wrong, not also TB0003.
                if (!IsType(parameter.Type, TypeNames.CancellationToken))
                {
                    parameters.Add(parameter);
                }
            }
            else if (IsType(parameter.Type, TypeNames.CancellationToken))
            {
                if (tokenName is not null)
                {
                    Report(DiagnosticDescriptors.TooManyCancellationTokens, parameter.Locations.FirstOrDefault(), method.Name);
                    failed = true;
                }

                tokenName = parameter.Name;
            }
            else
            {
                if (parameter.Type.IsRefLikeType || parameter.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
                {
                    Report(DiagnosticDescriptors.RefParameter, parameter.Locations.FirstOrDefault(), parameter.Name, method.Name);
                    failed = true;
                }

                parameters.Add(parameter);
            }
        }

        if (parameters.Count > 1)
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                if (IsReservedTupleName(parameters[i].Name, i))
                {
                    Report(DiagnosticDescriptors.ReservedTupleName, parameters[i].Locations.FirstOrDefault(), parameters[i].Name, method.Name);
                    failed = true;
                }
            }
        }

        string baseName = method.Name.EndsWith("Async", System.StringComparison.Ordinal) && method.Name.Length > 5
            ? method.Name.Substring(0, method.Name.Length - 5)
            : method.Name;
        var parameterModels = new EquatableArray<ParameterModel>(parameters.Select(p => new ParameterModel(p.Name, p.Type.ToDisplayString(TypeFormat))));

        SettingsBuilder settings = interfaceSettings.Clone();
        if (Find(method, TypeNames.CompletionAttribute) is { } completion)
        {
            ReadCompletion(completion, settings);
        }

        List<(string Role, AttributeData Attribute)> methodMessages = Messages(method, allowUserAndAssistant: true);
        var messages = new List<MessageModel>();
        if (isEmbedding)
        {
            AttributeData embedding = Find(method, TypeNames.EmbeddingAttribute)!;
            if (Named(embedding, "Model") is { } embeddingModel)
            {
                settings.EmbeddingModel = embeddingModel.Value as string;
            }

            if (Named(embedding, "Dimensions") is { Value: int dimensions })
            {
                settings.Dimensions = dimensions;
            }

            if (parameters.Count != 1 || parameters[0].Type.SpecialType != SpecialType.System_String)
            {
                Report(DiagnosticDescriptors.InvalidEmbeddingSignature, location, method.Name);
                failed = true;
            }

            if (methodMessages.Count > 0)
            {
                Report(DiagnosticDescriptors.MixedPromptAndEmbedding, location, method.Name);
                failed = true;
            }
        }
        else
        {
            if (!methodMessages.Any(m => m.Role == "User"))
            {
                Report(DiagnosticDescriptors.NoUserMessage, location, method.Name);
                failed = true;
            }

            var used = new HashSet<string>();
            foreach ((string role, AttributeData attribute) in interfaceMessages.Concat(methodMessages))
            {
                bool interfaceLevel = interfaceMessages.Exists(m => ReferenceEquals(m.Attribute, attribute));
                if (ParseTemplate(attribute, method, parameters, used, interfaceLevel ? method.ContainingType.Name : method.Name) is { } segments)
                {
                    messages.Add(new MessageModel(role, segments));
                }
                else
                {
                    failed = true;
                }
            }

            foreach (IParameterSymbol parameter in parameters.Where(p => !used.Contains(p.Name)))
            {
                Report(DiagnosticDescriptors.UnusedParameter, parameter.Locations.FirstOrDefault(), parameter.Name, method.Name);
            }
        }

        StructuredModel? structured = null;
        if (result == ResultKind.Json && !failed)
        {
            structured = ParseStructured(method, ((INamedTypeSymbol)method.ReturnType).TypeArguments[0], settings.MaxRepairAttempts);
            failed |= structured is null;
        }

        if (failed)
        {
            return null;
        }

        return new MethodModel(
            method.Name,
            baseName + "BatchAsync",
            baseName + "AsCompletedAsync",
            "Render" + baseName,
            isEmbedding ? Model.MethodKind.Embedding : Model.MethodKind.Chat,
            result,
            resultType,
            valueTask,
            parameterModels,
            tokenName,
            new EquatableArray<MessageModel>(messages),
            settings.Build(isEmbedding),
            structured);
    }

    private EquatableArray<Segment>? ParseTemplate(AttributeData attribute, IMethodSymbol method, List<IParameterSymbol> parameters, HashSet<string> used, string owner)
    {
        string template = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string text ? text : string.Empty;
        AttributeArgumentSyntax? argument = (attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax)?.ArgumentList?.Arguments.FirstOrDefault();
        var errors = new List<TemplateError>();
        List<TemplatePart> parts = TemplateParser.Parse(template, errors);
        foreach (TemplateError error in errors)
        {
            // Reported for the template's owner, so a mistake in an interface-level [System] is reported once.
            Report(DiagnosticDescriptors.MalformedTemplate, SpanIn(argument, error.Start, error.Length), owner, error.Message);
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
                Report(DiagnosticDescriptors.UnknownPlaceholder, where, part.PlaceholderText, method.Name, names);
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
                    Report(DiagnosticDescriptors.UnknownMember, where, receiver.ToDisplayString(), path[i], part.PlaceholderText);
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
                Report(DiagnosticDescriptors.FormatOnNonFormattable, where, part.PlaceholderText, part.Format, type.ToDisplayString());
                ok = false;
                continue;
            }

            segments.Add(Segment.Value(new EquatableArray<PathHop>(hops), part.Format, type.SpecialType == SpecialType.System_String));
        }

        return ok ? new EquatableArray<Segment>(segments) : null;
    }

    private static bool TryGetResult(IMethodSymbol method, bool isEmbedding, out ResultKind result, out string resultType, out bool valueTask)
    {
        result = default;
        resultType = string.Empty;
        valueTask = false;
        if (method.ReturnType is not INamedTypeSymbol { IsGenericType: true } wrapper)
        {
            return false;
        }

        if (IsType(wrapper.ConstructedFrom, TypeNames.ValueTask))
        {
            valueTask = true;
        }
        else if (!IsType(wrapper.ConstructedFrom, TypeNames.Task))
        {
            return false;
        }

        ITypeSymbol inner = wrapper.TypeArguments[0];
        resultType = inner.ToDisplayString(TypeFormat);
        if (!isEmbedding)
        {
            if (inner.SpecialType == SpecialType.System_String)
            {
                result = ResultKind.String;
                resultType = "string";
                return true;
            }

            if (IsType(inner, TypeNames.ChatCompletion))
            {
                result = ResultKind.ChatCompletion;
                return true;
            }

            // Anything else is a typed JSON result; whether it has a strict schema is checked by the schema builder.
            if (IsType(inner, TypeNames.Embedding) || inner.TypeKind is TypeKind.TypeParameter or TypeKind.Error || inner.SpecialType == SpecialType.System_Void)
            {
                return false;
            }

            result = ResultKind.Json;
            return true;
        }

        if (IsType(inner, TypeNames.Embedding))
        {
            result = ResultKind.Embedding;
            return true;
        }

        if (inner is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Single })
        {
            result = ResultKind.FloatArray;
            resultType = "float[]";
            return true;
        }

        if (inner is INamedTypeSymbol { IsGenericType: true } memory && IsType(memory.ConstructedFrom, TypeNames.ReadOnlyMemory)
            && memory.TypeArguments[0].SpecialType == SpecialType.System_Single)
        {
            result = ResultKind.ReadOnlyMemoryOfFloat;
            return true;
        }

        return false;
    }

    private void ReadCompletion(AttributeData completion, SettingsBuilder settings)
    {
        var syntax = completion.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
        foreach (KeyValuePair<string, TypedConstant> argument in completion.NamedArguments)
        {
            Location? where = syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == argument.Key)?.GetLocation() ?? syntax?.GetLocation();
            object? value = argument.Value.Kind == TypedConstantKind.Array ? null : argument.Value.Value;
            switch (argument.Key)
            {
                case "Model" when value is string model:
                    settings.Model = model;
                    break;
                case "Temperature" when value is double temperature:
                    if (double.IsNaN(temperature) || temperature < 0 || temperature > 2)
                    {
                        Report(DiagnosticDescriptors.TemperatureOutOfRange, where, temperature.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.Temperature = temperature;
                    break;
                case "MaxTokens" when value is int maxTokens:
                    if (maxTokens < 1)
                    {
                        Report(DiagnosticDescriptors.MaxTokensOutOfRange, where, maxTokens.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.MaxTokens = maxTokens;
                    break;
                case "TopP" when value is double topP:
                    if (double.IsNaN(topP) || topP <= 0 || topP > 1)
                    {
                        Report(DiagnosticDescriptors.TopPOutOfRange, where, topP.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.TopP = topP;
                    break;
                case "MaxRepairAttempts" when value is int repairs:
                    if (repairs is < 0 or > 5)
                    {
                        Report(DiagnosticDescriptors.RepairAttemptsOutOfRange, where, repairs.ToString(CultureInfo.InvariantCulture));
                    }

                    settings.MaxRepairAttempts = repairs;
                    break;
                case "Seed" when value is long seed:
                    settings.Seed = seed;
                    break;
                case "Stop":
                    string?[] stops = argument.Value.Kind == TypedConstantKind.Array && !argument.Value.IsNull ? argument.Value.Values.Select(v => v.Value as string).ToArray() : System.Array.Empty<string?>();
                    if (stops.Length is 0 or > 4 || stops.Any(string.IsNullOrEmpty))
                    {
                        Report(DiagnosticDescriptors.InvalidStop, where);
                    }
                    else
                    {
                        settings.Stop = stops.Select(s => s!).ToList();
                    }

                    break;
            }
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

    /// <summary>Names a batch's (name1, name2) tuple cannot use: ItemN in another position, Rest, and object's members.</summary>
    private static bool IsReservedTupleName(string name, int position)
    {
        if (name is "Rest" or "ToString" or "GetHashCode" or "Equals" or "GetType" or "CompareTo")
        {
            return true;
        }

        return name.StartsWith("Item", System.StringComparison.Ordinal)
            && int.TryParse(name.Substring(4), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && n != position + 1;
    }

    private static AttributeData? Find(ISymbol symbol, string metadataName)
        => symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    private static TypedConstant? Named(AttributeData attribute, string name)
    {
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            if (argument.Key == name && !argument.Value.IsNull)
            {
                return argument.Value;
            }
        }

        return null;
    }

    private static bool IsType(ITypeSymbol type, string metadataName)
    {
        string name = type.ContainingNamespace is null || type.ContainingNamespace.IsGlobalNamespace
            ? type.MetadataName
            : type.ContainingNamespace.ToDisplayString() + "." + type.MetadataName;
        return name == metadataName;
    }

    private static ITypeSymbol UnderlyingIfNullable(ITypeSymbol type)
        => type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;

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

    private void Report(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>Settings as they are merged: interface defaults first, then the method's overrides.</summary>
    private sealed class SettingsBuilder
    {
        public string? Model { get; set; }

        public double? Temperature { get; set; }

        public int? MaxTokens { get; set; }

        public double? TopP { get; set; }

        public long? Seed { get; set; }

        public List<string>? Stop { get; set; }

        public string? EmbeddingModel { get; set; }

        public int? Dimensions { get; set; }

        public int MaxRepairAttempts { get; set; } = 1;

        public SettingsBuilder Clone() => (SettingsBuilder)MemberwiseClone();

        public SettingsModel Build(bool embedding) => embedding
            ? new SettingsModel(EmbeddingModel, null, null, null, null, EquatableArray<string>.Empty, Dimensions)
            : new SettingsModel(Model, Temperature, MaxTokens, TopP, Seed, Stop is null ? EquatableArray<string>.Empty : new EquatableArray<string>(Stop), null);
    }
}
