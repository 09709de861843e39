using Microsoft.Extensions.Time.Testing;
using TypedBatch.Providers;
using TypedBatch.Providers.Azure;

namespace TypedBatch.Tests;

public sealed class FallbackTests
{
    private sealed class ScriptedProvider(string name) : IChatProvider
    {
        public Func<ProviderException?> Next { get; set; } = () => null;

        public int Calls { get; private set; }

        public string Name => name;

        public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Next() is { } failure ? Task.FromException<ChatCompletion>(failure) : Task.FromResult(new ChatCompletion { Content = "ok", Provider = name });
        }

        public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private static readonly ChatRequest Request = new([ChatMessage.User("hi")], new CompletionSettings { Model = "m" });

    [Fact]
    public async Task The_breaker_opens_after_failures_in_a_row_then_lets_one_trial_through_and_closes_on_success()
    {
        var time = new FakeTimeProvider();
        var primary = new ScriptedProvider("primary") { Next = () => new ProviderException(BatchErrorKind.Http, "primary", "down", 503) };
        var backup = new ScriptedProvider("backup");
        var chain = new FallbackChatProvider([primary, backup], breakerThreshold: 2, breakDuration: TimeSpan.FromSeconds(30), time);

        for (int i = 0; i < 5; i++)
        {
            (await chain.CompleteAsync(Request)).Provider.Should().Be("backup");
        }

        primary.Calls.Should().Be(2, "open after two failures in a row");
        chain.IsOpen(0).Should().BeTrue();

        time.Advance(TimeSpan.FromSeconds(31));
        primary.Next = () => null;
        (await chain.CompleteAsync(Request)).Provider.Should().Be("primary", "the half-open trial succeeded");
        chain.IsOpen(0).Should().BeFalse();
        (await chain.CompleteAsync(Request)).Provider.Should().Be("primary");
        primary.Calls.Should().Be(4);
    }

    [Theory]
    [InlineData(BatchErrorKind.Http, 400, false)]
    [InlineData(BatchErrorKind.Http, 401, false)]
    [InlineData(BatchErrorKind.Refused, null, false)]
    [InlineData(BatchErrorKind.InvalidOutput, null, false)]
    [InlineData(BatchErrorKind.Http, 500, true)]
    [InlineData(BatchErrorKind.RateLimited, 429, true)]
    [InlineData(BatchErrorKind.Timeout, null, true)]
    [InlineData(BatchErrorKind.Transport, null, true)]
    public void Only_failures_another_provider_might_not_repeat_fall_back(BatchErrorKind kind, int? status, bool expected)
    {
        FallbackChatProvider.ShouldFallBack(new ProviderException(kind, "p", "x", status)).Should().Be(expected);
    }

    [Fact]
    public async Task When_every_provider_fails_the_error_says_so_and_sums_the_attempts()
    {
        var a = new ScriptedProvider("a") { Next = () => new ProviderException(BatchErrorKind.Timeout, "a", "slow") { Attempts = 4 } };
        var b = new ScriptedProvider("b") { Next = () => new ProviderException(BatchErrorKind.Transport, "b", "reset") { Attempts = 4 } };
        var chain = new FallbackChatProvider([a, b], 5, TimeSpan.FromSeconds(30), new FakeTimeProvider());

        Func<Task> act = () => chain.CompleteAsync(Request);

        ProviderException error = (await act.Should().ThrowAsync<ProviderException>()).Which;
        error.Attempts.Should().Be(8);
        error.Message.Should().Contain("every provider of the chain failed");
    }

    [Fact]
    public async Task Azure_classic_deployments_get_the_deployment_url_api_version_and_api_key()
    {
        var endpoint = new AzureOpenAIEndpoint(new Uri("https://my.openai.azure.com/"), "2024-10-21", useV1: false, "azure-key-123", null);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ProviderEndpoint.PlaceholderBase, "/chat/completions"));

        await endpoint.PrepareAsync(request, new CallContext { Model = "gpt4o-prod" }, CancellationToken.None);

        request.RequestUri.Should().Be(new Uri("https://my.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"));
        request.Headers.GetValues("api-key").Should().Equal("azure-key-123");
        request.Headers.Authorization.Should().BeNull();
    }

    [Fact]
    public async Task Azure_v1_api_uses_the_v1_path_and_a_bearer_token_from_the_callback()
    {
        var endpoint = new AzureOpenAIEndpoint(new Uri("https://my.openai.azure.com"), "2024-10-21", useV1: true, null, _ => ValueTask.FromResult("entra-token"));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ProviderEndpoint.PlaceholderBase, "/embeddings"));

        await endpoint.PrepareAsync(request, new CallContext { Model = "embed-prod" }, CancellationToken.None);

        request.RequestUri.Should().Be(new Uri("https://my.openai.azure.com/openai/v1/embeddings"));
        request.Headers.Authorization!.ToString().Should().Be("Bearer entra-token");
    }

    [Fact]
    public void Azure_from_environment_needs_a_key()
    {
        var options = TypedBatchOptions.FromEnvironment(name => name switch
        {
            "AZURE_OPENAI_ENDPOINT" => "https://my.openai.azure.com",
            "AZURE_OPENAI_API_KEY" => "k-123456",
            _ => null,
        });

        options.Provider.Should().Be(ProviderKind.AzureOpenAI);
        Action missingKey = () => TypedBatchOptions.FromEnvironment(name => name == "AZURE_OPENAI_ENDPOINT" ? "https://my.openai.azure.com" : null);
        missingKey.Should().Throw<InvalidOperationException>().WithMessage("*AZURE_OPENAI_API_KEY*");
    }
}
