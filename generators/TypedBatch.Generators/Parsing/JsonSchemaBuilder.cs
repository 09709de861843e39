using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using static TypedBatch.Generators.Parsing.JsonContractReader;

namespace TypedBatch.Generators.Parsing;

/// <summary>The property naming policy of the JSON contract, as System.Text.Json applies it.</summary>
internal enum NamingPolicy
{
    None,
    CamelCase,
    SnakeCaseLower,
    SnakeCaseUpper,
    KebabCaseLower,
    KebabCaseUpper,
}

/// <summary>A strict-mode JSON schema for a type, built from its symbol at compile time.</summary>
internal sealed class SchemaResult
{
    public SchemaResult(string json, bool wrapped, string name, IReadOnlyList<string> enumTypes, IReadOnlyList<string> errors)
    {
        Json = json;
        Wrapped = wrapped;
        Name = name;
        EnumTypes = enumTypes;
        Errors = errors;
    }

    /// <summary>The schema, minified.</summary>
    public string Json { get; }

    /// <summary>Whether a non-object type was wrapped in <c>{"value": …}</c>.</summary>
    public bool Wrapped { get; }

    /// <summary>A schema name: <c>[a-zA-Z0-9_-]</c>, at most 64 characters.</summary>
    public string Name { get; }

    /// <summary>Fully qualified enum types in the graph, which are read as names.</summary>
    public IReadOnlyList<string> EnumTypes { get; }

    /// <summary>Why the type cannot be expressed in strict mode, one entry per member at fault.</summary>
    public IReadOnlyList<string> Errors { get; }
}

/// <summary>
/// Builds the JSON schema of a result type the way OpenAI strict mode needs it and System.Text.Json reads it:
/// every property required, nullable as a union with null, <c>additionalProperties: false</c>, enums as names,
/// recursive types through <c>$defs</c>/<c>$ref</c>, and a non-object root wrapped in an object.
/// </summary>
internal sealed class JsonSchemaBuilder
{
    public const int MaxProperties = 5000;
    public const int MaxDepth = 10;
    public const int MaxEnumValues = 1000;

    private static readonly SymbolDisplayFormat FullName = SymbolDisplayFormat.FullyQualifiedFormat;

    private readonly JsonContractReader _contract;
    private readonly List<string> _errors = new List<string>();
    private readonly HashSet<string> _enumTypes = new HashSet<string>();
    private readonly HashSet<ITypeSymbol> _recursive = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
    private readonly Dictionary<ITypeSymbol, string> _defNames = new Dictionary<ITypeSymbol, string>(SymbolEqualityComparer.Default);
    private readonly Dictionary<string, SchemaNode> _defs = new Dictionary<string, SchemaNode>();
    private readonly List<string> _defOrder = new List<string>();
    private ITypeSymbol? _inlineRoot;
    private int _properties;
    private int _enumValues;

    private JsonSchemaBuilder(NamingPolicy policy) => _contract = new JsonContractReader(policy, _errors);

    public static SchemaResult Build(ITypeSymbol type, NamingPolicy policy)
    {
        var builder = new JsonSchemaBuilder(policy);
        builder.FindRecursion(type);

        (ITypeSymbol root, bool rootNullable) = Unwrap(type);
        bool wrapped = rootNullable || Classify(root) != Kind.Object;

        // An object root is written inline; a reference back to it is "#". A wrapped root cannot be "#".
        if (!wrapped)
        {
            builder._inlineRoot = root;
        }

        SchemaObject schema = wrapped
            ? new SchemaObject()
                .Add("type", SchemaNode.String("object"))
                .Add("properties", new SchemaObject().Add("value", builder.Describe(type, 1, path: "value")))
                .Add("required", new SchemaArray(new[] { SchemaNode.String("value") }))
                .Add("additionalProperties", SchemaValue.False)
            : builder.ObjectBody(root, 0, path: string.Empty);
        if (builder._defOrder.Count > 0)
        {
            var defs = new SchemaObject();
            foreach (string name in builder._defOrder)
            {
                defs.Add(name, builder._defs[name]);
            }

            schema.Add("$defs", defs);
        }

        if (builder._properties > MaxProperties)
        {
            builder._errors.Add($"it has {builder._properties} properties; strict mode allows {MaxProperties}");
        }

        if (builder._enumValues > MaxEnumValues)
        {
            builder._errors.Add($"its enums have {builder._enumValues} values in all; strict mode allows {MaxEnumValues}");
        }

        return new SchemaResult(SchemaWriter.Write(schema), wrapped, SchemaName(type), builder._enumTypes.OrderBy(t => t, System.StringComparer.Ordinal).ToList(), builder._errors);
    }

