namespace TypedBatch;

/// <summary>A run of consecutive inputs sent as one embeddings request.</summary>
/// <param name="Inputs">The inputs as given; null or empty ones are not sent and fail as invalid input.</param>
/// <param name="FirstIndex">The batch index of the chunk's first input.</param>
/// <param name="Sent">For each input of the chunk, whether it was valid and sent.</param>
internal sealed record EmbeddingChunk(string?[] Inputs, int FirstIndex, bool[] Sent)
{
    public int LastIndex => FirstIndex + Inputs.Length - 1;
}

/// <summary>What came of one chunk: the embeddings of the inputs sent, or the error that failed them all.</summary>
internal sealed record EmbeddingChunkOutcome(IReadOnlyList<Embedding> Embeddings, BatchError? Error);

/// <summary>
/// Packs inputs, lazily and in order, into requests of at most <c>maxInputs</c> inputs and an estimated
/// <c>maxTokens</c> tokens, and unpacks the per-request results into one item per input. The estimate (a token per
/// three characters) errs high for English and code, so a request stays under the provider's per-request token limit
/// without a tokenizer; an input larger than the whole budget goes alone and the provider judges it.
/// </summary>
internal static class EmbeddingPacker
{
    public static int EstimateTokens(string? text) => text is null ? 0 : (text.Length + 2) / 3;

    /// <summary>Yields chunks lazily, in input order.</summary>
    public static IEnumerable<EmbeddingChunk> Pack(IEnumerable<string?> inputs, int maxInputs, int maxTokens)
    {
        var current = new List<string?>(Math.Min(maxInputs, 256));
        int first = 0, index = 0, tokens = 0;
        foreach (string? input in inputs)
        {
            int estimate = EstimateTokens(input);
            if (current.Count > 0 && (current.Count == maxInputs || tokens + estimate > maxTokens))
            {
                yield return Emit(first, current);
                current.Clear();
                first = index;
                tokens = 0;
            }

            current.Add(input);
            tokens += estimate;
            index++;
        }

        if (current.Count > 0)
        {
            yield return Emit(first, current);
        }
    }

    /// <summary>The runner's view of chunks: how far each reaches, and its per-input items.</summary>
    public static IBatchPacking<EmbeddingChunk, EmbeddingChunkOutcome, Embedding> Packing { get; } = new ChunkPacking();

    /// <summary>The per-input items of one request, in input order.</summary>
    public static IEnumerable<BatchItem<Embedding>> Expand(EmbeddingChunk chunk, BatchItem<EmbeddingChunkOutcome> request)
    {
        bool[] sentMask = chunk.Sent;
        int sentCount = sentMask.Count(s => s);
        // A request that failed outright (only cancellation escapes the work) fails every input it carried.
        BatchError? error = request.Succeeded ? request.Value!.Error : request.Error;
        int sent = 0;
        for (int i = 0; i < sentMask.Length; i++)
        {
            int index = chunk.FirstIndex + i;
            if (!sentMask[i])
            {
                yield return BatchItem.Failure<Embedding>(index, new BatchError(BatchErrorKind.InvalidInput, $"Input {index} is null or empty; it was not sent."), default, 0, TimeSpan.Zero);
            }
            else if (error is null)
            {
                yield return BatchItem.Success(index, request.Value!.Embeddings[sent], Share(request.Usage, sent, sentCount), request.Attempts, request.Latency, 0, request.Provider);
                sent++;
            }
            else
            {
                yield return BatchItem.Failure<Embedding>(index, error, Share(request.Usage, sent++, sentCount), request.Attempts, request.Latency);
            }
        }
    }

    /// <summary>Splits a request's usage over its inputs so that the items add up to the request exactly.</summary>
    private static TokenUsage Share(TokenUsage usage, int position, int count)
    {
        static long Part(long total, int position, int count) => (total / count) + (position < total % count ? 1 : 0);
        return count == 0 ? default : new TokenUsage(Part(usage.PromptTokens, position, count), Part(usage.CompletionTokens, position, count), Part(usage.TotalTokens, position, count), Part(usage.CachedTokens, position, count), Part(usage.ReasoningTokens, position, count));
    }

    private static EmbeddingChunk Emit(int first, List<string?> inputs)
    {
        string?[] array = inputs.ToArray();
        return new EmbeddingChunk(array, first, Array.ConvertAll(array, s => !string.IsNullOrEmpty(s)));
    }

    private sealed class ChunkPacking : IBatchPacking<EmbeddingChunk, EmbeddingChunkOutcome, Embedding>
    {
        public int LastIndex(EmbeddingChunk unit) => unit.LastIndex;

        public IEnumerable<BatchItem<Embedding>> Unpack(EmbeddingChunk unit, BatchItem<EmbeddingChunkOutcome> result) => Expand(unit, result);
    }
}
