using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests.Cost;

/// <summary>
/// <see cref="BatchOptions.MaxCost"/> over real HTTP: the batch stops sending when the budget cannot cover another
/// request, every input still gets its item in order, and the cost never passes the budget, with many requests in
/// flight and with retries.
/// </summary>
public sealed class BudgetOverHttpTests
{
    // Priced high so that a few dozen requests spend the budget.
    private static readonly ModelPrice Price = new(InputPerMillion: 100m, OutputPerMillion: 400m);

    private static decimal WorstCase(int i) => CostBudget.WorstCase(Price, Conversation(i), 200, default);

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(16, 0.0)]
    [InlineData(16, 0.3)]
    public async Task A_budget_stops_the_batch_with_BudgetExceeded_items_and_never_overspends(int concurrency, double errorRate)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Error500Rate = errorRate, FaultSeed = 7 });
        await using TypedBatchClient client = Create(emulator, o =>
        {
            o.Prices.Set(o.Model, Price);
            o.MaxRetries = 5;
        });
        decimal budget = 3 * WorstCase(0); // a request costs far less than its worst case: dozens fit

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 300).Select(Conversation).ToList(),
            new BatchOptions { MaxCost = budget, MaxConcurrency = concurrency, MaxTokens = 200 });

        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 300), "every input has its item, in order");
        result.Cost.Should().NotBeNull().And.BeLessThanOrEqualTo(budget);
        result.SucceededCount.Should().BeGreaterThan(3, "a request's worst case is above what it costs, so more than the worst cases fit are sent");
        (result.Cost!.Value + WorstCase(0)).Should().BeGreaterThan(budget, "it stopped only when not even the smallest request's worst case fitted");
        result.Failures.Should().NotBeEmpty().And.OnlyContain(item => item.Error!.Kind == BatchErrorKind.BudgetExceeded);
        result.Failures.Where(item => item.Attempts == 0).Should().HaveCount(result.FailedCount, "an item refused by the budget is not sent");
        result.Where(item => item.Succeeded).Sum(item => item.Cost!.Value).Should().Be(result.Cost!.Value);
        emulator.GetStats().ChatRequestsServed.Should().Be(result.SucceededCount, "nothing refused by the budget reached the server");
        result.Failures.First().Error!.Message.Should().Contain("MaxCost");
        if (errorRate > 0)
        {
            result.Should().Contain(item => item.Succeeded && item.Attempts > 1, "retried requests are part of the run");
        }
    }

    [Fact]
    public async Task A_budget_that_covers_the_batch_changes_nothing()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => o.Prices.Set(o.Model, Price));

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 50).Select(Conversation).ToList(), new BatchOptions { MaxCost = 1_000m, MaxTokens = 200 });

        result.AllSucceeded.Should().BeTrue();
        result.Cost.Should().BeGreaterThan(0m);
    }

    [Fact]
    public async Task A_budget_the_call_cannot_keep_is_refused_before_anything_is_sent()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var inputs = Enumerable.Range(0, 5).Select(Conversation).ToList();

        // OpenAI bills: a model without a price there cannot be budgeted.
        await using TypedBatchClient billed = Create(emulator, o =>
        {
            o.Provider = ProviderKind.OpenAI;
            o.ApiKey = "sk-test-budget";
            o.Model = "house-model-v2";
        });
        Func<Task> unpriced = () => billed.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { MaxCost = 1m });
        (await unpriced.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*house-model-v2*TypedBatchOptions.Prices*");

        await using TypedBatchClient local = Create(emulator, o => o.Prices.Set(o.Model, Price));
        Func<Task> deferred = () => local.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { MaxCost = 1m, Mode = BatchMode.Deferred });
        (await deferred.Should().ThrowAsync<ArgumentException>()).WithMessage("*MaxCost*deferred*");
        Func<Task> negative = () => local.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { MaxCost = 0m });
        await negative.Should().ThrowAsync<ArgumentOutOfRangeException>();

        emulator.GetStats().ChatRequestsReceived.Should().Be(0);
    }

    [Fact]
    public async Task An_embeddings_batch_keeps_its_budget_too()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o =>
        {
            o.Prices.Set(o.EmbeddingModel, new ModelPrice(1_000m, 0m));
            o.EmbeddingInputsPerRequest = 10;
        });
        string[] inputs = Enumerable.Range(0, 200).Select(i => $"text number {i:000}").ToArray();
        decimal perRequest = CostBudget.WorstCase(new ModelPrice(1_000m, 0m), inputs.Take(10).ToArray());

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(inputs, new BatchOptions { MaxCost = 5 * perRequest, MaxConcurrency = 4 });

        result.Should().HaveCount(200);
        result.Cost.Should().BeLessThanOrEqualTo(5 * perRequest);
        result.SucceededCount.Should().BeGreaterThanOrEqualTo(50);
        result.Failures.Should().OnlyContain(item => item.Error!.Kind == BatchErrorKind.BudgetExceeded).And.NotBeEmpty();
    }
}
