namespace TypedBatch.Tests;

/// <summary>Bad input is rejected at once, with the argument named, before anything is sent.</summary>
public sealed class ArgumentValidationTests
{
    private readonly FakeChatProvider _provider = new();
    private readonly TypedBatchClient _client;

    public ArgumentValidationTests() => _client = new TypedBatchClient(_provider);

    private static readonly IReadOnlyList<PromptMessage> Valid = [PromptMessage.User("hello")];

    public static TheoryData<string, Func<TypedBatchClient, Task>, string> Cases => new()
    {
        { "null list", c => c.CreateChatCompletionsBatchAsync((IEnumerable<IReadOnlyList<PromptMessage>>)null!), "messagesList" },
        { "null list of M.E.AI conversations", c => c.CreateChatCompletionsBatchAsync((IEnumerable<IEnumerable<Microsoft.Extensions.AI.ChatMessage>>)null!), "messagesList" },
        { "temperature above 2", c => c.CreateChatCompletionsBatchAsync([Valid], temperature: 2.5), "options.Temperature" },
        { "negative temperature", c => c.CreateChatCompletionsBatchAsync([Valid], temperature: -0.1), "options.Temperature" },
        { "NaN temperature", c => c.CreateChatCompletionsBatchAsync([Valid], temperature: double.NaN), "options.Temperature" },
        { "zero max tokens", c => c.CreateChatCompletionsBatchAsync([Valid], maxTokens: 0), "options.MaxTokens" },
        { "zero workers", c => c.CreateChatCompletionsBatchAsync([Valid], maxWorkers: 0), "options.MaxConcurrency" },
        { "blank model", c => c.CreateChatCompletionsBatchAsync([Valid], model: " "), "options.Model" },
        { "single: null messages", c => c.CreateChatCompletionAsync(null!), "messages" },
        { "single: empty messages", c => c.CreateChatCompletionAsync([]), "messages" },
        { "single: bad temperature", c => c.CreateChatCompletionAsync(Valid, new CompletionSettings { Temperature = 3 }), "settings.Temperature" },
        { "single: bad top_p", c => c.CreateChatCompletionAsync(Valid, new CompletionSettings { TopP = 0 }), "settings.TopP" },
        { "single: five stop sequences", c => c.CreateChatCompletionAsync(Valid, new CompletionSettings { Stop = ["a", "b", "c", "d", "e"] }), "settings.Stop" },
        { "embeddings: null inputs", c => c.CreateEmbeddingsBatchAsync(null!), "inputs" },
        { "embeddings: zero workers", c => c.CreateEmbeddingsBatchAsync(["a"], maxWorkers: 0), "maxWorkers" },
        { "embeddings: zero dimensions", c => c.CreateEmbeddingsBatchAsync(["a"], dimensions: 0), "dimensions" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Invalid_arguments_throw_naming_the_argument_and_send_nothing(string name, Func<TypedBatchClient, Task> call, string paramName)
    {
        Func<Task> act = () => call(_client);

        (await act.Should().ThrowAsync<ArgumentException>(name)).Which.ParamName.Should().Be(paramName);
        _provider.Calls.Should().Be(0);
    }

    public static TheoryData<string, IReadOnlyList<PromptMessage>, string> InvalidConversations => new()
    {
        { "null conversation", null!, "the message list is null" },
        { "empty conversation", [], "the message list is empty" },
        { "empty message", [PromptMessage.User("ok"), PromptMessage.Assistant("  ")], "message 1 (Assistant) has empty content" },
        { "null message", [PromptMessage.User("ok"), null!], "message 1 is null" },
    };

    [Theory]
    [MemberData(nameof(InvalidConversations))]
    public async Task An_invalid_conversation_in_a_list_fails_only_its_own_item_and_is_not_sent(string name, IReadOnlyList<PromptMessage> invalid, string problem)
    {
        BatchResult<ChatCompletion> result = await _client.CreateChatCompletionsBatchAsync([Valid, invalid, Valid]);

        result.Should().HaveCount(3, name);
        result[0].Succeeded.Should().BeTrue();
        result[2].Succeeded.Should().BeTrue();
        result[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[1].Error!.Message.Should().Contain(problem).And.Contain("nothing was sent");
        result[1].Attempts.Should().Be(0);
        _provider.Calls.Should().Be(2, "the invalid conversation is never sent");
    }

    [Fact]
    public async Task A_null_or_empty_text_in_an_embeddings_list_fails_only_its_own_item()
    {
        var provider = new FakeChatProvider();
        var client = new TypedBatchClient(provider);

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(["a", null!, "", "b"]);

        result.Select(i => i.Succeeded).Should().Equal(true, false, false, true);
        result[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[2].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        provider.EmbeddedTexts.Should().Equal("a", "b");
    }

    [Fact]
    public void A_message_needs_content()
    {
        Action act = () => PromptMessage.User(null!);

        act.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("content");
    }
}
