namespace TypedBatch.LoadTests.Clients;

/// <summary>
/// The deferred scenario's workload as a prompt client: a classification with long instructions (about 900 characters,
/// some 230 prompt tokens, so that a request line is about 1.1 KB as in a real Batch API job) and a short answer (the
/// emulator echoes the user message: <c>Re: Classify review item 000001.</c>).
/// </summary>
[PromptClient(Model = "gpt-4o-mini")]
[System(DeferredWorkload.SystemPrompt)]
public partial interface IDeferredPrompts
{
    [User("Classify review {review}.")]
    [Completion(Temperature = 0.3, MaxTokens = 100)]
    Task<string> ClassifyAsync(string review, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="IDeferredPrompts"/> renders, for the peer, which builds the same request lines by hand.</summary>
public static class DeferredWorkload
{
    public const string SystemPrompt =
        "You are a meticulous analyst of customer reviews for an online retailer that sells electronics, books, "
        + "kitchenware and garden tools. Read the review you are given and classify its overall sentiment as exactly one "
        + "of the words positive, negative, neutral or mixed. A review is positive when the customer would buy again or "
        + "recommends the product, negative when the customer regrets the purchase, returns the product or warns others, "
        + "neutral when it only describes the product or the delivery without judging it, and mixed when it praises some "
        + "aspects and criticises others with similar weight. Ignore the star rating if one is quoted in the text; judge "
        + "the words. Sarcasm counts as what the customer means, not what the words literally say. Complaints about the "
        + "courier, the packaging or the price alone make a review negative only when the customer says they regret the "
        + "purchase. Answer with the one word, in lower case, without punctuation, quotes or any explanation.";

    public const string Model = "gpt-4o-mini";

    public const double Temperature = 0.3;

    public const int MaxTokens = 100;

    /// <summary>The user message for <paramref name="review"/>.</summary>
    public static string UserPrompt(string review) => $"Classify review {review}.";

    /// <summary>The emulator's answer to it: "Re: " and the user message.</summary>
    public static string Answer(string review) => "Re: " + UserPrompt(review);

    /// <summary>The review names, lazily: <c>item 000000</c>, … (every request differs, as in a real batch).</summary>
    public static IEnumerable<string> Reviews(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return "item " + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
