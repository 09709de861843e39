using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using TypedBatch.Generators.Parsing;

namespace TypedBatch.Generators.Tests.Schemas;

/// <summary>
/// A C# source compiled once with Roslyn (for <see cref="JsonSchemaBuilder"/>) and emitted and loaded into its own
/// load context (for <see cref="JsonSchemaExporter"/>). System.Text.Json itself is shared with the default context, so
/// the attributes the samples use are the ones the serializer looks for.
/// </summary>
internal sealed class SampleAssembly
{
    private static readonly Lazy<SampleAssembly> SamplesInstance = new(() => new SampleAssembly(SchemaSamples.Source));

    private SampleAssembly(string source)
    {
        Compilation = GeneratorHarness.Compilation(source);
        Diagnostic[] errors = Compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        if (errors.Length > 0)
        {
            throw new InvalidOperationException("The samples do not compile:\n" + string.Join("\n", errors.Select(e => e.ToString())));
        }

        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = Compilation.Emit(image);
        if (!emitted.Success)
        {
            throw new InvalidOperationException("The samples do not emit:\n" + string.Join("\n", emitted.Diagnostics));
        }

        image.Position = 0;
        Assembly = new AssemblyLoadContext("SchemaSamples", isCollectible: true).LoadFromStream(image);
    }

    /// <summary>The compiled <see cref="SchemaSamples.Source"/>.</summary>
    public static SampleAssembly Samples => SamplesInstance.Value;

    public CSharpCompilation Compilation { get; }

    public Assembly Assembly { get; }

    /// <summary>What the builder sees: the type's symbol, or the method's declared return type with its annotations.</summary>
    public ITypeSymbol Symbol(SchemaCase sample)
    {
        if (!sample.IsReturnType)
        {
            return Compilation.GetTypeByMetadataName("Samples." + sample.Name) ?? throw new ArgumentException($"No type Samples.{sample.Name}.");
        }

        INamedTypeSymbol roots = Compilation.GetTypeByMetadataName("Samples.Roots")!;
        return roots.GetMembers(sample.Name).OfType<IMethodSymbol>().Single().ReturnType;
    }

    /// <summary>What System.Text.Json sees: the runtime type.</summary>
    public Type RuntimeType(SchemaCase sample)
        => sample.IsReturnType
            ? Assembly.GetType("Samples.Roots", throwOnError: true)!.GetMethod(sample.Name)!.ReturnType
            : Assembly.GetType("Samples." + sample.Name, throwOnError: true)!;

    public SchemaResult Build(SchemaCase sample) => JsonSchemaBuilder.Build(Symbol(sample), sample.Policy);

    /// <summary>
    /// The exporter's schema under the options the runtime parses with (<c>StructuredOutput.CreateReflectionOptions</c>),
    /// with <see cref="System.ComponentModel.DescriptionAttribute"/> copied into <c>description</c> the documented way.
    /// </summary>
    public JsonNode Export(SchemaCase sample)
    {
        var options = new JsonSerializerOptions
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            PropertyNamingPolicy = sample.Policy switch
            {
                NamingPolicy.None => null,
                NamingPolicy.CamelCase => JsonNamingPolicy.CamelCase,
                NamingPolicy.SnakeCaseLower => JsonNamingPolicy.SnakeCaseLower,
                NamingPolicy.SnakeCaseUpper => JsonNamingPolicy.SnakeCaseUpper,
                NamingPolicy.KebabCaseLower => JsonNamingPolicy.KebabCaseLower,
                NamingPolicy.KebabCaseUpper => JsonNamingPolicy.KebabCaseUpper,
                _ => throw new ArgumentOutOfRangeException(nameof(sample)),
            },
            Converters = { new JsonStringEnumConverter() },
        };
        var exporterOptions = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = AddDescription,
        };
        return options.GetJsonSchemaAsNode(RuntimeType(sample), exporterOptions);
    }

    private static JsonNode AddDescription(JsonSchemaExporterContext context, JsonNode schema)
    {
        // The member's description, else its type's: the more specific one wins.
        string? description = Description(context.PropertyInfo?.AttributeProvider) ?? Description(context.TypeInfo.Type);
        if (description is not null && schema is JsonObject obj)
        {
            obj["description"] = description;
        }

        return schema;
    }

    private static string? Description(ICustomAttributeProvider? provider)
        => provider?.GetCustomAttributes(typeof(System.ComponentModel.DescriptionAttribute), inherit: false)
            .OfType<System.ComponentModel.DescriptionAttribute>()
            .FirstOrDefault()?.Description;
}