    private SchemaObject Describe(ITypeSymbol declared, int depth, string path)
    {
        (ITypeSymbol type, bool nullable) = Unwrap(declared);

        // An object written inline at depth 10 is the 11th level of objects, even when it has no properties.
        if (depth > MaxDepth || (depth == MaxDepth && Classify(type) is Kind.Object or Kind.Polymorphic && !_recursive.Contains(type)))
        {
            _errors.Add($"'{path}' is nested more than {MaxDepth} levels deep, which strict mode does not allow");
            return new SchemaObject();
        }

        switch (Classify(type))
        {
            case Kind.String:
                SchemaObject text = new SchemaObject().Add("type", TypeName("string", nullable));
                return Format(type) is { } format ? text.Add("format", SchemaNode.String(format)) : text;
            case Kind.Integer:
                return new SchemaObject().Add("type", TypeName("integer", nullable));
            case Kind.Number:
                return new SchemaObject().Add("type", TypeName("number", nullable));
            case Kind.Boolean:
                return new SchemaObject().Add("type", TypeName("boolean", nullable));
            case Kind.Enum:
                return EnumSchema((INamedTypeSymbol)type, nullable, path);
            case Kind.Array:
                SchemaObject items = Describe(ElementType(type)!, depth + 1, path + "[]");
                return new SchemaObject().Add("type", TypeName("array", nullable)).Add("items", items);
            case Kind.Object:
                SchemaObject reference = ObjectReference(type, depth, path);
                return nullable ? OrNull(reference) : reference;
            case Kind.Polymorphic:
                return PolymorphicReference(type, nullable, depth, path);
            default:
                _errors.Add(Unsupported(type, path));
                return new SchemaObject();
        }
    }

    private SchemaObject ObjectReference(ITypeSymbol type, int depth, string path)
    {
        if (_inlineRoot is not null && SymbolEqualityComparer.Default.Equals(type, _inlineRoot))
        {
            return Reference("#");
        }

        if (!_recursive.Contains(type))
        {
            return ObjectBody(type, depth, path);
        }

        if (!_defNames.TryGetValue(type, out string? name))
        {
            name = UniqueDefName(type);
            _defNames.Add(type, name);
            _defOrder.Add(name); // listed before describing, so a definition precedes those it refers to
            _defs[name] = ObjectBody(type, depth, path);
        }

        return Reference("#/$defs/" + name);
    }

    private static SchemaObject Reference(string target) => new SchemaObject().Add("$ref", SchemaNode.String(target));

    private static SchemaObject OrNull(SchemaNode schema)
        => new SchemaObject().Add("anyOf", new SchemaArray(new[] { schema, NullSchema() }));

    private static SchemaObject NullSchema() => new SchemaObject().Add("type", SchemaNode.String("null"));

