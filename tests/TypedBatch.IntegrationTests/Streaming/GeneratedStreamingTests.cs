using System.Runtime.CompilerServices;
using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;
using static TypedBatch.IntegrationTests.EmulatorClients;
using static TypedBatch.IntegrationTests.Streaming.Streams;

namespace TypedBatch.IntegrationTests.Streaming;

/// <summary>Generated streaming members over real HTTP: a method returning <c>IAsyncEnumerable&lt;string&gt;</c>, and <c>MStreamBatchAsync</c>.</summary>
public sealed class GeneratedStreamingTests : IAsyncLifetime
{
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StreamChunkCharacters = 5 });

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task A_streaming_prompt_method_hands_out_the_answer_piece_by_piece()
    {
        await using TypedBatchClient client = Create(_emulator);
        IStoryteller teller = client.For<IStoryteller>();

        List<string> pieces = [];
        await foreach (string piece in teller.TellAsync("dragons"))
        {
            pieces.Add(piece);
        }

        List<string> duel = [];
        await foreach (string piece in teller.Duel("a knight", "a dragon"))
        {
            duel.Add(piece);
        }

        pieces.Count.Should().BeGreaterThan(2);
        string.Concat(pieces).Should().Be("Re: Tell a story about dragons.");
        string.Concat(duel).Should().Be("Re: Tell a story about a knight and a dragon.");
        _emulator.GetStats().ChatRequestsReceived.Should().Be(2);
    }

    [Fact]
    public async Task A_streaming_method_is_cancelled_by_its_token_or_by_WithCancellation_and_a_refusal_fails_it()
    {
        await using TypedBatchClient client = Create(_emulator);
        IStoryteller teller = client.For<IStoryteller>();
        using var cancel = new CancellationTokenSource();

        Func<Task> byToken = async () =>
        {
            await foreach (string piece in teller.TellAsync("slow things [[drip-stream:200]]", cancel.Token))
            {
                await cancel.CancelAsync();
            }
        };
        using var later = new CancellationTokenSource();
        Func<Task> byEnumerator = async () =>
        {
            await foreach (string piece in teller.Duel("slow", "things [[drip-stream:200]]").WithCancellation(later.Token))
            {
                await later.CancelAsync();
            }
        };
        Func<Task> refused = async () =>
        {
            await foreach (string piece in teller.TellAsync("crimes [[refuse]]"))
            {
                _ = piece;
            }
        };

        await byToken.Should().ThrowAsync<OperationCanceledException>();
        await byEnumerator.Should().ThrowAsync<OperationCanceledException>();
        (await refused.Should().ThrowAsync<ProviderException>()).Which.Kind.Should().Be(BatchErrorKind.Refused);
    }

    [Fact]
    public async Task The_generated_stream_batch_member_streams_every_input_into_its_own_deltas()
    {
        await using TypedBatchClient client = Create(_emulator);
        IStoryteller teller = client.For<IStoryteller>();
        string[] topics = [.. Enumerable.Range(0, 30).Select(i => $"topic {i}")];

        List<BatchDelta> titles = await CollectAsync(teller.TitleStreamBatchAsync(topics, new BatchOptions { MaxConcurrency = 8 }));
        List<BatchDelta> morals = await CollectAsync(teller.MoralStreamBatchAsync([("a", "b"), ("c", "d [[fail:400]]")]));

        for (int i = 0; i < topics.Length; i++)
        {
            string text = string.Concat(titles.Where(d => d.Index == i && !d.IsFinal).Select(d => d.Text));
            text.Should().Be($"Re: Give a title for a story about topic {i}.");
            titles.Single(d => d.Index == i && d.IsFinal).Item!.Value.Value.Should().Be(text);
        }

        titles.Where(d => !d.IsFinal).Should().HaveCountGreaterThan(topics.Length * 2, "five characters a chunk");
        morals.Single(d => d.Index == 0 && d.IsFinal).Item!.Value.Value.Should().Be("Re: Give a moral for a story about a and b.");
        morals.Single(d => d.Index == 1 && d.IsFinal).Item!.Value.Error!.StatusCode.Should().Be(400);
    }

    [Fact]
    public async Task A_hand_written_implementation_gets_a_stream_batch_member_that_hands_out_each_answer_whole()
    {
        IStoryteller fake = new FakeStoryteller();

        List<BatchDelta> deltas = await CollectAsync(fake.TitleStreamBatchAsync(["a", "b", "boom"]));

        deltas.Where(d => d.Index == 0).Select(d => d.Text ?? d.Item!.Value.Value).Should().Equal("title of a", "title of a");
        deltas.Single(d => d.Index == 2 && d.IsFinal).Item!.Value.Error!.Message.Should().Contain("no title for boom");
        deltas.Count(d => d.IsFinal).Should().Be(3);
    }

    private sealed class FakeStoryteller : IStoryteller
    {
        public async IAsyncEnumerable<string> TellAsync(string topic, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            yield return topic;
        }

        public IAsyncEnumerable<string> Duel(string hero, string villain) => TellAsync(hero + villain);

        public Task<string> TitleAsync(string topic, CancellationToken cancellationToken = default)
            => topic == "boom" ? throw new InvalidOperationException("no title for boom") : Task.FromResult("title of " + topic);

        public ValueTask<string> MoralAsync(string hero, string villain) => ValueTask.FromResult(hero + villain);
    }
}
