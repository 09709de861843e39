using System.Globalization;

namespace TypedBatch.Emulator.Structured;

/// <summary>The deliberately bad answers a marker can ask for.</summary>
internal enum BadAnswer
{
    /// <summary>A good answer.</summary>
    None,

    /// <summary><c>[[invalid-json]]</c>: text that is not JSON.</summary>
    InvalidJson,

    /// <summary><c>[[wrong-shape]]</c>: JSON that does not fit the schema.</summary>
    WrongShape,

    /// <summary><c>[[fenced]]</c>: the good JSON inside a Markdown code fence.</summary>
    Fenced,

    /// <summary><c>[[truncated]]</c>: the first half of the answer, finish reason <c>length</c>.</summary>
    Truncated,

    /// <summary><c>[[refuse]]</c>: <c>content: null</c> and a <c>refusal</c>.</summary>
    Refuse,
}

/// <summary>
/// Reads the bad-answer markers (<c>[[invalid-json]]</c>, <c>[[wrong-shape]]</c>, <c>[[fenced]]</c>,
/// <c>[[truncated]]</c>, <c>[[refuse]]</c>, each optionally <c>:N</c>) and decides whether a request
/// gets one.
/// </summary>
/// <remarks>
/// The markers are read from the last message, else from the first user message, so that a
/// conversation keeps its marker when a client re-asks with the bad answer and a repair prompt
/// appended. <c>:N</c> counts answers per conversation key (<see cref="ConversationKey"/>: the model
/// and the first user message), not per fingerprint, because a re-ask changes the fingerprint:
/// the first N answers of the conversation are bad, later ones good. Without <c>:N</c> every answer is bad.
/// </remarks>
internal static class BadAnswerMarkers
{
    private static readonly (string Name, BadAnswer Kind)[] Names =
    [
        ("invalid-json", BadAnswer.InvalidJson),
        ("wrong-shape", BadAnswer.WrongShape),
        ("fenced", BadAnswer.Fenced),
        ("truncated", BadAnswer.Truncated),
        ("refuse", BadAnswer.Refuse),
    ];

    /// <summary>
    /// Reads one marker's text (between <c>[[</c> and <c>]]</c>); false when it is not a bad-answer
    /// marker or its count is not a positive number. <paramref name="times"/> 0 means "always".
    /// </summary>
    public static bool TryRead(ReadOnlySpan<char> marker, out BadAnswer kind, out int times)
    {
        times = 0;
        foreach ((string? name, BadAnswer candidate) in Names)
        {
            kind = candidate;
            if (marker.SequenceEqual(name))
            {
                return true;
            }

            if (marker.StartsWith(name) && marker.Length > name.Length + 1 && marker[name.Length] == ':')
            {
                return int.TryParse(marker[(name.Length + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out times) && times > 0;
            }
        }

        kind = BadAnswer.None;
        return false;
    }

    /// <summary>
    /// The bad answer this request gets, counting the answer against its conversation when the
    /// marker has a count. Call once per answered request, after injected failures are decided.
    /// </summary>
    /// <param name="request">The request being answered.</param>
    /// <param name="lastMessagePlan">The markers of the last message.</param>
    /// <param name="stats">Where answers per conversation are counted.</param>
    public static BadAnswer Choose(ChatRequest request, FaultPlan lastMessagePlan, StatsCollector stats)
    {
        FaultPlan plan = lastMessagePlan;
        if (plan.BadAnswer == BadAnswer.None && ConversationKey.FirstUserMessage(request) is { } first)
        {
            plan = FaultMarkers.Read(default, first);
        }

        if (plan.BadAnswer == BadAnswer.None || plan.BadAnswerTimes == 0)
        {
            return plan.BadAnswer;
        }

        return stats.ConversationAnswered(ConversationKey.Of(request)) <= plan.BadAnswerTimes ? plan.BadAnswer : BadAnswer.None;
    }
}
