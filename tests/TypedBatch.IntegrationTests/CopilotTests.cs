using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

public sealed class CopilotTests
{
    private static TypedBatchClient CreateCopilotClient(EmulatorServer emulator, string githubToken = "emulator-github-token")
        => TypedBatchClient.Create(new TypedBatchOptions
        {
            Provider = ProviderKind.GitHubCopilot,
            GitHubToken = githubToken,
            CopilotTokenUrl = emulator.CopilotTokenUrl,
            RequestsPerMinute = 6000,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        });

    [Fact]
    public async Task The_token_is_exchanged_once_and_reused_by_concurrent_requests()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = CreateCopilotClient(emulator);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 40).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"question {i}")]).ToList(), maxWorkers: 8);

        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        result[7].Value!.Content.Should().Be("Re: question 7");
        result[7].Value!.Provider.Should().Be("github-copilot");
        emulator.GetStats().TokenExchanges.Should().Be(1);
        emulator.GetStats().ChatRequestsServed.Should().Be(40, "the Copilot headers and the endpoints.api base were accepted");
    }

    [Fact]
    public async Task A_bad_github_token_fails_with_a_clear_error_that_does_not_leak_it()
    {
        const string Sentinel = "ghp_SENTINEL_not_a_real_token_42";
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = CreateCopilotClient(emulator, Sentinel);

        Func<Task> act = () => client.CreateChatCompletionAsync([PromptMessage.User("hello")]);

        ProviderException error = (await act.Should().ThrowAsync<ProviderException>()).Which;
        error.StatusCode.Should().Be(401);
        error.Message.Should().Contain("GITHUB_TOKEN").And.NotContain(Sentinel);
    }
}
