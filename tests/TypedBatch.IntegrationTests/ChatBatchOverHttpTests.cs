using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

public sealed class ChatBatchOverHttpTests
{
    [Fact]
    public async Task A_single_completion_round_trips_over_http()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { ApiKey = "emulator-key-123" });
        await using TypedBatchClient client = Create(emulator);

        ChatCompletion answer = await client.CreateChatCompletionAsync([PromptMessage.User("What is Rust?")], new CompletionSettings { MaxTokens = 50, Temperature = 0.2 });

        answer.Content.Should().Be("Re: What is Rust?");
        answer.FinishReason.Should().Be("stop");
        answer.Model.Should().Be("gpt-4o-mini");
        answer.Id.Should().NotBeNullOrEmpty();
        answer.Usage.PromptTokens.Should().BeGreaterThan(0);
        answer.Usage.TotalTokens.Should().Be(answer.Usage.PromptTokens + answer.Usage.CompletionTokens);
        answer.Attempts.Should().Be(1);
        answer.Provider.Should().Be("openai-compatible");
    }

    [Fact]
    public async Task Thousand_requests_at_32_workers_with_injected_500s_give_one_result_per_input_in_order()
    {
        const int Count = 1000;
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        // Every 10th item is answered 500 twice, then served; every 100th fails on every attempt.
        var conversations = Enumerable.Range(0, Count)
            .Select(i => i % 100 == 42 ? [PromptMessage.User($"item {i} [[fail:500]]")]
                : i % 10 == 5 ? [PromptMessage.User($"item {i} [[fail:500:2]]")]
                : Conversation(i))
            .ToList();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations, maxWorkers: 32);

        result.Should().HaveCount(Count);
        EmulatorStats stats = emulator.GetStats();
        for (int i = 0; i < Count; i++)
        {
            BatchItem<ChatCompletion> item = result[i];
            item.Index.Should().Be(i);
            FingerprintStats perRequest = stats.ByFingerprint[FingerprintOf("gpt-4o-mini", conversations[i])];
            if (i % 100 == 42)
            {
                item.Succeeded.Should().BeFalse();
                item.Error!.StatusCode.Should().Be(500);
                item.Error.ErrorType.Should().Be("server_error");
                item.Attempts.Should().Be(4, "one attempt and three retries");
                perRequest.Should().Be(new FingerprintStats(4, 0));
            }
            else
            {
                item.Succeeded.Should().BeTrue($"item {i} failed with {item.Error} after {item.Attempts} attempts");
                item.Value!.Content.Should().Be("Re: " + conversations[i][^1].Content);
                perRequest.Served.Should().Be(1, "each input is answered exactly once");
                perRequest.Received.Should().Be(item.Attempts, "the retries reported are the requests the server received");
                item.Attempts.Should().Be(i % 10 == 5 ? 3 : 1);
            }
        }

        result.FailedCount.Should().Be(10);
        stats.ChatRequestsServed.Should().Be(Count - 10);
        stats.ChatRequestsReceived.Should().Be(result.Sum(i => (long)i.Attempts));
        stats.ChatRequestsFailed.Should().Be((100 * 2) + (10 * 4));
        stats.MaxConcurrentRequests.Should().BeLessThanOrEqualTo(32);
        result.Usage.PromptTokens.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Every_nth_arrival_failing_is_retried_transparently()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { FailEveryNth = 3, FailStatus = 503 });
        await using TypedBatchClient client = Create(emulator);

        // One worker makes arrivals deterministic: arrivals 3, 6, 9, … fail and their retries succeed.
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 20).Select(Conversation).ToList(), maxWorkers: 1);

        result.AllSucceeded.Should().BeTrue();
        result.Sum(i => i.Attempts).Should().Be((int)emulator.GetStats().ChatRequestsReceived);
        result.Count(i => i.Attempts == 2).Should().BeGreaterThan(5);
        emulator.GetStats().ChatRequestsServed.Should().Be(20);
    }

    [Fact]
    public async Task Timeouts_transport_failures_and_bad_bodies_become_item_errors()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o =>
        {
            o.AttemptTimeout = TimeSpan.FromMilliseconds(300);
            o.TotalTimeout = TimeSpan.FromSeconds(5);
            o.MaxRetries = 1;
        });

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
        [
            [PromptMessage.User("fine")],
            [PromptMessage.User("slow [[delay:3000]]")],
            [PromptMessage.User("broken [[malformed]]")],
            [PromptMessage.User("missing [[fail:404]]")],
        ]);

        result[0].Succeeded.Should().BeTrue();
        result[1].Error!.Kind.Should().Be(BatchErrorKind.Timeout);
        result[1].Attempts.Should().Be(2);
        result[2].Error!.Kind.Should().Be(BatchErrorKind.Transport);
        result[2].Error!.Message.Should().Contain("cut off or not JSON");
        result[2].Attempts.Should().Be(2, "a cut-off 200 is retried like a transport failure");
        result[3].Error!.Kind.Should().Be(BatchErrorKind.Http);
        result[3].Error!.StatusCode.Should().Be(404);
        result[3].Attempts.Should().Be(1, "a 404 is not retried");
    }

    [Fact]
    public async Task Requests_per_minute_gate_spaces_requests()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var time = new FakeTimeProvider();
        await using ServiceProvider services = CreateOnClock(emulator, time, o => o.RequestsPerMinute = 600);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 15).Select(Conversation).ToList(), maxWorkers: 15);

        // 600 RPM = 10 a second, with half a second's burst: 5 go at once, then one per 100 ms of the (frozen) clock.
        await WaitForCountAsync(() => emulator.GetStats().ChatRequestsReceived, 5);
        await Task.Delay(200);
        emulator.GetStats().ChatRequestsReceived.Should().Be(5, "the rest wait for budget while the clock stands still");
        time.Advance(TimeSpan.FromMilliseconds(500));
        await WaitForCountAsync(() => emulator.GetStats().ChatRequestsReceived, 10);
        await Task.Delay(200);
        emulator.GetStats().ChatRequestsReceived.Should().Be(10, "half a second buys five more");
        time.Advance(TimeSpan.FromMilliseconds(500));

        BatchResult<ChatCompletion> result = await batch.WaitAsync(TimeSpan.FromSeconds(60));
        result.AllSucceeded.Should().BeTrue();
        emulator.GetStats().ChatRequestsReceived.Should().Be(15);
    }

    private static async Task WaitForCountAsync(Func<long> count, long expected)
    {
        for (int i = 0; i < 3000 && count() < expected; i++)
        {
            await Task.Delay(10);
        }

        count().Should().Be(expected);
    }
}
