using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests.Anthropic;

/// <summary>
/// The gate learns Anthropic's separate input and output token limits from its headers and keeps a batch under them:
/// no 429 storm, though the limits decide how long the batch takes. The client and the emulator share one
/// <see cref="FakeTimeProvider"/>, so what the limits let through is decided by the limits, not by the machine's speed.
/// </summary>
public sealed class AnthropicLimitsTests
{
    private static ServiceProvider Services(EmulatorServer emulator, FakeTimeProvider time) => CreateOnClock(emulator, time, o =>
    {
        o.Provider = ProviderKind.Anthropic;
        o.BaseUrl = emulator.RootUrl;
        o.ApiKey = "sk-ant-test";
        o.Model = "claude-sonnet-4-5";
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_batch_stays_under_separate_input_and_output_token_limits_it_learned_from_the_headers(bool streamed)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 8, 21, 12, 0, 0, TimeSpan.Zero));

        // 50 input and 10 output tokens a second, buckets of one second on the server; max_tokens (4096 by default)
        // would exhaust any combined budget at once, but Anthropic counts only the output produced.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            TimeProvider = time,
            AnthropicInputTokensPerMinute = 3000,
            AnthropicOutputTokensPerMinute = 600,
        });
        await using ServiceProvider services = Services(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        var conversations = Enumerable.Range(0, 30).Select(Conversation).ToList();
        DateTimeOffset started = time.GetUtcNow();

        List<TokenUsage> usages = await DriveAsync(streamed ? StreamedBatchAsync(client, conversations) : BatchAsync(client, conversations), time, TimeSpan.FromMilliseconds(50));

        EmulatorStats stats = emulator.GetStats();
        // Measured 0-4 with output estimated from max_tokens (requests admitted before the first headers race the server's
        // view); without the learned buckets it was 22-24. The bound is "no storm", not "none".
        stats.RejectedRateLimited.Should().BeLessThanOrEqualTo(5, "the client paces itself by the limits it learned, not by 429s");
        stats.AnthropicMessagesReceived.Should().Be(30 + stats.RejectedRateLimited);

        // The limits were what set the pace: the output produced, beyond one bucketful, took its time at 10 a second.
        usages.Should().HaveCount(30);
        long output = usages.Sum(u => u.CompletionTokens);
        long input = usages.Sum(u => u.PromptTokens);
        TimeSpan elapsed = time.GetUtcNow() - started;
        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds((output - 10) / 10.0), "{0} output tokens at 10 a second", output);
        elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds((input - 50) / 50.0), "{0} input tokens at 50 a second", input);
    }

    private static async Task<List<TokenUsage>> BatchAsync(TypedBatchClient client, List<IReadOnlyList<PromptMessage>> conversations)
    {
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = 8 });
        result.AllSucceeded.Should().BeTrue();
        return result.Select(i => i.Value!.Usage).ToList();
    }

    private static async Task<List<TokenUsage>> StreamedBatchAsync(TypedBatchClient client, List<IReadOnlyList<PromptMessage>> conversations)
    {
        var usages = new List<TokenUsage>();
        await foreach (BatchDelta delta in client.StreamChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = 8 }))
        {
            if (delta.Item is { } item)
            {
                item.Succeeded.Should().BeTrue(item.Error?.ToString());
                usages.Add(item.Usage);
            }
        }

        return usages;
    }
}
