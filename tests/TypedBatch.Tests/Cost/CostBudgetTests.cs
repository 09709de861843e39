namespace TypedBatch.Tests.Cost;

public sealed class CostBudgetTests
{
    [Fact]
    public async Task Reservations_never_pass_the_budget_and_a_request_waits_for_those_in_flight_before_it_is_refused()
    {
        var budget = new CostBudget(10m);

        (await budget.ReserveAsync(6m, CancellationToken.None)).Should().BeTrue();
        ValueTask<bool> waiting = budget.ReserveAsync(6m, CancellationToken.None);
        waiting.IsCompleted.Should().BeFalse("6 + 6 does not fit while the first may still settle lower");

        budget.Settle(6m, 1m); // it cost 1: 9 left
        (await waiting).Should().BeTrue();
        budget.Settle(6m, 6m);
        budget.Spent.Should().Be(7m);

        (await budget.ReserveAsync(4m, CancellationToken.None)).Should().BeFalse("7 + 4 passes 10 with nothing in flight");
        budget.Exhausted.Should().BeTrue();
        (await budget.ReserveAsync(0.5m, CancellationToken.None)).Should().BeFalse("once refused, nothing more is sent");
        budget.NotSent().Kind.Should().Be(BatchErrorKind.BudgetExceeded);
    }

    [Fact]
    public async Task Under_contention_the_spent_cost_never_passes_the_budget()
    {
        var budget = new CostBudget(100m);
        var random = new Random(11);
        decimal[] worst = Enumerable.Range(0, 2_000).Select(_ => (decimal)random.Next(1, 500) / 100m).ToArray();
        int sent = 0;

        await Parallel.ForEachAsync(Enumerable.Range(0, worst.Length), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            if (await budget.ReserveAsync(worst[i], ct))
            {
                Interlocked.Increment(ref sent);
                await Task.Yield();
                budget.Settle(worst[i], worst[i] * 0.3m);
            }
        });

        budget.Spent.Should().BeLessThanOrEqualTo(100m);
        budget.Spent.Should().BeGreaterThan(90m, "requests keep being admitted while what is left covers their worst case");
        sent.Should().BeLessThan(worst.Length);
        budget.Exhausted.Should().BeTrue();
    }

    [Fact]
    public void The_worst_case_bounds_the_prompt_by_its_bytes_and_the_output_by_max_tokens()
    {
        var price = new ModelPrice(1_000_000m, 2_000_000m); // 1 USD per prompt token, 2 per output token
        PromptMessage[] messages = [PromptMessage.System("ab"), PromptMessage.User("é")];

        // 3 for the reply + (4 + 2 bytes) + (4 + 2 bytes) + 5 schema bytes = 20 prompt tokens; 7 output tokens.
        CostBudget.WorstCase(price, messages, 7, "{\"a\"}"u8.ToArray()).Should().Be(20m + 14m);
        CostBudget.WorstCase(price, messages, 7, default, deferred: true).Should().Be((15m + 14m) / 2);
        CostBudget.WorstCase(price, ["abc", "é"]).Should().Be(5m);
    }
}
