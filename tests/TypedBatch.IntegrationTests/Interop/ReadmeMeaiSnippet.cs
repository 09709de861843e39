using Microsoft.Extensions.AI;
using TypedBatch;

// Outside the TypedBatch namespace, as a user's code is.
namespace ReadmeSamples;

/// <summary>The README's "With Microsoft.Extensions.AI" example, compiled as written (both namespaces imported); run by <see cref="ReadmeMeaiSnippetTests"/>.</summary>
internal static class ReadmeMeaiSnippet
{
    public static async Task<(ChatResponse Answer, string Story, BatchResult<ChatCompletion> Results)> RunAsync(TypedBatchClient client)
    {
        IChatClient chat = new ChatClientBuilder(client.AsChatClient())
            .UseOpenTelemetry()                                   // any M.E.AI middleware
            .Build();
        ChatResponse answer = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "Hello")], new ChatOptions { Temperature = 0 });
        var story = new System.Text.StringBuilder();
        await foreach (ChatResponseUpdate update in chat.GetStreamingResponseAsync("Tell me a story"))
        {
            story.Append(update.Text);
        }

        IEmbeddingGenerator<string, Embedding<float>> embedder = client.AsEmbeddingGenerator();
        _ = embedder;

        // Existing M.E.AI conversations batch without converting: one result per conversation, in order.
        List<ChatMessage[]> conversations = [[new ChatMessage(ChatRole.User, "What is Rust?")], [new ChatMessage(ChatRole.User, "What is Go?")]];
        BatchResult<ChatCompletion> results = await client.CreateChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = 32 });
        return (answer, story.ToString(), results);
    }
}

public sealed class ReadmeMeaiSnippetTests
{
    [Fact]
    public async Task The_READMEs_MEAI_example_runs_against_the_emulator()
    {
        await using TypedBatch.Emulator.EmulatorServer emulator = await TypedBatch.Emulator.EmulatorServer.StartAsync();
        await using TypedBatchClient client = TypedBatch.IntegrationTests.EmulatorClients.Create(emulator);

        (ChatResponse answer, string story, BatchResult<ChatCompletion> results) = await ReadmeMeaiSnippet.RunAsync(client);

        answer.Text.Should().Be("Re: Hello");
        story.Should().Be("Re: Tell me a story");
        results.Select(r => r.Value!.Content).Should().Equal("Re: What is Rust?", "Re: What is Go?");
    }
}