    /// <summary>An object schema: its properties in contract order, all required, no others allowed.</summary>
    private SchemaObject ObjectBody(ITypeSymbol type, int depth, string path, string? discriminatorName = null, string? discriminator = null)
    {
        var properties = new SchemaObject();
        var required = new List<SchemaNode>();
        var names = new HashSet<string>();
        if (discriminatorName is not null)
        {
            // System.Text.Json reads the discriminator first; strict mode writes properties in schema order.
            string kind = discriminator!.StartsWith("\"", System.StringComparison.Ordinal) ? "string" : "integer";
            properties.Add(discriminatorName, new SchemaObject()
                .Add("type", SchemaNode.String(kind))
                .Add("enum", new SchemaArray(new[] { new SchemaValue(discriminator) })));
            required.Add(SchemaNode.String(discriminatorName));
            names.Add(discriminatorName);
        }

        foreach ((ISymbol member, ITypeSymbol memberType) in _contract.Members(type))
        {
            string name = _contract.JsonName(member);
            if (!names.Add(name))
            {
                _errors.Add($"'{Join(path, member.Name)}' has the JSON name '{name}' twice");
                continue;
            }

            _properties++;
            SchemaObject schema = Describe(memberType, depth + 1, Join(path, member.Name));
            if (Description(member) is { } description)
            {
                // An inline object already carries its type's description: the member's replaces it in place.
                schema.Set("description", SchemaNode.String(description));
            }

            properties.Add(name, schema);
            required.Add(SchemaNode.String(name));
        }

        SchemaObject body = new SchemaObject().Add("type", SchemaNode.String("object"));
        if (Description(type) is { } typeDescription)
        {
            body.Add("description", SchemaNode.String(typeDescription));
        }

        return body
            .Add("properties", properties)
            .Add("required", new SchemaArray(required))
            .Add("additionalProperties", SchemaValue.False);
    }

    private SchemaObject EnumSchema(INamedTypeSymbol type, bool nullable, string path)
    {
        if (type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.FlagsAttribute"))
        {
            _errors.Add($"'{Describe(path, type)}' is a [Flags] enum, whose combined values strict mode cannot list");
            return new SchemaObject();
        }

        _enumTypes.Add(type.ToDisplayString(FullName));
        var values = new List<SchemaNode>();
        foreach (IFieldSymbol field in type.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue))
        {
            AttributeData? rename = field.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == TypeNames.JsonStringEnumMemberNameAttribute);
            values.Add(SchemaNode.String(rename?.ConstructorArguments.FirstOrDefault().Value as string ?? field.Name));
        }

        _enumValues += values.Count;
        if (nullable)
        {
            values.Add(SchemaValue.Null);
        }

