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
    public const string Embedding = "TypedBatch.Embedding";
    public const string Task = "System.Threading.Tasks.Task`1";
    public const string ValueTask = "System.Threading.Tasks.ValueTask`1";
    public const string CancellationToken = "System.Threading.CancellationToken";
    public const string ReadOnlyMemory = "System.ReadOnlyMemory`1";
    public const string IFormattable = "System.IFormattable";
}

/// <summary>Names of the pipeline steps, for incrementality tests.</summary>
internal static class TrackingNames
{
    public const string Interfaces = "TypedBatch.Interfaces";
    public const string Models = "TypedBatch.Models";
    public const string Diagnostics = "TypedBatch.Diagnostics";
}
