using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace TypedBatch.Tests;

public sealed class BatchRunnerTests(ITestOutputHelper output)
{
    private static IReadOnlyList<PromptMessage> Conversation(int i) => [PromptMessage.User($"item {i}")];

    private static int IndexOf(ChatRequest request) => int.Parse(request.Messages[^1].Content["item ".Length..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Results_keep_input_order_under_random_latency_and_failures()
    {
        var random = new Random(7);
        TimeSpan[] delays = Enumerable.Range(0, 300).Select(_ => TimeSpan.FromMilliseconds(random.Next(0, 15))).ToArray();
        var provider = new FakeChatProvider
        {
            Delay = r => delays[IndexOf(r)],
            Fail = r => IndexOf(r) % 7 == 3 ? new ProviderException(BatchErrorKind.Http, "fake", "boom", 500) : null,
        };
        var client = new TypedBatchClient(provider);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 300).Select(Conversation).ToList(), maxWorkers: 16);

        result.Should().HaveCount(300);
        provider.Calls.Should().Be(300);
        for (int i = 0; i < 300; i++)
        {
            result[i].Index.Should().Be(i);
            if (i % 7 == 3)
            {
                result[i].Succeeded.Should().BeFalse();
                result[i].Error!.Kind.Should().Be(BatchErrorKind.Http);
                result[i].Error!.StatusCode.Should().Be(500);
            }
            else
            {
                result[i].Value!.Content.Should().Be($"Re: item {i}");
            }
        }

        result.FailedCount.Should().Be(Enumerable.Range(0, 300).Count(i => i % 7 == 3));
        result.SucceededCount.Should().Be(300 - result.FailedCount);
        result.Usage.TotalTokens.Should().Be(15L * result.SucceededCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(32)]
    public async Task Never_more_than_max_workers_in_flight(int maxWorkers)
    {
        var provider = new FakeChatProvider { Delay = _ => TimeSpan.FromMilliseconds(2) };
        var client = new TypedBatchClient(provider);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 200).Select(Conversation).ToList(), maxWorkers: maxWorkers);

