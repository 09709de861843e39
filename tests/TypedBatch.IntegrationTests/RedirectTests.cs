using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>No credential header (bearer key, Azure api-key, Copilot token) ever reaches another origin through a redirect.</summary>
public sealed class RedirectTests
{
    private const string Key = "sk-redirect-sentinel-0123456789";

    public static TheoryData<string> Providers => ["openai-bearer", "azure-api-key", "copilot"];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task A_redirect_to_another_origin_is_refused_and_the_other_origin_never_sees_a_credential(string provider)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { SecondaryPort = 0 });
        await using var client = TypedBatchClient.Create(Options(emulator, provider));

        Func<Task> call = () => client.CreateChatCompletionAsync([PromptMessage.User("hi [[redirect:307]]")]);

        Exception? thrown = await Record.ExceptionAsync(call);

        EmulatorStats stats = emulator.GetStats();
        stats.InjectedFaults.Redirect.Should().Be(1);
        stats.SecondaryOriginRequestsWithCredentials.Should().Be(0);
        stats.SecondaryOriginRequests.Should().Be(0, "the redirect is not followed at all");
        ProviderException error = thrown.Should().BeOfType<ProviderException>().Subject;
        error.StatusCode.Should().Be(307);
        error.Message.Should().Contain("another origin").And.Contain(emulator.SecondaryBaseUrl!.GetLeftPart(UriPartial.Authority));
        error.Attempts.Should().Be(1, "a refused redirect is not retried");
    }

    private static TypedBatchOptions Options(EmulatorServer emulator, string provider) => provider switch
    {
        "openai-bearer" => new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = emulator.BaseUrl, ApiKey = Key, RetryBaseDelay = TimeSpan.FromMilliseconds(5) },
        "azure-api-key" => new TypedBatchOptions { Provider = ProviderKind.AzureOpenAI, AzureUseV1Api = true, BaseUrl = emulator.RootUrl, ApiKey = Key, RetryBaseDelay = TimeSpan.FromMilliseconds(5) },
        _ => new TypedBatchOptions
        {
            Provider = ProviderKind.GitHubCopilot,
            GitHubToken = emulator.Options.GitHubToken,
            CopilotTokenUrl = emulator.CopilotTokenUrl,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        },
    };
}
