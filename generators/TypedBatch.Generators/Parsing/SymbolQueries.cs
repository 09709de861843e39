using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace TypedBatch.Generators.Parsing;

/// <summary>Small questions about symbols and attributes that every part of the parser asks.</summary>
internal static class SymbolQueries
{
    public static AttributeData? Find(ISymbol symbol, string metadataName)
        => symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == metadataName);

    public static TypedConstant? Named(AttributeData attribute, string name)
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

    public static bool IsType(ITypeSymbol type, string metadataName)
    {
        string name = type.ContainingNamespace is null || type.ContainingNamespace.IsGlobalNamespace
            ? type.MetadataName
            : type.ContainingNamespace.ToDisplayString() + "." + type.MetadataName;
        return name == metadataName;
    }

    public static ITypeSymbol UnderlyingIfNullable(ITypeSymbol type)
        => type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;
}
