using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using TypedBatch.Deferred;
using TypedBatch.Journaling;
using TypedBatch.Providers;

namespace TypedBatch.Tests.Deferred;

/// <summary>Anthropic's Message Batches lines, without a server: the request line, the results read back, the create body.</summary>
public sealed partial class AnthropicBatchLinesTests
{
    private static readonly AnthropicBatchLines Lines = AnthropicBatchLines.Instance;

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex AnthropicCustomId();

    private static (byte[] Line, JsonDocument Document) Write(IReadOnlyList<PromptMessage> messages, CompletionSettings settings, StructuredOutputMode mode, int index = int.MaxValue)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using Utf8JsonWriter writer = DeferredLines.CreateWriter(buffer);
        DeferredLines.Write(buffer, writer, Lines, "tbffffffff", index, new JournalFingerprint(ulong.MaxValue, ulong.MaxValue), "/v1/messages",
            w => Lines.WriteChatBody(w, new ChatRequest(messages, settings), "claude-test", mode));
        byte[] line = buffer.WrittenSpan.ToArray();
        return (line, JsonDocument.Parse(line));
    }

    [Fact]
    public void A_request_line_is_custom_id_and_params_with_the_messages_request_and_its_longest_custom_id_is_valid_for_anthropic()
    {
        (byte[] line, JsonDocument document) = Write([PromptMessage.System("Be brief."), PromptMessage.User("héllo")], new CompletionSettings { MaxTokens = 50, Stop = ["END"] }, StructuredOutputMode.JsonSchema);
        using (document)
        {
            JsonElement root = document.RootElement;
            root.EnumerateObject().Select(p => p.Name).Should().Equal("custom_id", "params");
            string customId = root.GetProperty("custom_id").GetString()!;
            customId.Should().MatchRegex(AnthropicCustomId().ToString(), "the largest index and fingerprint still fit Anthropic's pattern");
            JsonElement body = root.GetProperty("params");
            body.GetProperty("model").GetString().Should().Be("claude-test");
            body.GetProperty("system").GetString().Should().Be("Be brief.");
            body.GetProperty("max_tokens").GetInt32().Should().Be(50);
            body.GetProperty("stop_sequences")[0].GetString().Should().Be("END");
            body.GetProperty("messages").GetArrayLength().Should().Be(1);
        }

        line[^1].Should().Be((byte)'\n');
        Encoding.UTF8.GetString(line).Count(c => c == '\n').Should().Be(1);
    }

    [Theory]
    [InlineData(StructuredOutputMode.JsonSchema)]
    [InlineData(StructuredOutputMode.ToolCall)]
    [InlineData(StructuredOutputMode.JsonObjectWithSchemaInPrompt)]
    public void A_request_is_read_back_from_its_line_as_it_was_rendered(StructuredOutputMode mode)
    {
        var settings = new CompletionSettings { ResponseFormat = ResponseFormat.ForJsonSchema("answer", "{\"type\":\"object\",\"properties\":{}}"u8.ToArray()) };
        IReadOnlyList<PromptMessage> rendered = [PromptMessage.System("Classify."), PromptMessage.User("one"), PromptMessage.Assistant("two"), PromptMessage.User("three")];
        (byte[] line, JsonDocument document) = Write(rendered, settings, mode);
        using (document)
        {
            bool schemaInSystem = document.RootElement.GetProperty("params").GetProperty("system").GetString()!.Contains("JSON schema", StringComparison.Ordinal);
            schemaInSystem.Should().Be(mode == StructuredOutputMode.JsonObjectWithSchemaInPrompt);
        }

        DeferredLines.ReadBody(line, Lines, body => Lines.ReadChatMessages(body, settings, "claude-test", mode))
            .Should().Equal(rendered, "a repair or a live fallback sends the conversation again, and the live call adds the schema itself");
    }

    [Fact]
    public void Results_are_read_as_answers_errors_with_their_live_status_and_unprocessed_lines()
    {
        BatchOutputLineDto succeeded = Lines.ParseResult("""{"custom_id":"a","result":{"type":"succeeded","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":1}}}}""")!;
        BatchOutputLineDto overloaded = Lines.ParseResult("""{"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_9"}}}""")!;
        BatchOutputLineDto invalid = Lines.ParseResult("""{"custom_id":"c","result":{"type":"errored","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}}""")!;
        BatchOutputLineDto canceled = Lines.ParseResult("""{"custom_id":"d","result":{"type":"canceled"}}""")!;
        BatchOutputLineDto expired = Lines.ParseResult("""{"custom_id":"e","result":{"type":"expired"}}""")!;

        succeeded.CustomId.Should().Be("a");
        succeeded.Response!.StatusCode.Should().Be(200);
        ChatCompletion answer = Lines.ReadChatAnswer(succeeded.Response.Body!.Value, "anthropic", null, Pricing.None, "claude-test");
        (answer.Content, answer.FinishReason, answer.Usage.PromptTokens, answer.Id).Should().Be(("hi", "stop", 3L, "msg_1"));

        overloaded.Response!.StatusCode.Should().Be(529);
        overloaded.Response.RequestId.Should().Be("req_9");
        overloaded.Response.Body!.Value.GetProperty("error").GetProperty("type").GetString().Should().Be("overloaded_error");
        invalid.Response!.StatusCode.Should().Be(400, "an error object without its envelope is read too");
        invalid.Response.Body!.Value.GetProperty("error").GetProperty("message").GetString().Should().Be("max_tokens: too large");
        Lines.KindOf(400, new TypedBatch.Providers.OpenAI.ErrorDto { Message = "Your credit balance is too low" }).Should().Be(BatchErrorKind.QuotaExceeded);
        Lines.KindOf(429, null).Should().Be(BatchErrorKind.RateLimited);

        (canceled.Response, canceled.Error!.Code).Should().Be((null, "batch_cancelled"));
        (expired.Response, expired.Error!.Code).Should().Be((null, "batch_expired"));
        Lines.ParseResult("not json").Should().BeNull();
        Lines.ParseResult("""{"custom_id":"f"}""").Should().BeNull();
    }

    [Theory]
    [InlineData("invalid_request_error", 400)]
    [InlineData("authentication_error", 401)]
    [InlineData("billing_error", 402)]
    [InlineData("permission_error", 403)]
    [InlineData("not_found_error", 404)]
    [InlineData("request_too_large", 413)]
    [InlineData("rate_limit_error", 429)]
    [InlineData("api_error", 500)]
    [InlineData("timeout_error", 504)]
    [InlineData("overloaded_error", 529)]
    [InlineData("something_new", 500)]
    public void An_error_type_has_the_status_anthropic_answers_it_with(string type, int status)
        => AnthropicBatchLines.StatusOf(type).Should().Be(status);

    [Fact]
    public async Task The_create_body_is_the_spooled_lines_as_one_requests_array_of_known_length_and_can_be_sent_twice()
    {
        byte[] spool = Encoding.UTF8.GetBytes("xx{\"custom_id\":\"a\",\"params\":{\"t\":\"1\\n2\"}}\n{\"custom_id\":\"b\",\"params\":{}}\n");
        using var lines = new MemoryStream(spool);
        using var content = new MessageBatchRequestsContent(lines, start: 2);

        string first = await content.ReadAsStringAsync();
        using var copy = new MemoryStream();
        await content.CopyToAsync(copy);

        first.Should().Be("{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"t\":\"1\\n2\"}},{\"custom_id\":\"b\",\"params\":{}}]}");
        Encoding.UTF8.GetString(copy.ToArray()).Should().Be(first, "a retry reads the spool again from its start");
        content.Headers.ContentLength.Should().Be(Encoding.UTF8.GetByteCount(first));
        content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var document = JsonDocument.Parse(first);
        document.RootElement.GetProperty("requests").GetArrayLength().Should().Be(2);
    }

    [Fact]
    public void Each_api_has_its_providers_limits_and_the_options_allow_the_larger()
    {
        var anthropic = new AnthropicBatchApi("anthropic", null!, new HttpClient(), new SecretRedactor());
        (anthropic.MaxRequestsPerBatch, anthropic.MaxBytesPerBatch, anthropic.EmbeddingsEndpoint).Should().Be((100_000, 244L * 1024 * 1024, (string?)null));
        anthropic.Lines.Should().BeSameAs(AnthropicBatchLines.Instance);
        var openai = new OpenAIBatchApi("openai", null!, BatchRoutes.OpenAI, new Uri("https://api.openai.com/v1"), new SecretRedactor());
        (openai.MaxRequestsPerBatch, openai.MaxBytesPerBatch).Should().Be((50_000, 190L * 1024 * 1024));
        new DeferredOptions { MaxRequestsPerBatch = 100_000 }.Invoking(o => o.Validate()).Should().NotThrow();
    }
}
