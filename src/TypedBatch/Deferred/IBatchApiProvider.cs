using TypedBatch.Providers;

namespace TypedBatch.Deferred;

/// <summary>
/// A provider deferred mode can send to (OpenAI and compatible servers, Azure OpenAI, Anthropic): its Batch API, and
/// what its batch lines must share with its live requests. GitHub Copilot's provider has <see cref="Batches"/>
/// <see langword="null"/>; an M.E.AI chat client or a custom <see cref="IChatProvider"/> is not one.
/// </summary>
internal interface IBatchApiProvider : IChatProvider
{
    /// <summary>The provider's Batch API over its own <see cref="HttpClient"/>; <see langword="null"/> when it has none.</summary>
    IRemoteBatchApi? Batches { get; }

    /// <summary>The model every request is sent with instead of the call's (an Azure deployment, a fallback's own model), if any.</summary>
    string? ModelOverride { get; }

    /// <summary>How a typed request's schema is sent to this provider, which deferred lines must follow too.</summary>
    StructuredOutputMode StructuredOutputs { get; }
}
