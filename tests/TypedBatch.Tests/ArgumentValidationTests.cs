namespace TypedBatch.Tests;

/// <summary>Bad input is rejected at once, with the argument named, before anything is sent.</summary>
public sealed class ArgumentValidationTests
{
    private readonly FakeChatProvider _provider = new();
    private readonly TypedBatchClient _client;

    public ArgumentValidationTests() => _client = new TypedBatchClient(_provider);

    private static readonly IReadOnlyList<ChatMessage> Valid = [ChatMessage.User("hello")];

    public static TheoryData<string, Func<TypedBatchClient, Task>, string> Cases => new()
    {
        { "null list", c => c.CreateChatCompletionsBatchAsync(null!), "messagesList" },
        { "null conversation in a list", c => c.CreateChatCompletionsBatchAsync([Valid, null!]), "messagesList" },
        { "empty conversation", c => c.CreateChatCompletionsBatchAsync([Valid, []]), "messagesList" },
        { "empty message", c => c.CreateChatCompletionsBatchAsync([[ChatMessage.User("ok"), ChatMessage.Assistant("  ")]]), "messagesList" },
        { "null message", c => c.CreateChatCompletionsBatchAsync([[ChatMessage.User("ok"), null!]]), "messagesList" },
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
        { "embeddings: null element", c => c.CreateEmbeddingsBatchAsync(["a", null!]), "inputs" },
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

    [Fact]
    public async Task The_error_message_says_which_conversation_is_wrong()
    {
        Func<Task> act = () => _client.CreateChatCompletionsBatchAsync([Valid, Valid, []]);

        await act.Should().ThrowAsync<ArgumentException>().WithMessage("messagesList[2] is invalid: the message list is empty*");
    }

    [Fact]
    public void A_message_needs_content()
    {
        Action act = () => ChatMessage.User(null!);

        act.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("content");
    }
}
