using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace TypedBatch.Generators.Parsing;

/// <summary>
/// Reads the JSON contract of a type from its symbol, as System.Text.Json will at run time: which kind of JSON value
/// it is, its serialized members in order and their JSON names, element types, polymorphic derived types, and
/// descriptions. Knows nothing of schemas; <see cref="JsonSchemaBuilder"/> turns what it reads into one.
/// </summary>
internal sealed class JsonContractReader
{
    private readonly NamingPolicy _policy;
    private readonly List<string> _errors;

    /// <param name="errors">Where members that no contract can hold (extension data) are reported.</param>
    public JsonContractReader(NamingPolicy policy, List<string> errors)
    {
        _policy = policy;
        _errors = errors;
    }

    /// <summary>The JSON name of a property under a naming policy, as System.Text.Json computes it.</summary>
    public static string ConvertName(string name, NamingPolicy policy)
    {
        switch (policy)
        {
            case NamingPolicy.CamelCase:
                return CamelCase(name);
            case NamingPolicy.SnakeCaseLower:
                return Separated(name, '_', upper: false);
            case NamingPolicy.SnakeCaseUpper:
                return Separated(name, '_', upper: true);
            case NamingPolicy.KebabCaseLower:
                return Separated(name, '-', upper: false);
            case NamingPolicy.KebabCaseUpper:
                return Separated(name, '-', upper: true);
            default:
                return name;
        }
    }

    public enum Kind
    {
        Polymorphic,
        String,
        Integer,
        Number,
        Boolean,
        Enum,
        Array,
        Object,
        Unsupported,
    }

    /// <summary>The [JsonDerivedType] declarations of a polymorphic base: each derived type and its discriminator as JSON.</summary>
    public static List<(ITypeSymbol Type, string Discriminator)> DerivedTypes(ITypeSymbol type)
    {
        var derived = new List<(ITypeSymbol, string)>();
        foreach (AttributeData attribute in type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonDerivedTypeAttribute))
        {
            if (attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is ITypeSymbol derivedType)
            {
                object? discriminator = attribute.ConstructorArguments.Length > 1 ? attribute.ConstructorArguments[1].Value : null;
                string json = discriminator switch
                {
                    string text => JsonText.Quote(text),
                    int number => number.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => string.Empty,
                };
                derived.Add((derivedType, json));
            }
        }

