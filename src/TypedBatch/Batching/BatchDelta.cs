namespace TypedBatch;

/// <summary>
/// One piece of a streamed batch (<c>StreamChatCompletionsBatchAsync</c>, a generated <c>…StreamBatchAsync</c>): a text
/// delta of one input's answer as it arrives, or that input's final delta, which carries its <see cref="Item"/> (the
/// whole answer with its usage and cost, or its error). Deltas of different inputs interleave; an input's text deltas
/// all come before its final one, and every input gets exactly one final delta.
/// </summary>
public sealed record BatchDelta
{
    /// <summary>The input's zero-based position in the batch.</summary>
    public required int Index { get; init; }

    /// <summary>The next piece of the input's answer; <see langword="null"/> on the final delta.</summary>
    public string? Text { get; init; }

    /// <summary>
    /// On the final delta of an input, its item: the whole answer's text as <see cref="BatchItem{T}.Value"/> with usage,
    /// cost and attempts, or its error. <see langword="null"/> on text deltas.
    /// </summary>
    public BatchItem<string>? Item { get; init; }

    /// <summary>Whether this is the input's final delta (<see cref="Item"/> is set).</summary>
    public bool IsFinal => Item is not null;

    /// <inheritdoc />
    public override string ToString() => Item is { } item ? $"#{Index} done: {item}" : $"#{Index}: {Text}";
}
