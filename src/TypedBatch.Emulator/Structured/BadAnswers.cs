namespace TypedBatch.Emulator.Structured;

/// <summary>The text of an answer: <see cref="Content"/> or, for a refusal, <see cref="Refusal"/>.</summary>
/// <param name="Content">The assistant content; null for a refusal.</param>
/// <param name="Refusal">The refusal; null otherwise.</param>
/// <param name="FinishReason">The finish reason.</param>
internal readonly record struct AnswerText(string? Content, string? Refusal, string FinishReason);

/// <summary>Turns a good answer into the <see cref="BadAnswer"/> a marker asked for.</summary>
internal static class BadAnswers
{
    /// <summary>The refusal text, as the real service words it (fixtures/openai-recordings/ChatTests_StructuredRefusalWorks.json).</summary>
    public const string RefusalText = "I'm very sorry, but I can't assist with that request.";

    /// <summary>The <c>[[invalid-json]]</c> content: prose with an unbalanced brace, so no lenient parser finds JSON in it.</summary>
    public const string InvalidJsonText = "I think the answer is 42. {\"broken\": ";

    /// <summary>
    /// Applies <paramref name="bad"/> to a good answer. <c>[[wrong-shape]]</c> and <c>[[fenced]]</c>
    /// only change structured answers; the others apply to plain text too.
    /// </summary>
    /// <param name="bad">The bad answer asked for.</param>
    /// <param name="goodContent">The good content.</param>
    /// <param name="structured">The structured answer behind <paramref name="goodContent"/>; null for plain text.</param>
    public static AnswerText Apply(BadAnswer bad, string goodContent, StructuredContent? structured) => bad switch
    {
        BadAnswer.InvalidJson => new AnswerText(InvalidJsonText, null, "stop"),
        BadAnswer.WrongShape when structured is { } s => new AnswerText(WrongShape.From(s.Json, s.Schema), null, "stop"),
        BadAnswer.Fenced when structured is not null => new AnswerText("```json\n" + goodContent + "\n```", null, "stop"),
        BadAnswer.Truncated => new AnswerText(DeterministicAnswers.Cut(goodContent, goodContent.Length / 2), null, "length"),
        BadAnswer.Refuse => new AnswerText(null, RefusalText, "stop"),
        _ => new AnswerText(goodContent, null, "stop"),
    };
}