        return new SchemaObject().Add("type", TypeName("string", nullable)).Add("enum", new SchemaArray(values));
    }

    /// <summary>Marks every object type that can reach itself; those go to <c>$defs</c> and are referenced.</summary>
    private void FindRecursion(ITypeSymbol root)
    {
        var all = new List<ITypeSymbol>();
        var seen = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
        var pending = new Stack<ITypeSymbol>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            foreach (ITypeSymbol next in Children(pending.Pop()))
            {
                if (seen.Add(next))
                {
                    all.Add(next);
                    pending.Push(next);
                }
            }
        }

        (ITypeSymbol unwrappedRoot, _) = Unwrap(root);
        if (Classify(unwrappedRoot) is Kind.Object or Kind.Polymorphic && seen.Add(unwrappedRoot))
        {
            all.Add(unwrappedRoot);
        }

        foreach (ITypeSymbol type in all)
        {
            var visited = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
            var stack = new Stack<ITypeSymbol>(Children(type));
            while (stack.Count > 0)
            {
                ITypeSymbol current = stack.Pop();
                if (SymbolEqualityComparer.Default.Equals(current, type))
                {
                    _recursive.Add(type);
                    break;
                }

                if (visited.Add(current))
                {
                    foreach (ITypeSymbol child in Children(current))
                    {
                        stack.Push(child);
                    }
                }
            }
        }
    }

    /// <summary>The object types directly inside a type: its members' types, array elements, derived types.</summary>
    private IEnumerable<ITypeSymbol> Children(ITypeSymbol declared)
    {
        (ITypeSymbol type, _) = Unwrap(declared);
        switch (Classify(type))
        {
            case Kind.Array:
                return ElementType(type) is { } element ? Flatten(element) : Enumerable.Empty<ITypeSymbol>();
            case Kind.Object:
                return _contract.Members(type, report: false).SelectMany(m => Flatten(m.Type));
            case Kind.Polymorphic:
                return DerivedTypes(type).Select(d => d.Type);
            default:
                return Enumerable.Empty<ITypeSymbol>();
        }
    }

    /// <summary>The object type a member type stands for, looking through nullability and arrays.</summary>
    private static IEnumerable<ITypeSymbol> Flatten(ITypeSymbol declared)
    {
        (ITypeSymbol type, _) = Unwrap(declared);
        Kind kind = Classify(type);
        if (kind is Kind.Object or Kind.Polymorphic)
        {
            return new[] { type };
        }

        return kind == Kind.Array && ElementType(type) is { } element ? Flatten(element) : Enumerable.Empty<ITypeSymbol>();
    }

    /// <summary>A polymorphic type inline, or, when it can reach itself, once in <c>$defs</c> and referenced.</summary>
    private SchemaObject PolymorphicReference(ITypeSymbol type, bool nullable, int depth, string path)
    {
        if (!_recursive.Contains(type))
        {
            return PolymorphicSchema(type, nullable, depth, path);
        }

        if (!_defNames.TryGetValue(type, out string? name))
        {
            name = UniqueDefName(type);
            _defNames.Add(type, name);
            _defOrder.Add(name); // listed before describing, so a definition precedes those it refers to
            _defs[name] = PolymorphicSchema(type, nullable: false, depth, path);
        }

        SchemaObject reference = Reference("#/$defs/" + name);
        return nullable ? OrNull(reference) : reference;
    }

    private SchemaObject PolymorphicSchema(ITypeSymbol type, bool nullable, int depth, string path)
    {
        var branches = new List<SchemaNode>();
        string discriminatorName = DiscriminatorName(type);
        foreach ((ITypeSymbol derived, string discriminator) in DerivedTypes(type))
        {
            if (discriminator.Length == 0)
            {
                _errors.Add($"'{Describe(path, type)}' declares {derived.Name} without a type discriminator, so a JSON answer could not say which type it is");
                continue;
            }

            branches.Add(ObjectBody(derived, depth, path, discriminatorName, discriminator));
        }

        if (nullable)
        {
            branches.Add(NullSchema());
        }

        return new SchemaObject().Add("anyOf", new SchemaArray(branches));
    }

    private static SchemaNode TypeName(string type, bool nullable)
        => nullable ? new SchemaArray(new SchemaNode[] { SchemaNode.String(type), SchemaNode.String("null") }) : SchemaNode.String(type);

    private static string Unsupported(ITypeSymbol type, string path)
    {
        string where = Describe(path, type);
        if (IsDictionary(type))
        {
            return $"'{where}' is a dictionary, an open set of properties that strict mode cannot express (additionalProperties must be false); use a list of key/value records";
        }

        if (type.SpecialType == SpecialType.System_Object || type.TypeKind == TypeKind.Dynamic)
        {
            return $"'{where}' is object, which has no schema; give it a concrete type";
        }

        if (type.TypeKind == TypeKind.Interface)
        {
            return $"'{where}' is an interface, which has no schema; use a concrete type";
        }

        if (type.IsAbstract)
        {
            return $"'{where}' is abstract, with no concrete shape; use a concrete type";
        }

        if (type is INamedTypeSymbol { IsTupleType: true })
        {
            return $"'{where}' is a tuple, whose fields System.Text.Json does not serialize; use a record";
        }

        return $"'{where}' has type {type.ToDisplayString()}, which strict mode cannot express";
    }

    private static string Describe(string path, ITypeSymbol type) => path.Length == 0 ? type.ToDisplayString() : path;

    private static string Join(string path, string name) => path.Length == 0 ? name : path + "." + name;

    private string UniqueDefName(ITypeSymbol type)
    {
        string name = Sanitize(type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
        string candidate = name;
        for (int i = 2; _defs.ContainsKey(candidate); i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return candidate;
    }

    private static string SchemaName(ITypeSymbol type)
    {
        string name = Sanitize(type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat));
        return name.Length > 64 ? name.Substring(0, 64) : name;
    }

    private static string Sanitize(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text)
        {
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
            {
                sb.Append(c);
            }
            else if (c == '<' || c == ',' || c == '[')
            {
                sb.Append('_');
            }
            else if (c == '?')
            {
                sb.Append("_Nullable");
            }
        }

        string result = sb.ToString().Trim('_');
        return result.Length == 0 ? "Result" : result;
    }
}
