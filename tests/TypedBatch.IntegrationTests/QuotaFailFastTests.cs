using System.Diagnostics;
using TypedBatch.Emulator;
using Xunit.Abstractions;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>Issue 9, finding 4: a quota 429 fails the batch fast and never pauses the account's rate limits.</summary>
public sealed class QuotaFailFastTests(ITestOutputHelper output)
{
    private const int Workers = 16;
    private const int Margin = 2;

    [Fact]
    public async Task Quota_answers_with_retry_after_and_rate_limit_headers_fail_the_batch_at_once_without_sending_the_rest()
    {
        // RequestsPerMinute makes every answer carry x-ratelimit-* headers; [[retry-after:20]] adds Retry-After: 20.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { RequestsPerMinute = 1_000_000 });
        await using TypedBatchClient client = Create(emulator);
        var conversations = Enumerable.Range(0, 200)
            .Select(i => (IReadOnlyList<ChatMessage>)[ChatMessage.User($"item {i} [[quota]][[retry-after:20]]")])
            .ToList();

        var clock = Stopwatch.StartNew();
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = Workers })
            .WaitAsync(TimeSpan.FromSeconds(15));
        clock.Stop();
        long received = emulator.GetStats().ChatRequestsReceived;
        output.WriteLine($"200 quota items: {clock.Elapsed.TotalMilliseconds:F0} ms, {received} requests received");

        result.Count.Should().Be(200);
        result.Select(i => i.Index).Should().Equal(Enumerable.Range(0, 200));
        result.Should().OnlyContain(i => !i.Succeeded && i.Error!.Kind == BatchErrorKind.QuotaExceeded);
        received.Should().BeLessThanOrEqualTo(Workers + Margin, "after the first quota answer nothing more is sent");
        result.Count(i => i.Attempts == 0).Should().Be(200 - (int)received, "the items that were never sent say so");
        result.Should().OnlyContain(i => i.Attempts <= 1, "a quota answer is not retried");
        result.Where(i => i.Attempts == 0).Should().OnlyContain(i => i.Error!.Message.Contains("out of quota", StringComparison.Ordinal));
        result.ThrottledResponses.Should().Be(0, "a quota answer is no rate limit");

        // The account's shared gate was not paused for the Retry-After: the next call goes out at once.
        ChatCompletion next = await client.CreateChatCompletionAsync([ChatMessage.User("after the quota answers")]).WaitAsync(TimeSpan.FromSeconds(5));
        next.Content.Should().Be("Re: after the quota answers");
    }

    [Fact]
    public async Task A_single_quota_answer_is_a_provider_exception_of_kind_quota_exceeded()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        Func<Task> act = () => client.CreateChatCompletionAsync([ChatMessage.User("hello [[quota]][[retry-after:20]]")]).WaitAsync(TimeSpan.FromSeconds(10));

        ProviderException error = (await act.Should().ThrowAsync<ProviderException>()).Which;
        error.Kind.Should().Be(BatchErrorKind.QuotaExceeded);
        error.StatusCode.Should().Be(429);
        error.ErrorCode.Should().Be("insufficient_quota");
        error.Attempts.Should().Be(1);
        error.Message.Should().Contain("retrying does not help");
    }

    [Fact]
    public async Task An_embeddings_batch_fails_fast_on_quota_too()
    {
        const int EmbeddingWorkers = 4;
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => o.EmbeddingInputsPerRequest = 1);

        BatchResult<Embedding> result = await client.CreateEmbeddingsBatchAsync(
            Enumerable.Range(0, 100).Select(i => $"text {i} [[quota]][[retry-after:20]]"), new BatchOptions { MaxConcurrency = EmbeddingWorkers })
            .WaitAsync(TimeSpan.FromSeconds(15));

        result.Count.Should().Be(100);
        result.Should().OnlyContain(i => i.Error!.Kind == BatchErrorKind.QuotaExceeded);
        emulator.GetStats().EmbeddingRequestsReceived.Should().BeLessThanOrEqualTo(EmbeddingWorkers + Margin);
    }
}
