using System.Text;
using System.Text.Json;
using TypedBatch.Http;
using TypedBatch.Providers.OpenAI;
using TypedBatch.Resilience;
using TypedBatch.Tests.Wire;

namespace TypedBatch.Tests;

/// <summary>The server-sent events reader, the chunk reader, and the provider reading OpenAI's recorded stream.</summary>
public sealed class StreamingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4096)]
    public async Task Events_are_read_whatever_the_read_sizes_line_endings_comments_and_fields(int readSize)
    {
        const string body = ": keep-alive\n\n"
            + "data: one\n\n"
            + "event: message\r\nid: 7\r\ndata: two\r\n\r\n"
            + "data:three\r\rdata: first line\ndata: second line\n\n"
            + "retry: 1000\n\n"
            + "data\n\n"
            + "dataset: not data\n\n"
            + "data: {\"json\": true}\n\n"
            + "data: cut off at the end";

        List<string> events = await ReadAllAsync(body, readSize);

        events.Should().Equal("one", "two", "three", "first line\nsecond line", "", "{\"json\": true}");
    }

    [Fact]
    public async Task A_leading_byte_order_mark_is_skipped()
    {
        (await ReadAllAsync("\uFEFFdata: first\n\n", 1)).Should().Equal("first");
        (await ReadAllAsync("\uFEFFdata: first\n\n", 4096)).Should().Equal("first");
    }

    [Fact]
    public async Task Only_the_servers_silence_counts_toward_the_idle_limit_not_the_time_the_caller_takes()
    {
        await using var stream = new TrickleStream(Encoding.UTF8.GetBytes("data: one\n\ndata: two\n\n"), 12);
        using var reader = new ServerSentEventReader(stream, TimeSpan.FromMilliseconds(100), 1024);

        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();
        await Task.Delay(300); // the caller is busy for three idle limits
        (await reader.ReadAsync(CancellationToken.None)).Should().BeTrue();

        Encoding.UTF8.GetString(reader.Data.Span).Should().Be("two");
    }

    [Fact]
    public async Task An_event_larger_than_the_buffer_grows_it_and_one_larger_than_the_limit_is_refused()
    {
        string large = new('x', 100_000);
        (await ReadAllAsync($"data: {large}\n\n", 8192)).Should().Equal(large);

        Func<Task> tooLarge = () => ReadAllAsync($"data: {large}\n\n", 8192, maxEventBytes: 50_000);
        await tooLarge.Should().ThrowAsync<ResponseTooLargeException>();
    }

    [Fact]
    public async Task A_stream_that_falls_silent_is_a_timeout_and_the_callers_cancellation_is_not()
    {
        await using var silent = new SilentStream();
        using var reader = new ServerSentEventReader(silent, TimeSpan.FromMilliseconds(100), 1024);
        Func<Task> read = async () => await reader.ReadAsync(CancellationToken.None);
        (await read.Should().ThrowAsync<TimeoutException>()).Which.Message.Should().Contain("StreamIdleTimeout");

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        using var patient = new ServerSentEventReader(silent, TimeSpan.FromSeconds(30), 1024);
        Func<Task> cancelled = async () => await patient.ReadAsync(cancel.Token);
        await cancelled.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public void A_chunk_gives_its_first_choices_deltas_finish_reason_usage_and_in_stream_errors()
    {
        var text = ChatChunk.Parse("""{"id":"c1","model":"m","extra":{"a":[1,{"b":2}]},"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi","tool_calls":[]},"finish_reason":null},{"index":1,"delta":{"content":"other"}}],"usage":null}"""u8);
        text.Should().Be(new ChatChunk("c1", "m", "Hi", null, null, null, null));
        text.HasNews.Should().BeTrue();

        var role = ChatChunk.Parse("""{"choices":[{"delta":{"role":"assistant","content":""}}]}"""u8);
        role.HasNews.Should().BeFalse("a role-only chunk says nothing to hand out");

        var end = ChatChunk.Parse("""{"choices":[{"delta":{"refusal":"No."},"finish_reason":"stop"}]}"""u8);
        (end.Refusal, end.FinishReason).Should().Be(("No.", "stop"));

        var usage = ChatChunk.Parse("""{"choices":[],"usage":{"prompt_tokens":26,"completion_tokens":10,"total_tokens":36,"prompt_tokens_details":{"cached_tokens":6},"completion_tokens_details":{"reasoning_tokens":4}}}"""u8);
        usage.Usage!.ToTokenUsage().Should().Be(new TokenUsage(26, 10, 36, 6, 4));

        var error = ChatChunk.Parse("""{"error":{"message":"The server had an error","type":"server_error","code":null}}"""u8);
        (error.Error!.Message, error.Error.Type).Should().Be(("The server had an error", "server_error"));

        Action broken = () => ChatChunk.Parse("""{"choices":[{"delta":{"content":"cut"""u8);
        broken.Should().Throw<JsonException>();
    }

    [Fact]
    public async Task The_recorded_OpenAI_stream_is_handed_out_piece_by_piece_with_its_usage_last()
    {
        var recorded = RecordedExchange.Load("ChatTests_StreamingStructuredRefusalWorks");
        using var harness = new WireHarness(recorded);

        List<ChatCompletionUpdate> updates = [];
        await foreach (ChatCompletionUpdate update in harness.Provider.StreamAsync(WireHarness.Chat("gpt-4o-2024-08-06", PromptMessage.User("rob a bank?"))))
        {
            updates.Add(update);
        }

        string expected = string.Concat(recorded.ResponseBody!.Value.EnumerateArray()
            .Select(line => line.GetString()!["data: ".Length..^2])
            .Where(data => data != "[DONE]")
            .Select(data => JsonDocument.Parse(data).RootElement.GetProperty("choices"))
            .Where(choices => choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out _))
            .Select(choices => choices[0].GetProperty("delta").GetProperty("content").GetString()));
        expected.Should().StartWith("I'm sorry");
        string.Concat(updates.Select(u => u.Text)).Should().Be(expected);
        updates.Should().OnlyContain(u => u.Model == "gpt-4o-2024-08-06" && u.Provider == "openai");
        updates.Where(u => u.FinishReason is not null).Should().ContainSingle().Which.FinishReason.Should().Be("stop");
        updates[^1].Usage.Should().Be(new TokenUsage(26, 10, 36, 0, 0), "the usage chunk comes last");
        updates.SkipLast(1).Should().OnlyContain(u => u.Usage == null);

        using var sent = JsonDocument.Parse(harness.Server.LastRequest.Body!);
        sent.RootElement.GetProperty("stream").GetBoolean().Should().BeTrue();
        sent.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().Should().BeTrue();
    }

    [Fact]
    public async Task A_provider_that_cannot_stream_hands_out_its_whole_answer_as_one_update()
    {
        IChatProvider provider = new FakeChatProvider();
        List<ChatCompletionUpdate> updates = [];
        await foreach (ChatCompletionUpdate update in provider.StreamAsync(new ChatRequest([PromptMessage.User("hello")], new CompletionSettings { Model = "m" })))
        {
            updates.Add(update);
        }

        updates.Should().ContainSingle().Which.Text.Should().Be("Re: hello");
    }

    [Fact]
    public async Task A_fallback_chain_streams_from_the_next_provider_when_the_first_fails_before_its_first_update()
    {
        var down = new FakeChatProvider { Fail = _ => new ProviderException(BatchErrorKind.Transport, "fake", "connection refused") };
        var up = new FakeChatProvider();
        var refusing = new FakeChatProvider { Fail = _ => new ProviderException(BatchErrorKind.Http, "fake", "bad request", 400) };
        var chain = new TypedBatch.Providers.FallbackChatProvider([down, up], 5, TimeSpan.FromSeconds(30), TimeProvider.System);
        var request = new ChatRequest([PromptMessage.User("hello")], new CompletionSettings { Model = "m" });

        List<ChatCompletionUpdate> updates = [];
        await foreach (ChatCompletionUpdate update in chain.StreamAsync(request))
        {
            updates.Add(update);
        }

        updates.Should().ContainSingle().Which.Text.Should().Be("Re: hello");
        (down.Calls, up.Calls).Should().Be((1, 1));

        var noFallback = new TypedBatch.Providers.FallbackChatProvider([refusing, up], 5, TimeSpan.FromSeconds(30), TimeProvider.System);
        Func<Task> bad = async () =>
        {
            await foreach (ChatCompletionUpdate update in noFallback.StreamAsync(request))
            {
                _ = update;
            }
        };
        (await bad.Should().ThrowAsync<ProviderException>()).Which.StatusCode.Should().Be(400, "another provider would refuse the same request");
        up.Calls.Should().Be(1);
    }

    private static async Task<List<string>> ReadAllAsync(string body, int readSize, long maxEventBytes = 1 << 20)
    {
        await using var stream = new TrickleStream(Encoding.UTF8.GetBytes(body), readSize);
        using var reader = new ServerSentEventReader(stream, Timeout.InfiniteTimeSpan, maxEventBytes);
        List<string> events = [];
        while (await reader.ReadAsync(CancellationToken.None))
        {
            events.Add(Encoding.UTF8.GetString(reader.Data.Span));
        }

        return events;
    }

    /// <summary>A body that arrives at most <c>readSize</c> bytes per read.</summary>
    private sealed class TrickleStream(byte[] bytes, int readSize) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], cancellationToken);
    }

    /// <summary>A body that never sends anything.</summary>
    private sealed class SilentStream : MemoryStream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }
    }
}
