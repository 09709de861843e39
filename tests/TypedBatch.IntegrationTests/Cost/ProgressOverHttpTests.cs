using System.Collections.Concurrent;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests.Cost;

/// <summary>What a batch reports while it runs: counts, retries, tokens, cost, rate and time left, consistent with its result.</summary>
public sealed class ProgressOverHttpTests
{
    [Fact]
    public async Task Progress_carries_retries_tokens_cost_and_an_estimate_that_end_at_the_results_totals()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Error500Rate = 0.3, FaultSeed = 5 });
        await using TypedBatchClient client = Create(emulator, o =>
        {
            o.Prices.Set(o.Model, new ModelPrice(1m, 2m));
            o.MaxRetries = 8;
        });
        var reports = new ConcurrentQueue<BatchProgress>();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 40).Select(Conversation).ToList(),
            new BatchOptions { MaxConcurrency = 1, Progress = new Reporter(reports.Enqueue) });

        BatchProgress[] seen = [.. reports];
        seen.Should().NotBeEmpty().And.OnlyContain(p => p.Total == 40);
        seen.Select(p => p.Completed).Should().BeInAscendingOrder();
        seen.Select(p => p.Usage.TotalTokens).Should().BeInAscendingOrder();
        seen.Select(p => p.Retries).Should().BeInAscendingOrder();
        seen.Where(p => p.Completed < 40).Should().OnlyContain(p => p.EstimatedRemaining != null && p.ItemsPerSecond > 0);
        BatchProgress last = seen.MaxBy(p => p.Completed);
        last.Completed.Should().Be(40);
        last.Usage.Should().Be(result.Usage);
        last.Cost.Should().Be(result.Cost);
        last.Retries.Should().Be(result.Sum(item => item.Attempts - 1)).And.BeGreaterThan(0);
        last.EstimatedRemaining.Should().Be(TimeSpan.Zero);
    }

    private sealed class Reporter(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
