using Meai = Microsoft.Extensions.AI;

namespace TypedBatch.Interop;

/// <summary>
/// TypedBatch's embeddings path (packing inputs into large requests, concurrency, rate limits, the one retry loop) as a
/// Microsoft.Extensions.AI <see cref="Meai.IEmbeddingGenerator{TInput, TEmbedding}"/>. The options' model and dimensions
/// apply. An input that fails fails the call (the interface has no per-input errors), naming the input; the batch API
/// (<c>CreateEmbeddingsBatchAsync</c>) keeps them apart. Disposing it leaves the <see cref="TypedBatchClient"/> open.
/// </summary>
internal sealed class TypedBatchEmbeddingGenerator(TypedBatchClient client) : Meai.IEmbeddingGenerator<string, Meai.Embedding<float>>
{
    private readonly Meai.EmbeddingGeneratorMetadata _metadata = new(TypedBatchTelemetry.ProviderName(client.Options.Provider), client.Options.BaseUrl, client.Options.EmbeddingModel);

    public async Task<Meai.GeneratedEmbeddings<Meai.Embedding<float>>> GenerateAsync(IEnumerable<string> values, Meai.EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(values, new BatchOptions { Model = options?.ModelId }, options?.Dimensions, cancellationToken).ConfigureAwait(false);
        var embeddings = new Meai.GeneratedEmbeddings<Meai.Embedding<float>>(result.Count);
        foreach (BatchItem<EmbeddingVector> item in result)
        {
            EmbeddingVector embedding = item.GetValueOrThrow();
            embeddings.Add(new Meai.Embedding<float>(embedding.Vector) { ModelId = embedding.Model });
        }

        embeddings.Usage = TypedBatchChatClient.ToUsage(result.Usage);
        return embeddings;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => TypedBatchChatClient.Service(this, client, _metadata, serviceType, serviceKey);

    public void Dispose()
    {
        // The TypedBatchClient belongs to whoever created it.
    }
}
