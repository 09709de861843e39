using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using Xunit.Abstractions;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// Issue 9, finding 4: a quota 429 fails the batch fast and never pauses the account's rate limits. Client and emulator
/// share a fake clock that never moves: a pause for the 20 s Retry-After, or a retry waiting for it, could never end,
/// so finishing at all proves nothing waited. The WaitAsync calls are only hang guards.
/// </summary>
public sealed class QuotaFailFastTests(ITestOutputHelper output)
{
    private const int Workers = 16;
    private const int Margin = 2;
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Quota_answers_with_retry_after_and_rate_limit_headers_fail_the_batch_at_once_without_sending_the_rest()
    {
        // RequestsPerMinute makes every answer carry x-ratelimit-* headers; [[retry-after:20]] adds Retry-After: 20.
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { RequestsPerMinute = 1_000_000, TimeProvider = time });
        await using ServiceProvider services = CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        var conversations = Enumerable.Range(0, 200)
            .Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"item {i} [[quota]][[retry-after:20]]")])
            .ToList();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = Workers })
            .WaitAsync(HangGuard);
        long received = emulator.GetStats().ChatRequestsReceived;
        output.WriteLine($"200 quota items: {received} requests received");

        result.Count.Should().Be(200);
        result.Select(i => i.Index).Should().Equal(Enumerable.Range(0, 200));
        result.Should().OnlyContain(i => !i.Succeeded && i.Error!.Kind == BatchErrorKind.QuotaExceeded);
        received.Should().BeLessThanOrEqualTo(Workers + Margin, "after the first quota answer nothing more is sent");
        result.Count(i => i.Attempts == 0).Should().Be(200 - (int)received, "the items that were never sent say so");
        result.Should().OnlyContain(i => i.Attempts <= 1, "a quota answer is not retried");
        result.Where(i => i.Attempts == 0).Should().OnlyContain(i => i.Error!.Message.Contains("out of quota", StringComparison.Ordinal));
        result.ThrottledResponses.Should().Be(0, "a quota answer is no rate limit");

        // The account's shared gate was not paused for the Retry-After: on the frozen clock the next call still goes out.
        ChatCompletion next = await client.CreateChatCompletionAsync([PromptMessage.User("after the quota answers")]).WaitAsync(HangGuard);
        next.Content.Should().Be("Re: after the quota answers");
        emulator.GetStats().ChatRequestsReceived.Should().Be(received + 1);
    }

    [Fact]
    public async Task A_single_quota_answer_is_a_provider_exception_of_kind_quota_exceeded()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TimeProvider = time });
        await using ServiceProvider services = CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        Func<Task> act = () => client.CreateChatCompletionAsync([PromptMessage.User("hello [[quota]][[retry-after:20]]")]).WaitAsync(HangGuard);

        ProviderException error = (await act.Should().ThrowAsync<ProviderException>()).Which;
        error.Kind.Should().Be(BatchErrorKind.QuotaExceeded);
        error.StatusCode.Should().Be(429);
        error.ErrorCode.Should().Be("insufficient_quota");
        error.Attempts.Should().Be(1);
        error.Message.Should().Contain("retrying does not help");
        emulator.GetStats().ChatRequestsReceived.Should().Be(1);
    }

    [Fact]
    public async Task An_embeddings_batch_fails_fast_on_quota_too()
    {
        const int EmbeddingWorkers = 4;
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TimeProvider = time });
        await using ServiceProvider services = CreateOnClock(emulator, time, o => o.EmbeddingInputsPerRequest = 1);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(
            Enumerable.Range(0, 100).Select(i => $"text {i} [[quota]][[retry-after:20]]"), new BatchOptions { MaxConcurrency = EmbeddingWorkers })
            .WaitAsync(HangGuard);

        result.Count.Should().Be(100);
        result.Should().OnlyContain(i => i.Error!.Kind == BatchErrorKind.QuotaExceeded);
        emulator.GetStats().EmbeddingRequestsReceived.Should().BeLessThanOrEqualTo(EmbeddingWorkers + Margin);
    }
}
