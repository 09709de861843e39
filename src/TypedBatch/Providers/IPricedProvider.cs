namespace TypedBatch.Providers;

/// <summary>One of TypedBatch's own providers, which prices its answers and can hold a request back for a budget.</summary>
internal interface IPricedProvider
{
    /// <summary>What this provider's answers cost.</summary>
    Pricing Pricing { get; }
}
