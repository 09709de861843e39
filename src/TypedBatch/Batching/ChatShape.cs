namespace TypedBatch;

/// <summary>
/// What one kind of chat batch does with an item, whichever way it is sent: render the input, send it live, rebuild a
/// journaled answer, or take a deferred batch's answer (parsed, and repaired live where a typed answer does not fit).
/// The untyped API, generated prompt methods and typed prompt methods each have one (<see cref="BatchEngine"/>).
/// </summary>
/// <typeparam name="TIn">The input.</typeparam>
/// <typeparam name="TOut">The item's value.</typeparam>
internal sealed class ChatShape<TIn, TOut>
{
    /// <summary>The input's conversation.</summary>
    public required Func<TIn, IReadOnlyList<PromptMessage>> Render { get; init; }

    /// <summary>Sends a conversation live and builds the value (typed: parsed and repaired).</summary>
    public required Func<IReadOnlyList<PromptMessage>, CancellationToken, ValueTask<BatchWorkResult<TOut>>> Send { get; init; }

    /// <summary>A journaled completion back to the value, by the path a live answer takes.</summary>
    public required Func<ChatCompletion, TOut> Rebuild { get; init; }

    /// <summary>
    /// A completion that arrived another way (a deferred batch's output line) to the value: checked and parsed like a
    /// live one; a typed answer that does not parse is repaired live, with the conversation read back on demand.
    /// </summary>
    public required Func<ChatCompletion, Func<IReadOnlyList<PromptMessage>>, CancellationToken, ValueTask<BatchWorkResult<TOut>>> Answer { get; init; }

    /// <summary>What a journaled item cost, priced again from its usage, model and provider (a replay reports it as sent).</summary>
    public required Func<Journaling.JournalEntry, decimal?> CostOf { get; init; }
}
