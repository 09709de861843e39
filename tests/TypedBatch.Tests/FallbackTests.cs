using Microsoft.Extensions.Time.Testing;
using Refit;
using TypedBatch.Http;
using TypedBatch.Providers;
using TypedBatch.Providers.Azure;
using TypedBatch.Providers.OpenAI;

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

    private static readonly ChatRequest Request = new([PromptMessage.User("hi")], new CompletionSettings { Model = "m" });

    [Fact]
    public async Task The_breaker_opens_after_failures_in_a_row_then_lets_one_trial_through_and_closes_on_success()
    {
        var time = new FakeTimeProvider();
        var primary = new ScriptedProvider("primary") { Next = () => new ProviderException(BatchErrorKind.Http, "primary", "down", 503) };
        var backup = new ScriptedProvider("backup");
        var chain = new FallbackChatProvider([primary, backup], failures: 2, breakDuration: TimeSpan.FromSeconds(30), time);

        for (int i = 0; i < 5; i++)
        {
            (await chain.CompleteAsync(Request)).Provider.Should().Be("backup");
        }

        primary.Calls.Should().Be(2, "open after two failures in a row: the next three skip it");

        time.Advance(TimeSpan.FromSeconds(31));
        primary.Next = () => null;
        (await chain.CompleteAsync(Request)).Provider.Should().Be("primary", "the half-open trial succeeded");
        (await chain.CompleteAsync(Request)).Provider.Should().Be("primary", "closed again");
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
        var capture = new CaptureHandler();
        using var http = new HttpClient(new AzureAuthHandler("azure-key-123", null) { InnerHandler = capture }) { BaseAddress = new Uri("https://my.openai.azure.com/openai") };
        var routes = new AzureDeploymentRoutes(RestService.ForGenerated<IAzureOpenAIApi>(http, WireJsonContext.Wire), "2024-10-21");

        using IApiResponse<ChatCompletionResponseDto> _ = await routes.ChatAsync(new ChatCompletionRequestDto { Model = "gpt4o-prod", Messages = [] }, new CallContext { Model = "gpt4o-prod" }, CancellationToken.None);

        capture.Uri.Should().Be(new Uri("https://my.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"));
        capture.ApiKey.Should().Be("azure-key-123");
        capture.Authorization.Should().BeNull();
    }

    [Fact]
    public async Task Azure_v1_api_uses_the_v1_path_and_a_bearer_token_from_the_callback()
    {
        var capture = new CaptureHandler();
        using var http = new HttpClient(new AzureAuthHandler(null, _ => ValueTask.FromResult("entra-token")) { InnerHandler = capture }) { BaseAddress = new Uri("https://my.openai.azure.com/openai/v1") };
        var routes = new OpenAIRoutes(RestService.ForGenerated<IOpenAIApi>(http, WireJsonContext.Wire));

        using IApiResponse<EmbeddingResponseDto> _ = await routes.EmbedAsync(new EmbeddingRequestDto { Model = "embed-prod", Input = ["x"] }, new CallContext { Model = "embed-prod" }, CancellationToken.None);

        capture.Uri.Should().Be(new Uri("https://my.openai.azure.com/openai/v1/embeddings"));
        capture.Authorization.Should().Be("Bearer entra-token");
    }

    private sealed class CaptureHandler : HttpMessageHandler
    {
        public Uri? Uri { get; private set; }

        public string? ApiKey { get; private set; }

        public string? Authorization { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Uri = request.RequestUri;
            ApiKey = request.Headers.TryGetValues("api-key", out IEnumerable<string>? keys) ? keys.Single() : null;
            Authorization = request.Headers.Authorization?.ToString();
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") });
        }
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
