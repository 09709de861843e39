using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedBatch.Generators.Diagnostics;
using TypedBatch.Generators.Model;
using static TypedBatch.Generators.Parsing.SymbolQueries;

namespace TypedBatch.Generators.Parsing;

/// <summary>One prompt method: its result kind, parameters, messages, settings and, for a typed result, its schema.</summary>
internal sealed partial class PromptClientParser
{
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
            SettingsReader.Read(completion, settings, _sink, _cancellationToken);
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
                if (TemplateBinder.Bind(attribute, method, parameters, used, interfaceLevel ? method.ContainingType.Name : method.Name, _sink, _cancellationToken) is { } segments)
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

    private static bool TryGetResult(IMethodSymbol method, bool isEmbedding, out ResultKind result, out string resultType, out bool valueTask)
    {
        result = default;
        resultType = string.Empty;
        valueTask = false;
        if (method.ReturnType is not INamedTypeSymbol { IsGenericType: true } wrapper)
        {
            return false;
        }

        if (IsType(wrapper.ConstructedFrom, TypeNames.AsyncEnumerable))
        {
            // A streamed answer: its text deltas. Nothing else streams (a typed result is parsed whole, an embedding is one vector).
            if (isEmbedding || wrapper.TypeArguments[0].SpecialType != SpecialType.System_String)
            {
                return false;
            }

            result = ResultKind.Stream;
            resultType = "string";
            return true;
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
}
