using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;
using static TypedBatch.IntegrationTests.Streaming.Streams;

namespace TypedBatch.IntegrationTests.Streaming;

/// <summary>
/// <c>StreamChatCompletionAsync</c> over real HTTP against the emulator's event streams: text in pieces, refusals, the
/// usage on the last update, and streams that are cut, fall silent or carry an error, before and after the first piece.
/// </summary>
public sealed class StreamingOverHttpTests : IAsyncLifetime
{
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StreamChunkCharacters = 3 });

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task The_answer_arrives_in_pieces_that_add_up_to_the_whole_answer_with_usage_and_cost_last()
    {
        await using TypedBatchClient client = Create(_emulator, o => o.Prices.Set(o.Model, new ModelPrice(1m, 2m)));
        IReadOnlyList<PromptMessage> conversation = [PromptMessage.System("You are terse."), PromptMessage.User("tell me about streams")];
        ChatCompletion whole = await client.CreateChatCompletionAsync(conversation);

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync(conversation));

        updates.Count.Should().BeGreaterThan(5, "3 characters a chunk");
        string.Concat(updates.Select(u => u.Text)).Should().Be(whole.Content);
        updates.Where(u => u.Text is not null).Should().OnlyContain(u => u.Text!.Length <= 3);
        updates.Where(u => u.FinishReason is not null).Should().ContainSingle().Which.FinishReason.Should().Be("stop");
        ChatCompletionUpdate last = updates[^1];
        last.Usage.Should().Be(whole.Usage);
        last.Cost.Should().Be(whole.Cost).And.BeGreaterThan(0m);
        updates.SkipLast(1).Should().OnlyContain(u => u.Usage == null && u.Cost == null);
        updates.Should().OnlyContain(u => u.Model == whole.Model && u.Attempts == 1);
        _emulator.GetStats().ChatRequestsReceived.Should().Be(2);
    }

    [Fact]
    public async Task A_refusal_streams_as_refusal_pieces()
    {
        await using TypedBatchClient client = Create(_emulator);

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("do something bad [[refuse]]")]));

        updates.Should().OnlyContain(u => u.Text == null);
        string.Concat(updates.Select(u => u.Refusal)).Should().NotBeEmpty();
    }

    [Theory]
    [InlineData("[[stream-cut:0:1]]", "a connection cut before the first piece")]
    [InlineData("[[stream-error:0:1]]", "an error event before the first piece")]
    public async Task A_stream_that_breaks_before_its_first_piece_is_sent_again(string marker, string what)
    {
        await using TypedBatchClient client = Create(_emulator);

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User($"hello {marker}")]));

        string.Concat(updates.Select(u => u.Text)).Should().StartWith("Re: hello", what);
        updates[^1].Usage.Should().NotBeNull();
        _emulator.GetStats().ChatRequestsReceived.Should().Be(2, "sent again once");
    }

    [Theory]
    [InlineData("[[stream-cut:2]]", BatchErrorKind.Transport)]
    [InlineData("[[stream-error:2]]", BatchErrorKind.Http)]
    public async Task A_stream_that_breaks_after_pieces_were_handed_out_fails_the_call_and_is_not_sent_again(string marker, BatchErrorKind kind)
    {
        await using TypedBatchClient client = Create(_emulator);
        List<ChatCompletionUpdate> received = [];

        Func<Task> read = () => CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User($"hello {marker}")]), received);

        ProviderException failure = (await read.Should().ThrowAsync<ProviderException>()).Which;
        failure.Kind.Should().Be(kind);
        received.Should().HaveCount(2, "two pieces came before the break");
        _emulator.GetStats().ChatRequestsReceived.Should().Be(1);
        if (kind == BatchErrorKind.Http)
        {
            failure.ErrorType.Should().Be("server_error");
            failure.ProviderMessage.Should().Contain("The server had an error");
        }
    }

    [Fact]
    public async Task A_stream_that_falls_silent_times_out_by_StreamIdleTimeout_and_is_retried_up_to_MaxRetries()
    {
        await using TypedBatchClient client = Create(_emulator, o =>
        {
            o.StreamIdleTimeout = TimeSpan.FromMilliseconds(300);
            o.MaxRetries = 1;
        });

        Func<Task> read = () => CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("slow [[drip-stream:3000]]")]));

        ProviderException failure = (await read.Should().ThrowAsync<ProviderException>()).Which;
        failure.Kind.Should().Be(BatchErrorKind.Timeout);
        failure.ProviderMessage.Should().Contain("StreamIdleTimeout");
        _emulator.GetStats().ChatRequestsReceived.Should().Be(2, "the silent stream was sent once more, then given up on");
    }

    [Fact]
    public async Task A_slow_but_steady_stream_is_read_to_its_end()
    {
        await using TypedBatchClient client = Create(_emulator, o => o.StreamIdleTimeout = TimeSpan.FromSeconds(5));

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("steady [[drip-stream:20]]")]));

        string.Concat(updates.Select(u => u.Text)).Should().StartWith("Re: steady");
    }

    [Fact]
    public async Task A_streaming_server_that_never_answers_is_given_up_on_by_FirstByteTimeout_and_a_whole_answer_by_AttemptTimeout()
    {
        await using TypedBatchClient client = Create(_emulator, o =>
        {
            o.FirstByteTimeout = TimeSpan.FromMilliseconds(200);
            o.AttemptTimeout = TimeSpan.FromSeconds(1);
            o.MaxRetries = 1;
        });

        Func<Task> streamed = () => CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("anyone there? [[hang]]")]));
        Func<Task> whole = () => client.CreateChatCompletionAsync([PromptMessage.User("anyone? [[hang]]")]);

        ProviderException streamedFailure = (await streamed.Should().ThrowAsync<ProviderException>()).Which;
        streamedFailure.Kind.Should().Be(BatchErrorKind.Timeout);
        streamedFailure.ProviderMessage.Should().Contain("FirstByteTimeout");
        streamedFailure.Attempts.Should().Be(2);
        ProviderException wholeFailure = (await whole.Should().ThrowAsync<ProviderException>()).Which;
        wholeFailure.Kind.Should().Be(BatchErrorKind.Timeout);
        wholeFailure.ProviderMessage.Should().NotContain("FirstByteTimeout", "a whole answer's headers come with it: only the attempt timeout applies");
        wholeFailure.Attempts.Should().Be(2);
        _emulator.GetStats().InjectedFaults.Hang.Should().Be(4, "each call tried twice");
    }

    [Fact]
    public async Task Errors_before_the_stream_are_the_retry_loops_and_bad_requests_are_not_retried()
    {
        await using TypedBatchClient client = Create(_emulator);

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("hello [[fail:503:2]]")]));
        Func<Task> bad = () => CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("hello [[fail:400]]")]));

        updates[0].Attempts.Should().Be(3, "two 503s retried in the pipeline, then the stream");
        (await bad.Should().ThrowAsync<ProviderException>()).Which.StatusCode.Should().Be(400);
        _emulator.GetStats().ChatRequestsReceived.Should().Be(4);
    }
}