        result.AllSucceeded.Should().BeTrue();
        provider.MaxInFlight.Should().BeLessThanOrEqualTo(maxWorkers);
        result.PeakConcurrency.Should().BeLessThanOrEqualTo(maxWorkers);
        if (maxWorkers > 1)
        {
            provider.MaxInFlight.Should().BeGreaterThan(1, "the batch must actually run concurrently");
        }
    }

    [Fact]
    public async Task Cancellation_throws_promptly_and_stops_sending()
    {
        // Each call waits 30 s on a fake clock that never moves: the batch can only finish by honouring the token,
        // before any of those delays completes. (Checked by passing CancellationToken.None to the provider: the
        // batch then never completes and the hang guard below fails the test.)
        var time = new FakeTimeProvider();
        var provider = new FakeChatProvider { Delay = _ => TimeSpan.FromSeconds(30), Time = time };
        var client = new TypedBatchClient(provider);
        using var cts = new CancellationTokenSource();

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 1000).Select(Conversation), maxWorkers: 8, cancellationToken: cts.Token);
        while (provider.Calls < 8)
        {
            await Task.Delay(5);
        }

        await cts.CancelAsync();
        Func<Task> act = () => batch.WaitAsync(TimeSpan.FromMinutes(1)); // a hang guard, not a time bound
        (await act.Should().ThrowAsync<OperationCanceledException>())
            .Which.CancellationToken.Should().Be(cts.Token);
        provider.Calls.Should().Be(8, "nothing is sent after cancellation");
    }

    [Fact]
    public async Task A_cancelled_token_throws_before_anything_is_sent()
    {
        var provider = new FakeChatProvider();
        var client = new TypedBatchClient(provider);

        Func<Task> act = () => client.CreateChatCompletionsBatchAsync([Conversation(0)], cancellationToken: new CancellationToken(canceled: true));

        await act.Should().ThrowAsync<OperationCanceledException>();
        provider.Calls.Should().Be(0);
    }

    [Fact]
    public async Task Hundred_thousand_lazy_inputs_are_pulled_only_as_workers_free_up()
    {
        const int Count = 100_000;
        const int Workers = 16;
        var provider = new FakeChatProvider { RecordRequests = false };
        var client = new TypedBatchClient(provider);
        int produced = 0;
        int maxAhead = 0;

        IEnumerable<IReadOnlyList<PromptMessage>> Inputs()
        {
            for (int i = 0; i < Count; i++)
            {
                int ahead = Interlocked.Increment(ref produced) - provider.Calls;
                maxAhead = Math.Max(maxAhead, ahead);
                yield return Conversation(i);
            }
        }

        GC.Collect();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Inputs(), maxWorkers: Workers);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        result.Should().HaveCount(Count);
        result.AllSucceeded.Should().BeTrue();
        result[Count - 1].Value!.Content.Should().Be($"Re: item {Count - 1}");
        maxAhead.Should().BeLessThanOrEqualTo(Workers + 1, "inputs are enumerated one at a time as a worker takes them, never rendered up front");
        output.WriteLine($"100k lazy inputs: {allocated / Count} bytes allocated per item (fake provider), peak working set {Environment.WorkingSet / 1024 / 1024} MB, {result.ItemsPerSecond:F0} items/s");
    }

    [Fact]
    public async Task An_invalid_conversation_in_a_lazy_sequence_fails_only_its_item()
    {
        var provider = new FakeChatProvider();
        var client = new TypedBatchClient(provider);

        static IEnumerable<IReadOnlyList<PromptMessage>> Inputs()
        {
            yield return Conversation(0);
            yield return [];
            yield return Conversation(2);
        }

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Inputs());

        result.Should().HaveCount(3);
        result[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[1].Error!.Message.Should().Contain("empty");
        result[1].Attempts.Should().Be(0);
        result[0].Succeeded.Should().BeTrue();
        result[2].Succeeded.Should().BeTrue();
        provider.Calls.Should().Be(2);
    }

    [Fact]
    public async Task An_exception_from_the_input_sequence_itself_aborts_the_batch()
    {
        var client = new TypedBatchClient(new FakeChatProvider());

        static IEnumerable<IReadOnlyList<PromptMessage>> Inputs()
        {
            yield return Conversation(0);
            throw new InvalidOperationException("the source broke");
        }

        Func<Task> act = () => client.CreateChatCompletionsBatchAsync(Inputs());

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("the source broke");
    }

    [Fact]
    public async Task As_completed_yields_every_item_once_with_its_index()
    {
        var provider = new FakeChatProvider { Delay = r => TimeSpan.FromMilliseconds((50 - IndexOf(r)) % 10) };
        var client = new TypedBatchClient(provider);
        var seen = new List<BatchItem<ChatCompletion>>();

        await foreach (BatchItem<ChatCompletion> item in client.CreateChatCompletionsAsCompletedAsync(
            Enumerable.Range(0, 50).Select(Conversation), new BatchOptions { MaxConcurrency = 8 }))
        {
            seen.Add(item);
        }

        seen.Select(i => i.Index).Should().BeEquivalentTo(Enumerable.Range(0, 50));
        seen.Should().OnlyContain(i => i.Value!.Content == $"Re: item {i.Index}");
    }

    [Fact]
    public async Task Breaking_out_of_as_completed_stops_the_workers()
    {
        var provider = new FakeChatProvider { Delay = _ => TimeSpan.FromMilliseconds(1) };
        var client = new TypedBatchClient(provider);
        int taken = 0;

        await foreach (BatchItem<ChatCompletion> item in client.CreateChatCompletionsAsCompletedAsync(
            Enumerable.Range(0, 100_000).Select(Conversation), new BatchOptions { MaxConcurrency = 4 }))
        {
            if (++taken == 10)
            {
                break;
            }
        }

        int callsAfterBreak = provider.Calls;
        await Task.Delay(50);
        provider.Calls.Should().Be(callsAfterBreak, "no request is sent once the consumer stopped");
        callsAfterBreak.Should().BeLessThan(100);
    }

    [Fact]
    public async Task Progress_ends_with_a_report_of_every_item()
    {
        var reports = new List<BatchProgress>();
        var progress = new SynchronousProgress<BatchProgress>(p => { lock (reports) { reports.Add(p); } });
        var client = new TypedBatchClient(new FakeChatProvider
        {
            Fail = r => IndexOf(r) == 4 ? new ProviderException(BatchErrorKind.Timeout, "fake", "slow") : null,
        });

        await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 20).Select(Conversation).ToList(), new BatchOptions { Progress = progress, MaxConcurrency = 3 });

        reports.Should().NotBeEmpty().And.HaveCountLessThanOrEqualTo(21, "at most one report per item and one at the end");
        reports.Select(r => r.Completed).Should().BeInAscendingOrder();
        reports[^1].Completed.Should().Be(20);
        reports[^1].Failed.Should().Be(1);
        reports[^1].InFlight.Should().Be(0);
    }

    [Fact]
    public async Task GetValuesOrThrow_lists_every_failed_index()
    {
        var client = new TypedBatchClient(new FakeChatProvider
        {
            Fail = r => IndexOf(r) is 2 or 5 ? new ProviderException(BatchErrorKind.Http, "fake", "bad gateway", 502) : null,
        });
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 8).Select(Conversation).ToList());

        Action act = () => result.GetValuesOrThrow();

        act.Should().Throw<BatchFailedException>()
            .Where(e => e.FailedIndexes.SequenceEqual(new[] { 2, 5 }))
            .WithMessage("2 of 8 batch items failed; failed indexes: 2, 5*");
        result[2].Invoking(i => i.GetValueOrThrow()).Should().Throw<BatchItemFailedException>().Which.Index.Should().Be(2);
    }

    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
