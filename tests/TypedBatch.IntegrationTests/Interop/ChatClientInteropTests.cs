using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenTelemetry;
using OpenTelemetry.Trace;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;
using Meai = Microsoft.Extensions.AI;

namespace TypedBatch.IntegrationTests.Interop;

/// <summary>
/// <c>TypedBatchClient.AsChatClient()</c> over real HTTP: TypedBatch's pipeline as an M.E.AI <see cref="IChatClient"/>,
/// whole and streamed, its options on the wire, its metadata, and inside a <see cref="ChatClientBuilder"/> pipeline with
/// <c>UseOpenTelemetry</c>.
/// </summary>
public sealed class ChatClientInteropTests : IAsyncLifetime
{
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true, StreamChunkCharacters = 3 });

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task A_response_carries_the_answer_its_usage_model_and_finish_reason_and_the_options_reach_the_wire()
    {
        await using TypedBatchClient client = Create(_emulator);
        using IChatClient chat = client.AsChatClient();
        var options = new ChatOptions { Temperature = 0.2f, MaxOutputTokens = 50, TopP = 0.9f, StopSequences = ["END"], Seed = 7 };

        ChatResponse response = await chat.GetResponseAsync([new(Meai.ChatRole.System, "You are terse."), new(Meai.ChatRole.User, "hello")], options);

        response.Text.Should().Be("Re: hello");
        response.FinishReason.Should().Be(ChatFinishReason.Stop);
        response.ModelId.Should().Be(client.Options.Model);
        response.Usage!.TotalTokenCount.Should().BeGreaterThan(0);
        response.Usage.InputTokenCount.Should().BeGreaterThan(0);
        using var sent = JsonDocument.Parse(_emulator.CapturedRequests.Single().Body);
        JsonElement body = sent.RootElement;
        body.GetProperty("temperature").GetDouble().Should().BeApproximately(0.2, 1e-6);
        body.GetProperty("max_tokens").GetInt32().Should().Be(50);
        body.GetProperty("top_p").GetDouble().Should().BeApproximately(0.9, 1e-6);
        body.GetProperty("stop")[0].GetString().Should().Be("END");
        body.GetProperty("seed").GetInt64().Should().Be(7);
        body.GetProperty("messages").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public async Task A_streamed_response_adds_up_to_the_answer_with_usage_last()
    {
        await using TypedBatchClient client = Create(_emulator);
        using IChatClient chat = client.AsChatClient();

        List<ChatResponseUpdate> updates = [];
        await foreach (ChatResponseUpdate update in chat.GetStreamingResponseAsync([new(Meai.ChatRole.User, "tell me more")]))
        {
            updates.Add(update);
        }

        updates.Count.Should().BeGreaterThan(3);
        string.Concat(updates.Select(u => u.Text)).Should().Be("Re: tell me more");
        updates.ToChatResponse().Usage!.TotalTokenCount.Should().BeGreaterThan(0);
        updates.Where(u => u.FinishReason is not null).Should().ContainSingle().Which.FinishReason.Should().Be(ChatFinishReason.Stop);
    }

    [Fact]
    public async Task It_composes_with_UseOpenTelemetry_and_names_its_provider_in_the_metadata()
    {
        await using TypedBatchClient client = Create(_emulator);
        var spans = new List<Activity>();
        using TracerProvider tracing = Sdk.CreateTracerProviderBuilder().AddSource("interop-test").AddInMemoryExporter(spans).Build();
        using IChatClient pipeline = new ChatClientBuilder(client.AsChatClient()).UseOpenTelemetry(sourceName: "interop-test").Build();

        ChatResponse response = await pipeline.GetResponseAsync([new(Meai.ChatRole.User, "traced")]);
        await foreach (ChatResponseUpdate update in pipeline.GetStreamingResponseAsync([new(Meai.ChatRole.User, "traced stream")]))
        {
            _ = update;
        }

        tracing.ForceFlush();
        response.Text.Should().Be("Re: traced");
        spans.Should().HaveCount(2);
        spans.Should().OnlyContain(s => s.DisplayName == $"chat {client.Options.Model}");
        spans.Should().OnlyContain(s => Equals(s.GetTagItem("gen_ai.provider.name"), "openai_compatible"));
        spans[0].GetTagItem("gen_ai.usage.output_tokens").Should().NotBeNull("the middleware reads the usage TypedBatch reports");
        ChatClientMetadata metadata = pipeline.GetService<ChatClientMetadata>()!;
        (metadata.ProviderName, metadata.DefaultModelId, metadata.ProviderUri).Should().Be(("openai_compatible", client.Options.Model, _emulator.BaseUrl));
        pipeline.GetService<TypedBatchClient>().Should().BeSameAs(client);
    }

    [Fact]
    public async Task Content_other_than_text_and_tools_are_refused_naming_what_is_wrong_with_nothing_sent()
    {
        await using TypedBatchClient client = Create(_emulator);
        using IChatClient chat = client.AsChatClient();
        var image = new Meai.ChatMessage(Meai.ChatRole.User, [new DataContent(new byte[] { 1, 2, 3 }, "image/png")]);
        var tools = new ChatOptions { Tools = [AIFunctionFactory.Create(() => 42, "answer")] };

        Func<Task> withImage = () => chat.GetResponseAsync([new(Meai.ChatRole.User, "look"), image]);
        Func<Task> withTools = () => chat.GetResponseAsync([new(Meai.ChatRole.User, "call it")], tools);

        (await withImage.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("Message 1 has DataContent");
        (await withTools.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("tools");
        _emulator.CapturedRequests.Should().BeEmpty();
    }
}

/// <summary>Batching Microsoft.Extensions.AI messages, and <c>AsEmbeddingGenerator()</c>, over real HTTP.</summary>
public sealed class MeaiBatchInteropTests : IAsyncLifetime
{
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task A_batch_of_MEAI_conversations_keeps_order_and_fails_only_the_conversation_that_is_not_text()
    {
        await using TypedBatchClient client = Create(_emulator);
        List<IEnumerable<Meai.ChatMessage>> conversations = [.. Enumerable.Range(0, 50).Select(i => new[] { new Meai.ChatMessage(Meai.ChatRole.System, "You are terse."), new Meai.ChatMessage(Meai.ChatRole.User, $"item {i}") })];
        conversations[7] = [new Meai.ChatMessage(Meai.ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")])];
        conversations[9] = [new Meai.ChatMessage(Meai.ChatRole.Tool, "a tool's answer")];

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = 8 });

        result.Should().HaveCount(50);
        result.Where(item => item.Index is not 7 and not 9).Should().OnlyContain(item => item.Value!.Content == $"Re: item {item.Index}");
        result[7].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[7].Error!.Message.Should().Contain("Message 0 has DataContent");
        result[9].Error!.Message.Should().Contain("role 'tool'");
        _emulator.GetStats().ChatRequestsReceived.Should().Be(48, "nothing was sent for the two refused conversations");
    }

    [Fact]
    public async Task The_embedding_generator_embeds_in_input_order_with_usage_and_the_options_model_and_dimensions()
    {
        await using TypedBatchClient client = Create(_emulator);
        using IEmbeddingGenerator<string, Embedding<float>> generator = client.AsEmbeddingGenerator();
        string[] texts = [.. Enumerable.Range(0, 30).Select(i => $"text {i}")];

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(texts, new EmbeddingGenerationOptions { Dimensions = 16 });
        TypedBatch.EmbeddingVector single = await client.CreateEmbeddingAsync("text 3", dimensions: 16);

        embeddings.Should().HaveCount(30).And.OnlyContain(e => e.Vector.Length == 16);
        embeddings[3].Vector.ToArray().Should().Equal(single.Vector.ToArray());
        embeddings.Usage!.InputTokenCount.Should().BeGreaterThan(0);
        generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId.Should().Be(client.Options.EmbeddingModel);
        Func<Task> empty = () => generator.GenerateAsync(["fine", ""]);
        (await empty.Should().ThrowAsync<BatchItemFailedException>()).Which.Message.Should().StartWith("Batch item #1 failed: InvalidInput");
    }
}
