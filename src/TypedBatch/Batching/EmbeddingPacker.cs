using TypedBatch.Journaling;

namespace TypedBatch;

/// <summary>A run of consecutive inputs sent as one embeddings request.</summary>
/// <param name="Inputs">The inputs as given; null or empty ones are not sent and fail as invalid input.</param>
/// <param name="FirstIndex">The batch index of the chunk's first input.</param>
/// <param name="Sent">For each input of the chunk, whether it was valid and sent.</param>
internal sealed record EmbeddingChunk(string?[] Inputs, int FirstIndex, bool[] Sent)
{
    public int LastIndex => FirstIndex + Inputs.Length - 1;

    /// <summary>With a journal, for a chunk that is sent: each input's fingerprint, to journal its outcome under.</summary>
    public JournalFingerprint[]? Fingerprints { get; init; }

    /// <summary>For a chunk replayed from the journal (nothing is sent): where each valid input's entry is.</summary>
    public JournalLookup[]? Replays { get; init; }
}

/// <summary>What came of one chunk: the embeddings of the inputs sent, or the error that failed them all.</summary>
internal sealed record EmbeddingChunkOutcome(IReadOnlyList<EmbeddingVector> Embeddings, BatchError? Error)
{
    /// <summary>For a replayed chunk: the items read back from the journal, one per valid input.</summary>
    public BatchItem<EmbeddingVector>[]? Replayed { get; init; }
}

/// <summary>
/// Packs inputs, lazily and in order, into requests of at most <c>maxInputs</c> inputs and an estimated
/// <c>maxTokens</c> tokens, and unpacks the per-request results into one item per input. The estimate (a token per
/// three characters) errs high for English and code, so a request stays under the provider's per-request token limit
/// without a tokenizer; an input larger than the whole budget goes alone and the provider judges it.
/// </summary>
internal static class EmbeddingPacker
{
    public static int EstimateTokens(string? text) => text is null ? 0 : (text.Length + 2) / 3;

    /// <summary>
    /// Yields chunks lazily, in input order. With a journal, the inputs it replays go into chunks of their own, which
    /// send nothing, so a resumed batch packs only what is missing into requests.
    /// </summary>
    public static IEnumerable<EmbeddingChunk> Pack(IEnumerable<string?> inputs, int maxInputs, int maxTokens, JournalFile? journal = null)
    {
        var current = new List<string?>(Math.Min(maxInputs, 256));
        List<JournalFingerprint>? fingerprints = journal is null ? null : [];
        List<JournalLookup>? replays = journal is null ? null : [];
        bool replaying = false;
        int first = 0, index = 0, tokens = 0;
        foreach (string? input in inputs)
        {
            int estimate = EstimateTokens(input);
            JournalFingerprint fingerprint = default;
            JournalLookup lookup = default;
            bool valid = !string.IsNullOrEmpty(input);
            if (journal is not null && valid)
            {
                fingerprint = JournalFingerprint.Of(journal.Definition, input!);
                lookup = journal.Lookup(index, fingerprint);
            }

            // A replayed input never shares a chunk with a sent one; invalid inputs go with whichever is current.
            bool switching = valid && journal is not null && current.Count > 0 && lookup.Replay != replaying;
            if (current.Count > 0 && (switching || current.Count == maxInputs || (!replaying && tokens + estimate > maxTokens)))
            {
                yield return Emit(first, current, replaying ? null : fingerprints, replaying ? replays : null);
                current.Clear();
                fingerprints?.Clear();
                replays?.Clear();
                first = index;
                tokens = 0;
            }

            if (valid && journal is not null)
            {
                replaying = lookup.Replay;
            }

            current.Add(input);
            fingerprints?.Add(fingerprint);
            replays?.Add(lookup);
            tokens += estimate;
            index++;
        }

        if (current.Count > 0)
        {
            yield return Emit(first, current, replaying ? null : fingerprints, replaying ? replays : null);
        }
    }

    /// <summary>The runner's view of chunks: how far each reaches, and its per-input items (journaled as they are unpacked).</summary>
    public static IBatchPacking<EmbeddingChunk, EmbeddingChunkOutcome, EmbeddingVector> Packing(JournalFile? journal = null)
        => journal is null ? Unjournaled : new ChunkPacking(journal);

    /// <summary>Reads a replayed chunk's items back from the journal.</summary>
    public static BatchItem<EmbeddingVector>[] Replay(JournalFile journal, EmbeddingChunk chunk, JournalLookup[] replays, Func<JournalEntry, decimal?> costOf)
    {
        var items = new List<BatchItem<EmbeddingVector>>(chunk.Inputs.Length);
        for (int i = 0; i < chunk.Inputs.Length; i++)
        {
            if (!chunk.Sent[i])
            {
                continue;
            }

            int index = chunk.FirstIndex + i;
            JournalEntry entry = journal.Read(index, replays[i]);
            items.Add(entry.Succeeded
                ? new BatchItem<EmbeddingVector>(index, entry.ToEmbedding(), null, entry.Usage, entry.Attempts, TimeSpan.Zero, 0, entry.Provider, fromJournal: true, deferred: entry.Deferred, cost: costOf(entry))
                : new BatchItem<EmbeddingVector>(index, null, entry.ToError(), entry.Usage, entry.Attempts, TimeSpan.Zero, 0, entry.Provider, fromJournal: true, deferred: entry.Deferred, cost: costOf(entry)));
        }

        return [.. items];
    }