        return derived;
    }

    public static string DiscriminatorName(ITypeSymbol type)
    {
        AttributeData? polymorphic = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonPolymorphicAttribute);
        foreach (KeyValuePair<string, TypedConstant> argument in polymorphic?.NamedArguments ?? Enumerable.Empty<KeyValuePair<string, TypedConstant>>())
        {
            if (argument.Key == "TypeDiscriminatorPropertyName" && argument.Value.Value is string name)
            {
                return name;
            }
        }

        return "$type";
    }

    public List<(ISymbol Member, ITypeSymbol Type)> Members(ITypeSymbol type, bool report = true)
    {
        var seen = new HashSet<string>();
        var result = new List<(ISymbol, ITypeSymbol)>();
        for (ITypeSymbol? current = type; current is not null && current.SpecialType != SpecialType.System_Object && current.SpecialType != SpecialType.System_ValueType; current = current.BaseType)
        {
            foreach (ISymbol member in current.GetMembers())
            {
                if (member.IsStatic || member.IsImplicitlyDeclared || !seen.Add(member.Name))
                {
                    continue;
                }

                bool included = HasAttribute(member, TypeNames.JsonIncludeAttribute);
                if (IsIgnored(member))
                {
                    continue;
                }

                if (member is IPropertySymbol { IsIndexer: false, GetMethod: not null } property
                    && (property.DeclaredAccessibility == Accessibility.Public || included)
                    && property.Name != "EqualityContract")
                {
                    if (HasAttribute(member, TypeNames.JsonExtensionDataAttribute))
                    {
                        if (!report)
                        {
                            continue;
                        }

                        _errors.Add($"'{type.Name}.{member.Name}' is [JsonExtensionData], an open set of properties that strict mode cannot express");
                        continue;
                    }

                    result.Add((property, property.Type));
                }
                else if (member is IFieldSymbol field && included && !field.IsConst)
                {
                    result.Add((field, field.Type));
                }
            }
        }

        // Base-type members first, in declaration order, as System.Text.Json orders them.
        return result
            .Select((m, i) => (m, i, Order(m.Item1)))
            .OrderBy(x => x.Item3)
            .ThenBy(x => InheritanceDepth(type, x.m.Item1.ContainingType))
            .ThenBy(x => x.i)
            .Select(x => x.m)
            .ToList();
    }

    private static int Order(ISymbol member)
        => member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonPropertyOrderAttribute)?.ConstructorArguments.FirstOrDefault().Value as int? ?? 0;

    private static int InheritanceDepth(ITypeSymbol derived, ITypeSymbol declaring)
    {
        int depth = 0;
        for (ITypeSymbol? t = derived; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, declaring))
            {
                return -depth;
            }

            depth++;
        }

        return 0;
    }

    public string JsonName(ISymbol member)
    {
        AttributeData? attribute = member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonPropertyNameAttribute);
        return attribute?.ConstructorArguments.FirstOrDefault().Value as string ?? ConvertName(member.Name, _policy);
    }

    public static bool IsIgnored(ISymbol member)
    {
        AttributeData? ignore = member.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonIgnoreAttribute);
        if (ignore is null)
        {
            return false;
        }

        // [JsonIgnore] alone, or Condition = Always, removes the property; conditional ignores keep it in the contract.
        foreach (KeyValuePair<string, TypedConstant> argument in ignore.NamedArguments)
        {
            if (argument.Key == "Condition" && argument.Value.Value is int condition)
            {
                return condition == 1;
            }
        }

        return true;
    }

    public static string? Description(ISymbol symbol)
        => symbol.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "System.ComponentModel.DescriptionAttribute")?.ConstructorArguments.FirstOrDefault().Value as string;

    public static bool HasAttribute(ISymbol symbol, string name) => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == name);

    public static (ITypeSymbol Type, bool Nullable) Unwrap(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            return (nullable.TypeArguments[0], true);
        }

        return (type.WithNullableAnnotation(NullableAnnotation.NotAnnotated), type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated);
    }

    public static Kind Classify(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_String:
            case SpecialType.System_Char:
            case SpecialType.System_DateTime:
                return Kind.String;
            case SpecialType.System_Boolean:
                return Kind.Boolean;
            case SpecialType.System_SByte:
            case SpecialType.System_Byte:
            case SpecialType.System_Int16:
            case SpecialType.System_UInt16:
            case SpecialType.System_Int32:
            case SpecialType.System_UInt32:
            case SpecialType.System_Int64:
            case SpecialType.System_UInt64:
                return Kind.Integer;
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_Decimal:
                return Kind.Number;
            case SpecialType.System_Object:
                return Kind.Unsupported;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return Kind.Enum;
        }

        // System.Text.Json writes byte[] as a base64 string, not as an array of numbers.
        if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte })
        {
            return Kind.String;
        }

        if (Format(type) is not null || IsOneOf(type, "System.Uri", "System.TimeSpan", "System.Half"))
        {
            return type.ToDisplayString() == "System.Half" ? Kind.Number : Kind.String;
        }

        if (type is IArrayTypeSymbol { Rank: 1 })
        {
            return Kind.Array;
        }

        if ((type.IsAbstract || type.TypeKind == TypeKind.Interface) && type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonDerivedTypeAttribute))
        {
            return Kind.Polymorphic;
        }

        if (IsDictionary(type) || type.TypeKind is TypeKind.Interface && ElementType(type) is null)
        {
            return Kind.Unsupported;
        }

        if (ElementType(type) is not null)
        {
            return Kind.Array;
        }

        if (type.TypeKind is TypeKind.Class or TypeKind.Struct && !type.IsAbstract && type is INamedTypeSymbol { IsTupleType: false })
        {
            return type.ContainingNamespace?.ToDisplayString().StartsWith("System", System.StringComparison.Ordinal) == true ? Kind.Unsupported : Kind.Object;
        }

        return Kind.Unsupported;
    }

    public static string? Format(ITypeSymbol type)
    {
        switch (type.ToDisplayString())
        {
            case "System.DateTime":
            case "System.DateTimeOffset":
                return "date-time";
            case "System.DateOnly":
                return "date";
            case "System.TimeOnly":
                return "time";
            case "System.Guid":
                return "uuid";
            default:
                return null;
        }
    }

    public static bool IsOneOf(ITypeSymbol type, params string[] names) => names.Contains(type.ToDisplayString());

    public static bool IsDictionary(ITypeSymbol type)
        => AllInterfacesAndSelf(type).Any(i => i.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.IDictionary<TKey, TValue>" or "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>" or "System.Collections.IDictionary");

    /// <summary>The element type of an array or a generic collection System.Text.Json reads as a JSON array.</summary>
    public static ITypeSymbol? ElementType(ITypeSymbol type)
    {
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            return array.ElementType;
        }

        if (type.SpecialType == SpecialType.System_String || IsDictionary(type))
        {
            return null;
        }

        foreach (INamedTypeSymbol candidate in AllInterfacesAndSelf(type).OfType<INamedTypeSymbol>())
        {
            if (candidate.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
            {
                return candidate.TypeArguments[0];
            }
        }

        return null;
    }

    public static IEnumerable<ITypeSymbol> AllInterfacesAndSelf(ITypeSymbol type) => new[] { type }.Concat(type.AllInterfaces);

    private static string CamelCase(string name)
    {
        if (name.Length == 0 || !char.IsUpper(name[0]))
        {
            return name;
        }

        // System.Text.Json lowers the leading run of capitals, except the last one before a lower-case letter.
        char[] chars = name.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (i == 1 && !char.IsUpper(chars[i]))
            {
                break;
            }

            bool hasNext = i + 1 < chars.Length;
            if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
            {
                if (char.IsSeparator(chars[i + 1]))
                {
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }

                break;
            }

            chars[i] = char.ToLowerInvariant(chars[i]);
        }

        return new string(chars);
    }

    private static string Separated(string name, char separator, bool upper)
    {
        // Mirrors JsonSeparatorNamingPolicy: a separator where an upper-case letter follows a lower-case letter, a digit
        // or a space, or ends a run of capitals before a lower-case letter; spaces are trimmed or become separators;
        // any other character ('_' included) is kept as it is and starts afresh.
        const int NotStarted = 0, UpperCase = 1, LowerCaseOrDigit = 2, Space = 3;
        var sb = new StringBuilder(name.Length + 4);
        int state = NotStarted;
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            switch (char.GetUnicodeCategory(c))
            {
                case System.Globalization.UnicodeCategory.UppercaseLetter:
                    if (state == LowerCaseOrDigit || state == Space || (state == UpperCase && i + 1 < name.Length && char.IsLower(name[i + 1])))
                    {
                        sb.Append(separator);
                    }

                    sb.Append(upper ? c : char.ToLowerInvariant(c));
                    state = UpperCase;
                    break;
                case System.Globalization.UnicodeCategory.LowercaseLetter:
                case System.Globalization.UnicodeCategory.DecimalDigitNumber:
                    if (state == Space)
                    {
                        sb.Append(separator);
                    }

                    sb.Append(upper ? char.ToUpperInvariant(c) : c);
                    state = LowerCaseOrDigit;
                    break;
                case System.Globalization.UnicodeCategory.SpaceSeparator:
                    state = state == NotStarted ? NotStarted : Space;
                    break;
                default:
                    sb.Append(c);
                    state = NotStarted;
                    break;
            }
        }

        return sb.ToString();
    }
}
