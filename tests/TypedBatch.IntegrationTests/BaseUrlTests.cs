using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>A base URL's query (Azure-style <c>api-version</c>, a proxy's routing key) reaches the server on every request; a fragment is refused.</summary>
public sealed class BaseUrlTests
{
    [Fact]
    public async Task A_base_url_query_reaches_the_server_on_chat_and_embeddings_requests_and_on_every_retry()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true });
        await using TypedBatchClient client = Create(emulator, o => o.BaseUrl = new Uri(emulator.BaseUrl.AbsoluteUri.TrimEnd('/') + "?x=1"));

        ChatCompletion answer = await client.CreateChatCompletionAsync([PromptMessage.User("hi")]);
        ChatCompletion retried = await client.CreateChatCompletionAsync([PromptMessage.User("again [[fail:500:2]]")]);
        EmbeddingVector vector = await client.CreateEmbeddingAsync("text");

        answer.Content.Should().Be("Re: hi");
        retried.Attempts.Should().Be(3);
        vector.Vector.Length.Should().BeGreaterThan(0);
        emulator.CapturedRequests.Select(static r => r.PathAndQuery).Should().Equal(
            "/v1/chat/completions?x=1",
            "/v1/chat/completions?x=1",
            "/v1/chat/completions?x=1",
            "/v1/chat/completions?x=1",
            "/v1/embeddings?x=1");
    }

    [Fact]
    public void A_base_url_with_a_fragment_is_refused_naming_it()
    {
        var options = new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = new Uri("http://localhost:11434/v1#frag") };

        Action create = () => TypedBatchClient.Create(options);

        create.Should().Throw<InvalidOperationException>().WithMessage("*BaseUrl must not have a fragment ('#frag')*");
    }
}
