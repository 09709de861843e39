using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests.Mutation;

/// <summary>Adaptive concurrency's exact arithmetic and cooldown edge; the embeddings packer's bounds and usage shares.</summary>
public sealed class ConcurrencyAndPackingEdgeTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void The_cooldown_is_one_second_to_the_tick()
    {
        var controller = new AdaptiveConcurrency(100, _time);

        controller.OnThrottled();
        _time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        controller.OnThrottled();
        controller.Limit.Should().Be(70);
        _time.Advance(TimeSpan.FromTicks(1));
        controller.OnThrottled();

        controller.Limit.Should().Be(49);
        controller.Minimum.Should().Be(49);
        controller.Throttles.Should().Be(3);
        controller.Max.Should().Be(100);
    }

    [Fact]
    public void A_success_adds_one_over_the_limit()
    {
        var controller = new AdaptiveConcurrency(10, _time);
        controller.OnThrottled(); // 7

        for (int i = 0; i < 7; i++)
        {
            controller.OnSuccess();
        }

        controller.Limit.Should().Be(7, "each success adds 1/limit of the limit it finds: 7 + 1/7 + 1/7.14 + ... stays below 8 after seven");
        controller.OnSuccess();
        controller.Limit.Should().Be(8, "the eighth completes the round");
        controller.Minimum.Should().Be(7);
    }

    [Fact]
    public void With_adaptive_off_throttles_are_only_counted()
    {
        var controller = new AdaptiveConcurrency(10, _time, adaptive: false);

        controller.OnThrottled();
        controller.OnSuccess();

        controller.Limit.Should().Be(10);
        controller.Minimum.Should().Be(10);
        controller.Throttles.Should().Be(1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void The_ceiling_must_be_at_least_one(int max)
    {
        FluentActions.Invoking(() => new AdaptiveConcurrency(max, _time)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Growing_back_releases_a_waiter_and_a_cut_holds_them()
    {
        var controller = new AdaptiveConcurrency(2, _time);
        await controller.EnterAsync(default);
        controller.OnThrottled(); // limit 1, one active

        ValueTask waiting = controller.EnterAsync(default);
        waiting.IsCompleted.Should().BeFalse();
        controller.OnSuccess(); // limit 2: the waiter gets the second slot

        await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        controller.EnterAsync(default).IsCompleted.Should().BeFalse("both slots are taken");
    }

    [Fact]
    public async Task Freed_slots_go_to_waiters_in_order_and_only_as_many_as_the_limit()
    {
        var controller = new AdaptiveConcurrency(1, _time);
        await controller.EnterAsync(default);
        ValueTask first = controller.EnterAsync(default);
        ValueTask second = controller.EnterAsync(default);

        controller.Exit();

        await first.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        second.IsCompleted.Should().BeFalse();
        controller.Exit();
        await second.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Packing_respects_the_count_and_the_token_budget_to_the_limit()
    {
        // "abcdef" estimates (6 + 2) / 3 = 2 tokens; a budget of 4 holds exactly two.
        EmbeddingPacker.EstimateTokens("abcdef").Should().Be(2);
        EmbeddingPacker.EstimateTokens("a").Should().Be(1);
        EmbeddingPacker.EstimateTokens("").Should().Be(0);
        EmbeddingPacker.EstimateTokens(null).Should().Be(0);

        EmbeddingPacker.Pack(["abcdef", "abcdef", "abcdef"], maxInputs: 10, maxTokens: 4).Select(c => c.Inputs.Length).Should().Equal(2, 1);
        EmbeddingPacker.Pack(["a", "b", "c"], maxInputs: 3, maxTokens: 100).Select(c => c.Inputs.Length).Should().Equal(3);
        EmbeddingPacker.Pack([], 3, 100).Should().BeEmpty();
        EmbeddingChunk chunk = EmbeddingPacker.Pack(["a", null, "", "b"], 10, 100).Single();
        chunk.Sent.Should().Equal(true, false, false, true);
        chunk.LastIndex.Should().Be(3);
    }

    [Fact]
    public void A_requests_usage_is_shared_over_its_inputs_so_that_it_adds_up_exactly()
    {
        var chunk = new EmbeddingChunk(["a", "", "b", "c"], 10, [true, false, true, true]);
        var outcome = new EmbeddingChunkOutcome([new EmbeddingVector(new float[] { 1 }), new EmbeddingVector(new float[] { 2 }), new EmbeddingVector(new float[] { 3 })], null);
        var request = BatchItem.Success(0, outcome, new TokenUsage(10, 0, 11, 4, 2), 2, TimeSpan.FromSeconds(1), 0, "prov");

        BatchItem<EmbeddingVector>[] items = EmbeddingPacker.Expand(chunk, request).ToArray();

        items.Select(i => i.Index).Should().Equal(10, 11, 12, 13);
        items.Select(i => i.Succeeded).Should().Equal(true, false, true, true);
        items.Select(i => i.Succeeded ? i.Value!.Vector.Span[0] : 0f).Should().Equal(1f, 0f, 2f, 3f);
        items.Select(i => i.Usage).Should().Equal(new TokenUsage(4, 0, 4, 2, 1), default, new TokenUsage(3, 0, 4, 1, 1), new TokenUsage(3, 0, 3, 1, 0));
        items.Where(i => i.Succeeded).Should().OnlyContain(i => i.Attempts == 2 && i.Provider == "prov" && i.Latency == TimeSpan.FromSeconds(1));
        items[1].Error!.Message.Should().Be("Input 11 is null or empty; it was not sent.");
        items[1].Attempts.Should().Be(0);
    }

    [Fact]
    public void A_failed_request_fails_every_input_it_carried_with_its_share_of_usage()
    {
        var chunk = new EmbeddingChunk(["a", "b", null], 0, [true, true, false]);
        var error = new BatchError(BatchErrorKind.Http, "down");
        var failed = BatchItem.Failure<EmbeddingChunkOutcome>(0, error, new TokenUsage(3, 0, 3), 3, TimeSpan.Zero);
        var mismatch = BatchItem.Success(0, new EmbeddingChunkOutcome([], error), new TokenUsage(2, 0, 2), 1, TimeSpan.Zero);

        BatchItem<EmbeddingVector>[] items = EmbeddingPacker.Expand(chunk, failed).ToArray();
        BatchItem<EmbeddingVector>[] mismatched = EmbeddingPacker.Expand(chunk, mismatch).ToArray();

        items.Take(2).Should().OnlyContain(i => i.Error == error && i.Attempts == 3);
        items.Select(i => i.Usage.PromptTokens).Should().Equal(2, 1, 0);
        items[2].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        mismatched.Take(2).Should().OnlyContain(i => i.Error == error);
        mismatched.Select(i => i.Usage.TotalTokens).Should().Equal(1, 1, 0);
    }

    [Fact]
    public async Task The_engine_fails_a_chunk_whose_embeddings_do_not_match_its_inputs()
    {
        var client = new TypedBatchClient(new MiscountingProvider(), new TypedBatchOptions { EmbeddingInputsPerRequest = 2 });

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(["a", "b", "c"]);

        result.Take(2).Should().OnlyContain(i => i.Error!.Kind == BatchErrorKind.InvalidOutput && i.Error.Message == "The provider returned 1 embeddings for 2 inputs." && i.Error.Provider == "miscount");
        result[2].Succeeded.Should().BeTrue();
    }

    private sealed class MiscountingProvider : IChatProvider
    {
        public string Name => "miscount";

        public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
            => Task.FromResult(new EmbeddingResponse([new EmbeddingVector(new float[] { 1 })], new TokenUsage(1, 0, 1)));
    }
}
