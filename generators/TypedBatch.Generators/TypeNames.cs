namespace TypedBatch.Generators;

/// <summary>Every metadata name the generator looks for, in one place.</summary>
internal static class TypeNames
{
    public const string PromptClientAttribute = "TypedBatch.PromptClientAttribute";
    public const string SystemAttribute = "TypedBatch.SystemAttribute";
    public const string UserAttribute = "TypedBatch.UserAttribute";
    public const string AssistantAttribute = "TypedBatch.AssistantAttribute";
    public const string CompletionAttribute = "TypedBatch.CompletionAttribute";
    public const string EmbeddingAttribute = "TypedBatch.EmbeddingAttribute";
    public const string ChatCompletion = "TypedBatch.ChatCompletion";
    public const string Embedding = "TypedBatch.EmbeddingVector";
    public const string Task = "System.Threading.Tasks.Task`1";
    public const string ValueTask = "System.Threading.Tasks.ValueTask`1";
    public const string AsyncEnumerable = "System.Collections.Generic.IAsyncEnumerable`1";
    public const string CancellationToken = "System.Threading.CancellationToken";
    public const string ReadOnlyMemory = "System.ReadOnlyMemory`1";
    public const string IFormattable = "System.IFormattable";

    public const string JsonSerializerContext = "System.Text.Json.Serialization.JsonSerializerContext";
    public const string JsonSourceGenerationOptionsAttribute = "System.Text.Json.Serialization.JsonSourceGenerationOptionsAttribute";
    public const string JsonSerializableAttribute = "System.Text.Json.Serialization.JsonSerializableAttribute";
    public const string JsonStringEnumMemberNameAttribute = "System.Text.Json.Serialization.JsonStringEnumMemberNameAttribute";
    public const string JsonDerivedTypeAttribute = "System.Text.Json.Serialization.JsonDerivedTypeAttribute";
    public const string JsonPolymorphicAttribute = "System.Text.Json.Serialization.JsonPolymorphicAttribute";
    public const string JsonIncludeAttribute = "System.Text.Json.Serialization.JsonIncludeAttribute";
    public const string JsonExtensionDataAttribute = "System.Text.Json.Serialization.JsonExtensionDataAttribute";
    public const string JsonPropertyOrderAttribute = "System.Text.Json.Serialization.JsonPropertyOrderAttribute";
    public const string JsonPropertyNameAttribute = "System.Text.Json.Serialization.JsonPropertyNameAttribute";
    public const string JsonIgnoreAttribute = "System.Text.Json.Serialization.JsonIgnoreAttribute";
}

/// <summary>MSBuild properties the generator reads through analyzer config options.</summary>
internal static class BuildProperties
{
    public const string PublishAot = "build_property.PublishAot";
    public const string IsTrimmable = "build_property.IsTrimmable";
    public const string IsAotCompatible = "build_property.IsAotCompatible";
}

/// <summary>Names of the pipeline steps, for incrementality tests.</summary>
internal static class TrackingNames
{
    public const string Interfaces = "TypedBatch.Interfaces";
    public const string Models = "TypedBatch.Models";
    public const string Diagnostics = "TypedBatch.Diagnostics";
    public const string TrimmedOptions = "TypedBatch.TrimmedOptions";
    public const string AotDiagnostics = "TypedBatch.AotDiagnostics";
}
