using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;
using static TypedBatch.IntegrationTests.Streaming.Streams;

namespace TypedBatch.IntegrationTests.Streaming;

/// <summary>
/// <c>StreamChatCompletionsBatchAsync</c> over real HTTP: every input's deltas belong to it and add up to its answer,
/// one final delta per input after its text, failures as final items, the concurrency bound, and the journal.
/// </summary>
public sealed class BatchStreamingOverHttpTests : IAsyncLifetime, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-stream-").FullName;
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync(new EmulatorOptions
    {
        StreamChunkCharacters = 4,
        Latency = TimeSpan.FromMilliseconds(5),
        LatencyJitter = TimeSpan.FromMilliseconds(10),
    });

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Each_inputs_deltas_add_up_to_its_answer_and_end_with_one_final_delta_carrying_its_item()
    {
        await using TypedBatchClient client = Create(_emulator, o => o.Prices.Set(o.Model, new ModelPrice(1m, 2m)));
        var conversations = Enumerable.Range(0, 200).Select(Conversation).ToList();
        BatchResult<ChatCompletion> whole = await client.CreateChatCompletionsBatchAsync(conversations);
        _emulator.ResetPeakConcurrency();

        List<BatchDelta> deltas = await CollectAsync(client.StreamChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = 16 }));

        deltas.Where(d => d.IsFinal).Select(d => d.Index).Should().BeEquivalentTo(Enumerable.Range(0, 200), "one final delta per input");
        for (int i = 0; i < 200; i++)
        {
            var mine = deltas.Where(d => d.Index == i).ToList();
            mine[^1].IsFinal.Should().BeTrue("the final delta comes after the input's text");
            string text = string.Concat(mine.SkipLast(1).Select(d => d.Text));
            text.Should().Be(whole[i].Value!.Content);
            BatchItem<string> item = mine[^1].Item!.Value;
            item.Value.Should().Be(text);
            item.Usage.Should().Be(whole[i].Usage);
            item.Cost.Should().Be(whole[i].Cost).And.BeGreaterThan(0m);
            mine.SkipLast(1).Should().HaveCountGreaterThan(1, "4 characters a chunk");
        }

        deltas.Select(d => d.Index).Should().NotBeInAscendingOrder("answers stream side by side");
        EmulatorStats stats = _emulator.GetStats();
        stats.ChatRequestsReceived.Should().Be(400);
        stats.MaxConcurrentRequests.Should().BeLessThanOrEqualTo(16);
    }

    [Fact]
    public async Task A_failing_input_ends_with_its_error_and_the_others_are_unaffected()
    {
        await using TypedBatchClient client = Create(_emulator);
        List<IReadOnlyList<PromptMessage>> conversations =
        [
            [PromptMessage.User("fine")],
            [PromptMessage.User("bad request [[fail:400]]")],
            [PromptMessage.User("cut after two pieces [[stream-cut:2]]")],
            [PromptMessage.User("cut before any piece, once [[stream-cut:0:1]]")],
            [],
        ];

        List<BatchDelta> deltas = await CollectAsync(client.StreamChatCompletionsBatchAsync(conversations));

        BatchItem<string> Final(int index) => deltas.Single(d => d.Index == index && d.IsFinal).Item!.Value;
        int Pieces(int index) => deltas.Count(d => d.Index == index && !d.IsFinal);
        Final(0).Value.Should().Be("Re: fine");
        Final(1).Error!.StatusCode.Should().Be(400);
        Pieces(1).Should().Be(0);
        Final(2).Error!.Kind.Should().Be(BatchErrorKind.Transport);
        Pieces(2).Should().Be(2, "the pieces that came before the cut were handed out");
        Final(3).Value.Should().StartWith("Re: cut before any piece");
        Final(4).Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        deltas.Count(d => d.IsFinal).Should().Be(5);
    }

    [Fact]
    public async Task A_journaled_batch_streamed_again_sends_nothing_and_hands_each_answer_out_whole()
    {
        await using TypedBatchClient client = Create(_emulator);
        var conversations = Enumerable.Range(0, 20).Select(Conversation).ToList();
        var options = new BatchOptions { Journal = BatchJournal.File(Path.Combine(_directory, "stream.jsonl")) };
        List<BatchDelta> first = await CollectAsync(client.StreamChatCompletionsBatchAsync(conversations, options));

        List<BatchDelta> again = await CollectAsync(client.StreamChatCompletionsBatchAsync(conversations, options));

        _emulator.GetStats().ChatRequestsReceived.Should().Be(20, "the rerun was answered from the journal");
        again.Where(d => !d.IsFinal).Should().HaveCount(20, "one whole-text delta per journaled input");
        again.Where(d => d.IsFinal).Should().OnlyContain(d => d.Item!.Value.FromJournal);
        for (int i = 0; i < 20; i++)
        {
            string streamed = string.Concat(first.Where(d => d.Index == i && !d.IsFinal).Select(d => d.Text));
            again.Single(d => d.Index == i && !d.IsFinal).Text.Should().Be(streamed);
        }
    }

    [Fact]
    public async Task Deferred_mode_and_budgets_are_refused_before_anything_is_sent()
    {
        await using TypedBatchClient client = Create(_emulator);
        IReadOnlyList<PromptMessage>[] one = [[PromptMessage.User("hi")]];

        Action deferred = () => client.StreamChatCompletionsBatchAsync(one, new BatchOptions { Mode = BatchMode.Deferred });
        Action budget = () => client.StreamChatCompletionsBatchAsync(one, new BatchOptions { MaxCost = 1m, MaxTokens = 10 });

        deferred.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options.Mode");
        budget.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("options.MaxCost");
        _emulator.GetStats().ChatRequestsReceived.Should().Be(0);
    }
}
