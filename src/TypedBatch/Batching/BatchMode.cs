namespace TypedBatch;

/// <summary>How a batch is sent.</summary>
public enum BatchMode
{
    /// <summary>Concurrent requests, under the rate limits, with results as they come (the default).</summary>
    Live,

    /// <summary>
    /// Through the provider's file-based Batch API (OpenAI, Azure OpenAI): the requests are written as JSON Lines,
    /// uploaded and run by the provider within its completion window, at half the price and outside the live rate
    /// limits; the answers are read back into the same typed, ordered results. Options in <see cref="DeferredOptions"/>.
    /// </summary>
    Deferred,
}
