using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests;

public sealed class AdaptiveConcurrencyTests
{
    [Fact]
    public void A_429_cuts_the_limit_once_per_cooldown_and_successes_grow_it_back()
    {
        var time = new FakeTimeProvider();
        var controller = new AdaptiveConcurrency(20, time);

        controller.OnThrottled();
        controller.OnThrottled(); // same burst: ignored
        controller.Limit.Should().Be(14);
        time.Advance(TimeSpan.FromSeconds(2));
        controller.OnThrottled();
        controller.Limit.Should().Be(9);
        controller.Minimum.Should().Be(9);
        controller.Throttles.Should().Be(3);

        for (int i = 0; i < 200; i++)
        {
            controller.OnSuccess();
        }

        controller.Limit.Should().Be(20, "additive increase recovers, never past the ceiling");
        controller.Minimum.Should().Be(9);
    }

    [Fact]
    public void The_limit_never_goes_below_one()
    {
        var time = new FakeTimeProvider();
        var controller = new AdaptiveConcurrency(3, time);
        for (int i = 0; i < 10; i++)
        {
            controller.OnThrottled();
            time.Advance(TimeSpan.FromSeconds(2));
        }

        controller.Limit.Should().Be(1);
    }

    [Fact]
    public async Task Slots_above_the_limit_wait_until_one_frees()
    {
        var time = new FakeTimeProvider();
        var controller = new AdaptiveConcurrency(2, time);
        await controller.EnterAsync(CancellationToken.None);
        await controller.EnterAsync(CancellationToken.None);

        ValueTask third = controller.EnterAsync(CancellationToken.None);
        third.IsCompleted.Should().BeFalse();
        controller.Exit();
        await third;
    }

    [Fact]
    public async Task A_cancelled_waiter_does_not_keep_a_slot()
    {
        var controller = new AdaptiveConcurrency(1, new FakeTimeProvider());
        await controller.EnterAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        ValueTask cancelled = controller.EnterAsync(cts.Token);
        await cts.CancelAsync();
        Func<Task> act = async () => await cancelled;
        await act.Should().ThrowAsync<OperationCanceledException>();

        controller.Exit();
        ValueTask next = controller.EnterAsync(CancellationToken.None);

        next.IsCompleted.Should().BeTrue("the cancelled waiter gave its turn back");
    }

    [Fact]
    public async Task A_batch_reports_how_low_its_concurrency_went()
    {
        var provider = new ThrottlingProvider();
        var client = new TypedBatchClient(provider);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 40).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"item {i}")]).ToList(), maxWorkers: 10);

        result.AllSucceeded.Should().BeTrue();
        result.ThrottledResponses.Should().Be(1);
        result.MinConcurrency.Should().Be(7);
    }

    /// <summary>Reports one 429 to the batch's controller, as the HTTP pipeline does, then answers.</summary>
    private sealed class ThrottlingProvider : IChatProvider
    {
        private int _calls;

        public string Name => "throttling";

        public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (Interlocked.Increment(ref _calls) == 5)
            {
                BatchScope.Current!.Concurrency.OnThrottled();
            }
            else
            {
                BatchScope.Current!.Concurrency.OnSuccess();
            }

            return new ChatCompletion { Content = "ok" };
        }

        public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }
}
