using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// Identical requests of a batch sent once (<see cref="BatchOptions.Deduplicate"/>), proved by the emulator's counters:
/// 100 items over 10 distinct conversations reach the server as 10 requests when deterministic (temperature 0) or
/// forced, and as 100 otherwise.
/// </summary>
public sealed class DeduplicationOverHttpTests : IAsyncLifetime
{
    private static readonly List<IReadOnlyList<PromptMessage>> Inputs = Enumerable.Range(0, 100).Select(i => Conversation(i % 10)).ToList();
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task A_deterministic_batch_sends_each_distinct_request_once_and_fans_the_answer_out()
    {
        await using TypedBatchClient client = Create(_emulator, o => o.Prices.Set(o.Model, new ModelPrice(1m, 1m)));

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Inputs, new BatchOptions { Temperature = 0, MaxConcurrency = 16 });

        _emulator.GetStats().ChatRequestsReceived.Should().Be(10);
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 100));
        result.AllSucceeded.Should().BeTrue();
        result.DuplicateCount.Should().Be(90);
        foreach (BatchItem<ChatCompletion> item in result)
        {
            if (item.DuplicateOf is { } first)
            {
                (first % 10).Should().Be(item.Index % 10, "a duplicate shares the answer of the same request");
                result[first].DuplicateOf.Should().BeNull("the item whose request was sent");
                item.Value!.Content.Should().Be(result[first].Value!.Content);
                item.Usage.Should().Be(TokenUsage.Zero);
                item.Cost.Should().Be(0m, "nothing more was billed");
                item.Attempts.Should().Be(0);
            }
        }

        result.Where(item => item.DuplicateOf is null).Should().HaveCount(10);
        result.Cost.Should().Be(result.Where(item => item.DuplicateOf is null).Sum(item => item.Cost!.Value));
    }

    [Theory]
    [InlineData(0.3, null, 100)]
    [InlineData(0.0, false, 100)]
    [InlineData(0.3, true, 10)]
    [InlineData(0.0, null, 10)]
    public async Task Sampling_keeps_distinct_requests_unless_forced(double temperature, bool? deduplicate, int sent)
    {
        await using TypedBatchClient client = Create(_emulator);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Inputs, new BatchOptions { Temperature = temperature, Deduplicate = deduplicate });

        result.AllSucceeded.Should().BeTrue();
        _emulator.GetStats().ChatRequestsReceived.Should().Be(sent);
        result.DuplicateCount.Should().Be(100 - sent);
    }

    [Fact]
    public async Task Duplicates_are_journaled_at_their_own_index_so_a_rerun_sends_nothing()
    {
        string journal = Path.Combine(Path.GetTempPath(), $"typedbatch-dedup-{Guid.NewGuid():N}.jsonl");
        try
        {
            await using TypedBatchClient client = Create(_emulator);
            var options = new BatchOptions { Temperature = 0, Journal = BatchJournal.File(journal) };

            BatchResult<ChatCompletion> first = await client.CreateChatCompletionsBatchAsync(Inputs, options);
            BatchResult<ChatCompletion> rerun = await client.CreateChatCompletionsBatchAsync(Inputs, options);

            first.DuplicateCount.Should().Be(90);
            rerun.FromJournalCount.Should().Be(100);
            _emulator.GetStats().ChatRequestsReceived.Should().Be(10);
            rerun.Select(item => item.Value!.Content).Should().Equal(first.Select(item => item.Value!.Content));
        }
        finally
        {
            File.Delete(journal);
        }
    }
}
