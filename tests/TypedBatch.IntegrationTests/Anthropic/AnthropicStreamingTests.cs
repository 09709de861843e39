using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;
using static TypedBatch.IntegrationTests.Streaming.Streams;

namespace TypedBatch.IntegrationTests.Anthropic;

/// <summary>
/// <see cref="ProviderKind.Anthropic"/> streaming over real HTTP against the emulator's event streams
/// (<c>message_start</c>, <c>content_block_delta</c>, <c>message_delta</c>, <c>error</c>): pieces that add up to the
/// whole answer, usage and cost last, finish reasons, a forced tool call's JSON as the typed answer's text, streams that
/// break before and after their first piece, silence, and batch streaming.
/// </summary>
public sealed class AnthropicStreamingTests : IAsyncLifetime
{
    private const string Model = "claude-sonnet-4-5";
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StreamChunkCharacters = 3, CaptureRequests = true });

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private TypedBatchClient Client(Action<TypedBatchOptions>? configure = null) => AnthropicProviderTests.Create(_emulator, o =>
    {
        o.Model = Model;
        o.Prices.Set(Model, new ModelPrice(3m, 15m));
        configure?.Invoke(o);
    });

    [Fact]
    public async Task The_answer_arrives_in_pieces_that_add_up_to_the_whole_answer_with_usage_and_cost_last()
    {
        await using TypedBatchClient client = Client();
        IReadOnlyList<PromptMessage> conversation = [PromptMessage.System("You are terse."), PromptMessage.User("tell me about streams")];
        ChatCompletion whole = await client.CreateChatCompletionAsync(conversation);

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync(conversation));

        updates.Count.Should().BeGreaterThan(5, "3 characters a delta");
        string.Concat(updates.Select(u => u.Text)).Should().Be(whole.Content);
        updates.Where(u => u.Text is not null).Should().OnlyContain(u => u.Text!.Length <= 3);
        updates.Where(u => u.FinishReason is not null).Should().ContainSingle().Which.FinishReason.Should().Be("stop", "end_turn");
        ChatCompletionUpdate last = updates[^1];
        last.Usage.Should().Be(whole.Usage, "input tokens from message_start, output tokens from message_delta");
        last.Usage!.Value.PromptTokens.Should().BeGreaterThan(0);
        last.Usage!.Value.CompletionTokens.Should().BeGreaterThan(1, "message_start's placeholder output count is replaced by message_delta's");
        last.Cost.Should().Be(whole.Cost).And.BeGreaterThan(0m);
        updates.SkipLast(1).Should().OnlyContain(u => u.Usage == null && u.Cost == null && u.FinishReason == null);
        updates.Should().OnlyContain(u => u.Model == whole.Model && u.Id != null && u.Id.StartsWith("msg_") && u.Provider == "anthropic" && u.Attempts == 1);
        _emulator.GetStats().AnthropicMessagesReceived.Should().Be(2);
        using var sent = JsonDocument.Parse(_emulator.CapturedRequests.Last(r => r.PathAndQuery == "/v1/messages").Body);
        sent.RootElement.GetProperty("stream").GetBoolean().Should().BeTrue();
        sent.RootElement.GetProperty("system").GetString().Should().Be("You are terse.");
    }

    [Fact]
    public async Task Max_tokens_ends_the_stream_with_the_length_finish_reason()
    {
        await using TypedBatchClient client = Client();

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("a long story")], new CompletionSettings { MaxTokens = 3 }));

        updates[^1].FinishReason.Should().Be("length", "stop_reason max_tokens");
        updates[^1].Usage!.Value.CompletionTokens.Should().Be(3);
    }

    [Fact]
    public async Task A_typed_request_in_tool_call_mode_streams_the_forced_tool_calls_input_json_as_its_text()
    {
        await using TypedBatchClient client = Client(o => o.StructuredOutputs = StructuredOutputMode.ToolCall);
        byte[] schema = Encoding.UTF8.GetBytes("""
            {"type":"object","properties":{"language":{"type":"string"},"code":{"type":"string"}},"required":["language","code"],"additionalProperties":false}
            """);
        var settings = new CompletionSettings { ResponseFormat = ResponseFormat.ForJsonSchema("code_snippet", schema) };
        IReadOnlyList<PromptMessage> conversation = [PromptMessage.User("Write a function to sort a list.")];
        ChatCompletion whole = await client.CreateChatCompletionAsync(conversation, settings);

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync(conversation, settings));

        string streamed = string.Concat(updates.Select(u => u.Text));
        updates.Count(u => u.Text is not null).Should().BeGreaterThan(3, "input_json_delta pieces of 3 characters");
        JsonNode.DeepEquals(JsonNode.Parse(streamed), JsonNode.Parse(whole.Content!)).Should().BeTrue("the streamed tool input is the typed answer: {0} vs {1}", streamed, whole.Content);
        JsonNode.Parse(streamed)!["code"]!.GetValue<string>().Should().NotBeEmpty();
        updates[^1].FinishReason.Should().Be("stop", "tool_use");
        using var sent = JsonDocument.Parse(_emulator.CapturedRequests.Last(r => r.PathAndQuery == "/v1/messages").Body);
        sent.RootElement.GetProperty("tool_choice").GetProperty("name").GetString().Should().Be("code_snippet");
        sent.RootElement.GetProperty("stream").GetBoolean().Should().BeTrue();
    }

    [Theory]
    [InlineData("[[stream-cut:0:1]]", "a connection cut before the first piece")]
    [InlineData("[[stream-error:0:1]]", "an overloaded_error event before the first piece")]
    public async Task A_stream_that_breaks_before_its_first_piece_is_sent_again(string marker, string what)
    {
        await using TypedBatchClient client = Client();

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User($"hello {marker}")]));

        string.Concat(updates.Select(u => u.Text)).Should().StartWith("Re: hello", what);
        updates[^1].Usage.Should().NotBeNull();
        updates.Should().OnlyContain(u => u.Attempts == 2, "the re-sent stream is the call's second attempt");
        _emulator.GetStats().AnthropicMessagesReceived.Should().Be(2, "sent again once");
    }

    [Theory]
    [InlineData("[[stream-cut:2]]", BatchErrorKind.Transport)]
    [InlineData("[[stream-error:2]]", BatchErrorKind.Http)]
    public async Task A_stream_that_breaks_after_pieces_were_handed_out_fails_the_call_and_is_not_sent_again(string marker, BatchErrorKind kind)
    {
        await using TypedBatchClient client = Client();
        List<ChatCompletionUpdate> received = [];

        Func<Task> read = () => CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User($"hello {marker}")]), received);

        ProviderException failure = (await read.Should().ThrowAsync<ProviderException>()).Which;
        failure.Kind.Should().Be(kind);
        failure.Provider.Should().Be("anthropic");
        received.Should().HaveCount(2, "two pieces came before the break");
        _emulator.GetStats().AnthropicMessagesReceived.Should().Be(1);
        if (kind == BatchErrorKind.Http)
        {
            failure.ErrorType.Should().Be("overloaded_error");
            failure.ProviderMessage.Should().Be("Overloaded");
        }
        else
        {
            failure.ProviderMessage.Should().Contain("message_stop");
        }
    }

    [Fact]
    public async Task A_stream_that_falls_silent_times_out_by_StreamIdleTimeout_and_is_retried_up_to_MaxRetries()
    {
        await using TypedBatchClient client = Client(o =>
        {
            o.StreamIdleTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxRetries = 1;
        });

        Func<Task> read = () => CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("slow [[drip-stream:3000]]")]));

        ProviderException failure = (await read.Should().ThrowAsync<ProviderException>()).Which;
        failure.Kind.Should().Be(BatchErrorKind.Timeout);
        failure.ProviderMessage.Should().Contain("StreamIdleTimeout");
        _emulator.GetStats().AnthropicMessagesReceived.Should().Be(2, "the silent stream was sent once more, then given up on");
    }

    [Fact]
    public async Task Errors_before_the_stream_are_the_retry_loops_and_bad_requests_are_not_retried()
    {
        await using TypedBatchClient client = Client();

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("hello [[fail:529:2]]")]));
        Func<Task> bad = () => CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("hello [[fail:400]]")]));

        updates[0].Attempts.Should().Be(3, "two 529s retried in the pipeline, then the stream");
        ProviderException failure = (await bad.Should().ThrowAsync<ProviderException>()).Which;
        failure.StatusCode.Should().Be(400);
        failure.ErrorType.Should().Be("invalid_request_error");
        _emulator.GetStats().AnthropicMessagesReceived.Should().Be(4);
    }

    [Fact]
    public async Task A_streamed_batch_gives_each_input_its_own_deltas_adding_up_to_its_answer_and_one_final_item_in_input_order()
    {
        await using TypedBatchClient client = Client();
        var conversations = Enumerable.Range(0, 40).Select(Conversation).ToList();
        BatchResult<ChatCompletion> whole = await client.CreateChatCompletionsBatchAsync(conversations);

        List<BatchDelta> deltas = await CollectAsync(client.StreamChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = 8 }));

        whole.AllSucceeded.Should().BeTrue();
        deltas.Where(d => d.IsFinal).Select(d => d.Index).Should().BeEquivalentTo(Enumerable.Range(0, 40), "one final delta per input");
        for (int i = 0; i < 40; i++)
        {
            var mine = deltas.Where(d => d.Index == i).ToList();
            mine[^1].IsFinal.Should().BeTrue("the final delta comes after the input's text");
            string text = string.Concat(mine.SkipLast(1).Select(d => d.Text));
            text.Should().Be(whole[i].Value!.Content).And.Be($"Re: item {i}", "input {0}'s own answer", i);
            BatchItem<string> item = mine[^1].Item!.Value;
            item.Value.Should().Be(text);
            item.Usage.Should().Be(whole[i].Usage);
            item.Cost.Should().Be(whole[i].Cost).And.BeGreaterThan(0m);
        }

        _emulator.GetStats().AnthropicMessagesReceived.Should().Be(80);
    }
}
