namespace TypedBatch.Providers;

/// <summary>How TypedBatch's own providers keep a batch's <see cref="BatchOptions.MaxCost"/>.</summary>
internal static class ProviderBudget
{
    /// <summary>
    /// One call under the batch's budget: its worst case reserved first (a refusal is the call's
    /// <see cref="BatchErrorKind.BudgetExceeded"/>, nothing sent), then settled at what the answer cost, or at nothing
    /// when no answer came.
    /// </summary>
    public static async Task<T> WithinAsync<T>(CostBudget budget, decimal worst, string provider, Func<Task<T>> send, Func<T, decimal?> costOf, CancellationToken cancellationToken)
    {
        if (!await budget.ReserveAsync(worst, cancellationToken).ConfigureAwait(false))
        {
            throw new ProviderException(BatchErrorKind.BudgetExceeded, provider, budget.NotSent().Message) { Attempts = 0 };
        }

        T answer;
        try
        {
            answer = await send().ConfigureAwait(false);
        }
        catch
        {
            budget.Settle(worst, 0m); // nothing answered, nothing billed to the batch
            throw;
        }

        budget.Settle(worst, costOf(answer));
        return answer;
    }
}
