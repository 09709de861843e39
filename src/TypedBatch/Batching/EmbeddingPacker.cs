namespace TypedBatch;

/// <summary>A run of consecutive inputs sent as one embeddings request.</summary>
/// <param name="Inputs">The inputs as given; null or empty ones are not sent and fail as invalid input.</param>
/// <param name="Shape">Where the chunk starts and which inputs are sent.</param>
internal sealed record EmbeddingChunk(string?[] Inputs, EmbeddingChunkShape Shape)
{
    public int FirstIndex => Shape.FirstIndex;
}

/// <summary>What came of one chunk: its shape, and the embeddings of the inputs sent or the error that failed them.</summary>
internal sealed record EmbeddingChunkOutcome(EmbeddingChunkShape Shape, IReadOnlyList<Embedding> Embeddings, BatchError? Error);

/// <summary>What is kept of a chunk after it is sent: where it starts and which inputs were sent, not the texts.</summary>
/// <param name="FirstIndex">The batch index of the chunk's first input.</param>
/// <param name="Sent">For each input of the chunk, whether it was valid and sent.</param>
internal sealed record EmbeddingChunkShape(int FirstIndex, bool[] Sent);

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

    /// <summary>Turns one result per request into one result per input, in input order.</summary>
    public static BatchResult<Embedding> Unpack(BatchResult<EmbeddingChunkOutcome> requests)
    {
        var items = new ResultBuffer<BatchItem<Embedding>>();
        foreach (BatchItem<EmbeddingChunkOutcome> request in requests)
        {
            foreach (BatchItem<Embedding> item in Expand(request))
            {
                items.Reserve(item.Index);
                items[item.Index] = item;
            }
        }

        return new BatchResult<Embedding>(items, requests.Elapsed, requests.PeakConcurrency);
    }

    /// <summary>The per-input items of one request, in input order.</summary>
    public static IEnumerable<BatchItem<Embedding>> Expand(BatchItem<EmbeddingChunkOutcome> request)
    {
        EmbeddingChunkOutcome outcome = request.Value!;
        bool[] sentMask = outcome.Shape.Sent;
        int sentCount = sentMask.Count(s => s);
        int sent = 0;
        for (int i = 0; i < sentMask.Length; i++)
        {
            int index = outcome.Shape.FirstIndex + i;
            if (!sentMask[i])
            {
                yield return BatchItem.Failure<Embedding>(index, new BatchError(BatchErrorKind.InvalidInput, $"Input {index} is null or empty; it was not sent."), default, 0, TimeSpan.Zero);
            }
            else if (outcome.Error is null)
            {
                yield return BatchItem.Success(index, outcome.Embeddings[sent], Share(request.Usage, sent, sentCount), request.Attempts, request.Latency);
                sent++;
            }
            else
            {
                yield return BatchItem.Failure<Embedding>(index, outcome.Error, Share(request.Usage, sent++, sentCount), request.Attempts, request.Latency);
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
        return new EmbeddingChunk(array, new EmbeddingChunkShape(first, Array.ConvertAll(array, s => !string.IsNullOrEmpty(s))));
    }
}
