using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests.Cost;

/// <summary>
/// Cost over real HTTP: every expected figure is computed here from the usage the emulator reported and the price's
/// numbers, by the billing formula written out again, not by <see cref="ModelPrice.Cost"/>.
/// </summary>
public sealed class CostOverHttpTests : IAsyncLifetime
{
    private const decimal Input = 0.15m, Cached = 0.075m, Output = 0.60m;
    private static readonly ModelPrice Price = new(Input, Output) { CachedInputPerMillion = Cached };
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private static decimal Billed(TokenUsage usage, bool deferred = false)
    {
        decimal full = ((usage.PromptTokens - usage.CachedTokens) * Input + usage.CachedTokens * Cached + usage.CompletionTokens * Output) / 1_000_000m;
        return deferred ? full / 2 : full;
    }

    [Fact]
    public async Task A_5000_item_batch_costs_the_sum_of_its_items_usage_at_the_table_price()
    {
        await using TypedBatchClient client = Create(_emulator, o =>
        {
            o.Prices.Set(o.Model, Price); // an OpenAI-compatible server costs zero unless a price is set
            o.MaxConcurrency = 32;
        });

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 5_000).Select(Conversation).ToList());

        result.AllSucceeded.Should().BeTrue();
        result.Should().OnlyContain(item => item.Cost == Billed(item.Usage) && item.Value!.Cost == item.Cost);
        decimal expected = result.Sum(item => Billed(item.Usage));
        expected.Should().BeGreaterThan(0m);
        result.Cost.Should().Be(expected);
        result.Cost.Should().Be(Billed(result.Usage), "the price is linear in the tokens");
    }

    [Fact]
    public async Task A_local_server_without_a_price_costs_zero_and_a_single_call_carries_its_cost()
    {
        await using TypedBatchClient unpriced = Create(_emulator);
        BatchResult<ChatCompletion> free = await unpriced.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 5).Select(Conversation).ToList());
        free.Cost.Should().Be(0m);
        free.Usage.TotalTokens.Should().BeGreaterThan(0);

        await using TypedBatchClient priced = Create(_emulator, o => o.Prices.Set(o.Model, Price));
        ChatCompletion single = await priced.CreateChatCompletionAsync(Conversation(1));
        single.Cost.Should().Be(Billed(single.Usage)).And.BeGreaterThan(0m);
    }

    [Fact]
    public async Task An_embeddings_batch_splits_each_request_cost_over_its_inputs_exactly()
    {
        var embeddingPrice = new ModelPrice(0.02m, 0m);
        await using TypedBatchClient client = Create(_emulator, o =>
        {
            o.Prices.Set(o.EmbeddingModel, embeddingPrice);
            o.EmbeddingInputsPerRequest = 7; // requests of 7 inputs: shares that do not divide evenly
        });
        string[] inputs = Enumerable.Range(0, 100).Select(i => $"text number {i} " + new string('x', i % 13)).ToArray();

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(inputs);

        result.AllSucceeded.Should().BeTrue();
        result.Cost.Should().Be(result.Usage.PromptTokens * 0.02m / 1_000_000m);
        result.Should().OnlyContain(item => item.Cost > 0m);
    }

    [Fact]
    public async Task A_journaled_item_keeps_its_cost_on_a_rerun()
    {
        string journal = Path.Combine(Path.GetTempPath(), $"typedbatch-cost-{Guid.NewGuid():N}.jsonl");
        try
        {
            await using TypedBatchClient client = Create(_emulator, o => o.Prices.Set(o.Model, Price));
            var inputs = Enumerable.Range(0, 20).Select(Conversation).ToList();
            var options = new BatchOptions { Journal = BatchJournal.File(journal) };

            BatchResult<ChatCompletion> first = await client.CreateChatCompletionsBatchAsync(inputs, options);
            BatchResult<ChatCompletion> rerun = await client.CreateChatCompletionsBatchAsync(inputs, options);

            rerun.FromJournalCount.Should().Be(20);
            rerun.Select(item => item.Cost).Should().Equal(first.Select(item => item.Cost));
            rerun.Cost.Should().Be(first.Cost).And.BeGreaterThan(0m);
        }
        finally
        {
            File.Delete(journal);
        }
    }

    [Fact]
    public async Task Deferred_items_are_billed_at_the_batch_discount()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TimeProvider = time, BatchStep = TimeSpan.FromSeconds(1), BatchLinesPerStep = 2_000 });
        await using ServiceProvider services = CreateOnClock(emulator, time, o => o.Prices.Set(o.Model, Price));
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        var reviews = Enumerable.Range(0, 100).Select(i => $"review {i}: fine").ToList();
        var deferred = new DeferredOptions { PollInterval = TimeSpan.FromSeconds(1), MaxPollInterval = TimeSpan.FromSeconds(2) };

        BatchResult<Sentiment> result = await DriveAsync(analyst.ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, Deferred = deferred }), time, TimeSpan.FromSeconds(1));
        BatchResult<Sentiment> live = await DriveAsync(analyst.ClassifyBatchAsync(reviews.Take(10).ToList()), time, TimeSpan.FromSeconds(1));

        result.AllSucceeded.Should().BeTrue();
        result.Should().OnlyContain(item => item.Deferred && item.Cost == Billed(item.Usage, true) && item.Cost > 0m);
        result.Cost.Should().Be(result.Sum(item => Billed(item.Usage, true)));
        live.Should().OnlyContain(item => !item.Deferred && item.Cost == Billed(item.Usage, false));
    }
}