    /// <summary>The per-input items of one request, in input order.</summary>
    public static IEnumerable<BatchItem<EmbeddingVector>> Expand(EmbeddingChunk chunk, BatchItem<EmbeddingChunkOutcome> request)
    {
        bool[] sentMask = chunk.Sent;
        int sentCount = sentMask.Count(s => s);
        // A request that failed outright (only cancellation escapes the work) fails every input it carried.
        BatchItem<EmbeddingVector>[]? replayed = request.Succeeded ? request.Value!.Replayed : null;
        BatchError? error = request.Succeeded ? request.Value!.Error : request.Error;
        int sent = 0;
        decimal given = 0m;
        for (int i = 0; i < sentMask.Length; i++)
        {
            int index = chunk.FirstIndex + i;
            if (!sentMask[i])
            {
                yield return BatchItem.Failure<EmbeddingVector>(index, new BatchError(BatchErrorKind.InvalidInput, $"Input {index} is null or empty; it was not sent."), default, 0, TimeSpan.Zero);
            }
            else if (replayed is not null)
            {
                yield return replayed[sent++];
            }
            else
            {
                TokenUsage usage = Share(request.Usage, sent, sentCount);
                decimal? cost = null;
                if (request.Cost is { } total)
                {
                    // Shares in proportion to the prompt tokens; the last input takes the rest, so the items add up exactly.
                    cost = sent == sentCount - 1 ? total - given
                        : request.Usage.PromptTokens > 0 ? total * usage.PromptTokens / request.Usage.PromptTokens
                        : total / sentCount;
                    given += cost.Value;
                }

                yield return error is null
                    ? BatchItem.Success(index, request.Value!.Embeddings[sent], usage, request.Attempts, request.Latency, 0, request.Provider, cost)
                    : BatchItem.Failure<EmbeddingVector>(index, error, usage, request.Attempts, request.Latency, 0, cost);
                sent++;
            }
        }
    }

    /// <summary>Splits a request's usage over its inputs so that the items add up to the request exactly.</summary>
    private static TokenUsage Share(TokenUsage usage, int position, int count)
    {
        static long Part(long total, int position, int count) => (total / count) + (position < total % count ? 1 : 0);
        return count == 0 ? default : new TokenUsage(Part(usage.PromptTokens, position, count), Part(usage.CompletionTokens, position, count), Part(usage.TotalTokens, position, count), Part(usage.CachedTokens, position, count), Part(usage.ReasoningTokens, position, count));
    }

    private static readonly ChunkPacking Unjournaled = new(null);

    private static EmbeddingChunk Emit(int first, List<string?> inputs, List<JournalFingerprint>? fingerprints, List<JournalLookup>? replays)
    {
        string?[] array = inputs.ToArray();
        return new EmbeddingChunk(array, first, Array.ConvertAll(array, s => !string.IsNullOrEmpty(s)))
        {
            Fingerprints = fingerprints?.ToArray(),
            Replays = replays?.ToArray(),
        };
    }

    private sealed class ChunkPacking(JournalFile? journal) : IBatchPacking<EmbeddingChunk, EmbeddingChunkOutcome, EmbeddingVector>
    {
        public int LastIndex(EmbeddingChunk unit) => unit.LastIndex;

        public IEnumerable<BatchItem<EmbeddingVector>> Unpack(EmbeddingChunk unit, BatchItem<EmbeddingChunkOutcome> result)
        {
            if (journal is null || unit.Fingerprints is not { } fingerprints)
            {
                return Expand(unit, result);
            }

            return Journaled(unit, result, fingerprints, journal);
        }

        /// <summary>Journals every sent input's outcome before the runner reports it; invalid inputs were never sent and are not journaled.</summary>
        private static IEnumerable<BatchItem<EmbeddingVector>> Journaled(EmbeddingChunk unit, BatchItem<EmbeddingChunkOutcome> result, JournalFingerprint[] fingerprints, JournalFile journal)
        {
            foreach (BatchItem<EmbeddingVector> item in Expand(unit, result))
            {
                int position = item.Index - unit.FirstIndex;
                if (unit.Sent[position] && !(item.Error is { Kind: BatchErrorKind.Cancelled }))
                {
                    Task flushed = item.Succeeded
                        ? journal.AppendEmbedding(item.Index, fingerprints[position], item.Value!, item.Usage, item.Attempts, item.Provider)
                        : journal.AppendFailure(item.Index, fingerprints[position], item.Error, item.Usage, item.Attempts, 0);

                    // Complete at once but with Durability.EveryItem, whose flush the item waits for (unpacking is synchronous).
                    flushed.GetAwaiter().GetResult();
                }

                yield return item;
            }
        }
    }
}
