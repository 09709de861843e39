using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>Issue 9, finding 5: a failing Copilot token exchange is made once for the items waiting on it, not once per item.</summary>
public sealed class CopilotExchangeFailureTests
{
    private const int Items = 10;

    [Fact]
    public async Task A_failed_exchange_fails_every_waiting_item_together_and_is_retried_only_after_its_cache_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.GitHubCopilot;
            o.GitHubToken = "ghp_wrong_token_for_the_emulator";
            o.CopilotTokenUrl = emulator.CopilotTokenUrl;
            o.RequestsPerMinute = 600_000;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        TypedBatchClient client = provider.GetRequiredService<TypedBatchClient>();
        IReadOnlyList<PromptMessage>[] conversations = Enumerable.Range(0, Items).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"question {i}")]).ToArray();

        BatchResult<ChatCompletion> first = await client.CreateChatCompletionsBatchAsync(conversations, maxWorkers: Items).WaitAsync(TimeSpan.FromSeconds(20));

        first.Count.Should().Be(Items);
        first.Should().OnlyContain(i => !i.Succeeded && i.Error!.StatusCode == 401 && i.Error.Message.Contains("token exchange failed", StringComparison.Ordinal));
        emulator.GetStats().TokenExchangeRequests.Should().Be(1, "the items waiting on the exchange share its failure");
        emulator.GetStats().ChatRequestsReceived.Should().Be(0);

        // Within the failure's cache (5 s on the injected clock) a new batch fails at once, with no new exchange.
        time.Advance(TimeSpan.FromSeconds(4));
        BatchResult<ChatCompletion> second = await client.CreateChatCompletionsBatchAsync(conversations, maxWorkers: Items).WaitAsync(TimeSpan.FromSeconds(20));
        second.Should().OnlyContain(i => i.Error!.Message.Contains("token exchange failed", StringComparison.Ordinal));
        emulator.GetStats().TokenExchangeRequests.Should().Be(1);

        // After it, the exchange is tried again, once.
        time.Advance(TimeSpan.FromSeconds(2));
        BatchResult<ChatCompletion> third = await client.CreateChatCompletionsBatchAsync(conversations, maxWorkers: Items).WaitAsync(TimeSpan.FromSeconds(20));
        third.Should().OnlyContain(i => i.Error!.StatusCode == 401);
        emulator.GetStats().TokenExchangeRequests.Should().Be(2);
    }
}
