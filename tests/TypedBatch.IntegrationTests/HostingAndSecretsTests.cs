using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

public sealed class HostingAndSecretsTests
{
    [Fact]
    public async Task AddTypedBatch_binds_the_TypedBatch_configuration_section()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { ApiKey = "configured-key-1" });
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TypedBatch:Provider"] = "OpenAICompatible",
            ["TypedBatch:BaseUrl"] = emulator.BaseUrl.ToString(),
            ["TypedBatch:ApiKey"] = "configured-key-1",
            ["TypedBatch:Model"] = "my-local-model",
            ["TypedBatch:MaxConcurrency"] = "3",
            ["TypedBatch:AttemptTimeout"] = "00:05:00",
            ["TypedBatch:TotalTimeout"] = "00:20:00",
        }).Build();
        await using ServiceProvider services = new ServiceCollection().AddTypedBatch(configuration).BuildServiceProvider();

        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 10).Select(Conversation).ToList(), new BatchOptions());

        client.Options.AttemptTimeout.Should().Be(TimeSpan.FromMinutes(5));
        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        result[0].Value!.Model.Should().Be("my-local-model");
        emulator.GetStats().MaxConcurrentRequests.Should().BeLessThanOrEqualTo(3);
    }

    [Fact]
    public async Task AddTypedBatch_with_a_delegate_resolves_the_provider_and_client()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using ServiceProvider services = new ServiceCollection()
            .AddTypedBatch(o => { o.Provider = ProviderKind.OpenAICompatible; o.BaseUrl = emulator.BaseUrl; })
            .BuildServiceProvider();

        ChatCompletion answer = await services.GetRequiredService<TypedBatchClient>().CreateChatCompletionAsync([PromptMessage.User("hi")]);

        answer.Content.Should().Be("Re: hi");
        services.GetRequiredService<IChatProvider>().Name.Should().Be("openai-compatible");
    }

    [Fact]
    public async Task Missing_provider_settings_fail_with_a_message_naming_the_setting()
    {
        await using ServiceProvider services = new ServiceCollection().AddTypedBatch(o => o.Provider = ProviderKind.OpenAICompatible).BuildServiceProvider();

        Action act = () => services.GetRequiredService<TypedBatchClient>();

        // Validated through IValidateOptions when the options are first read.
        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*BaseUrl*OPENAI_BASE_URL*");
    }

    [Fact]
    public async Task A_sentinel_key_never_appears_in_logs_errors_or_ToString()
    {
        const string Sentinel = "sk-SENTINEL-0123456789abcdefXYZ";
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { ApiKey = "the-right-key-000" });
        var logs = new ListLoggerProvider();
        using ILoggerFactory loggerFactory = logs.CreateFactory();
        await using TypedBatchClient client = Create(emulator, o => o.ApiKey = Sentinel, loggerFactory);

        BatchResult<ChatCompletion> batch = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 5).Select(Conversation).ToList());
        Func<Task> single = () => client.CreateChatCompletionAsync([PromptMessage.User("hello")]);
        ProviderException thrown = (await single.Should().ThrowAsync<ProviderException>()).Which;

        batch.FailedCount.Should().Be(5);
        batch[0].Error!.StatusCode.Should().Be(401);
        batch[0].Error!.ProviderCode.Should().Be("invalid_api_key");
        logs.Lines.Should().NotBeEmpty();
        var everything = new List<string>(logs.Lines)
        {
            thrown.ToString(),
            client.Options.ToString(),
            batch.ToString(),
        };
        everything.AddRange(batch.Select(i => i.ToString()));
        everything.AddRange(batch.Select(i => i.Error!.ToString()));
        string prefix = Sentinel.Substring(0, 12);
        everything.Should().NotContain(line => line.Contains(Sentinel, StringComparison.Ordinal) || line.Contains(prefix, StringComparison.Ordinal));
    }
}
