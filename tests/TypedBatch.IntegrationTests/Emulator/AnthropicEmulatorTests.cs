using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.Emulator.AnthropicWire;

namespace TypedBatch.IntegrationTests.Emulator;

/// <summary>The emulator's Anthropic Messages surface over real HTTP, with a plain HttpClient.</summary>
public sealed class AnthropicEmulatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly JsonNode Schema = JsonNode.Parse("""
        {"type":"object","properties":{"sentiment":{"type":"string","enum":["positive","negative","neutral"]},"score":{"type":"integer","minimum":0,"maximum":10},"tags":{"type":"array","items":{"type":"string"}}},"required":["sentiment","score","tags"],"additionalProperties":false}
        """)!;

    [Fact]
    public async Task A_message_answers_the_last_user_message_in_anthropic_shape_with_the_same_text_as_the_openai_surface()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);

        (HttpResponseMessage response, JsonNode body) = await PostAsync(http, "v1/messages", Body("Explain Rust"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        ((string)body["id"]!).Should().StartWith("msg_");
        ((string)body["type"]!).Should().Be("message");
        ((string)body["role"]!).Should().Be("assistant");
        ((string)body["model"]!).Should().Be(Model);
        body["content"]!.AsArray().Should().ContainSingle();
        ((string)body["content"]![0]!["type"]!).Should().Be("text");
        ((string)body["content"]![0]!["text"]!).Should().Be("Re: Explain Rust");
        ((string)body["stop_reason"]!).Should().Be("end_turn");
        body["stop_sequence"].Should().BeNull();
        JsonNode usage = body["usage"]!;
        ((int)usage["input_tokens"]!).Should().BePositive();
        ((int)usage["output_tokens"]!).Should().BePositive();
        ((int)usage["cache_creation_input_tokens"]!).Should().Be(0);
        ((int)usage["cache_read_input_tokens"]!).Should().Be(0);
        Header(response, "request-id").Should().StartWith("req_");

        using var openAi = new HttpClient { BaseAddress = emulator.BaseUrl };
        JsonNode chat = JsonNode.Parse(await (await openAi.PostAsync("chat/completions", Json(new JsonObject
        {
            ["model"] = Model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "Explain Rust" }),
        }))).Content.ReadAsStringAsync())!;
        ((string)chat["choices"]![0]!["message"]!["content"]!).Should().Be((string)body["content"]![0]!["text"]!);

        EmulatorStats stats = emulator.GetStats();
        stats.AnthropicMessagesReceived.Should().Be(1);
        stats.AnthropicMessagesServed.Should().Be(1);
        stats.AnthropicMessagesFailed.Should().Be(0);
        stats.ChatRequestsReceived.Should().Be(1, "the OpenAI request is counted apart");
    }

    [Fact]
    public async Task The_top_level_system_prompt_as_a_string_or_text_blocks_is_the_conversations_first_message()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);
        string expected = RequestFingerprint.Compute(Model, [("system", "Be terse."), ("user", "hi")]);

        (HttpResponseMessage asString, _) = await PostAsync(http, "v1/messages", Body("hi", system: "Be terse."));
        JsonObject blocks = Body("hi");
        blocks["system"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "Be " }, new JsonObject { ["type"] = "text", ["text"] = "terse." });
        (HttpResponseMessage asBlocks, JsonNode answer) = await PostAsync(http, "v1/messages", blocks);

        Header(asString, "x-emulator-fingerprint").Should().Be(expected);
        Header(asBlocks, "x-emulator-fingerprint").Should().Be(expected);
        ((string)answer["content"]![0]!["text"]!).Should().Be("Re: hi", "the system prompt is not the user's message");
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"model":"m","messages":[{"role":"user","content":"x"}]}""", "max_tokens: Field required" },
        { """{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]}""", "max_tokens: Input should be greater than or equal to 1" },
        { """{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}""", "model: Field required" },
        { """{"model":"m","max_tokens":5,"messages":[]}""", "messages: at least one message is required" },
        { """{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"},{"role":"user","content":"y"}]}""", "top-level `system` parameter" },
        { """{"model":"m","max_tokens":5,"messages":[{"role":"tool","content":"x"}]}""", "messages.0.role: Input should be 'user' or 'assistant'" },
        { """{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}""", "messages.0.content.0.type" },
        { """{"model":"m","max_tokens":5,"temperature":1.5,"messages":[{"role":"user","content":"x"}]}""", "temperature: Input should be less than or equal to 1" },
        { """{"model":"m","max_tokens":5,"top_p":-0.1,"messages":[{"role":"user","content":"x"}]}""", "top_p: Input should be greater than or equal to 0" },
        { """{"model":"m","max_tokens":5,"stop_sequences":"END","messages":[{"role":"user","content":"x"}]}""", "stop_sequences: Input should be a valid list" },
        { """{"model":"m","max_tokens":5,"system":42,"messages":[{"role":"user","content":"x"}]}""", "system:" },
        { """{"model":"m","max_tokens":5,"tools":[{"name":"t","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"nope"},"messages":[{"role":"user","content":"x"}]}""", "tool_choice.name: Tool 'nope' not found" },
        { "not json", "not valid JSON" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task An_invalid_body_is_a_400_invalid_request_error_naming_the_field(string body, string expectedMessagePart)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);

        using HttpResponseMessage response = await http.PostAsync("v1/messages", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)error["type"]!).Should().Be("error");
        ((string)error["error"]!["type"]!).Should().Be("invalid_request_error");
        ((string)error["error"]!["message"]!).Should().Contain(expectedMessagePart);
        ((string)error["request_id"]!).Should().Be(Header(response, "request-id"));
        emulator.GetStats().AnthropicMessagesFailed.Should().Be(1);
    }

    [Fact]
    public async Task Anthropic_version_is_required_and_x_api_key_is_checked_when_a_key_is_configured()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { ApiKey = "sk-ant-test" });

        using (HttpClient noVersion = Client(emulator, "sk-ant-test", version: false))
        {
            (HttpResponseMessage response, JsonNode body) = await PostAsync(noVersion, "v1/messages", Body("x"));
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
            ((string)body["error"]!["type"]!).Should().Be("invalid_request_error");
            ((string)body["error"]!["message"]!).Should().Contain("anthropic-version");
        }

        foreach ((string? key, string message) in new[] { ((string?)null, "x-api-key header is required"), ("wrong", "invalid x-api-key") })
        {
            using HttpClient http = Client(emulator, key);
            (HttpResponseMessage response, JsonNode body) = await PostAsync(http, "v1/messages", Body("x"));
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            ((string)body["error"]!["type"]!).Should().Be("authentication_error");
            ((string)body["error"]!["message"]!).Should().Be(message);
        }

        using HttpClient good = Client(emulator, "sk-ant-test");
        (HttpResponseMessage ok, _) = await PostAsync(good, "v1/messages", Body("x"));
        ok.StatusCode.Should().Be(HttpStatusCode.OK);
        using var bearer = new HttpClient { BaseAddress = emulator.BaseUrl };
        bearer.DefaultRequestHeaders.Add("x-api-key", "sk-ant-test");
        (await bearer.PostAsync("chat/completions", Json(new JsonObject()))).StatusCode.Should().Be(HttpStatusCode.Unauthorized, "x-api-key is Anthropic's header, not OpenAI's");
    }

    [Fact]
    public async Task Max_tokens_cuts_the_text_with_stop_reason_max_tokens_and_a_stop_sequence_cuts_it_with_stop_sequence()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);

        (_, JsonNode cut) = await PostAsync(http, "v1/messages", Body("a long question about many things", maxTokens: 2));
        ((string)cut["content"]![0]!["text"]!).Should().Be("Re: a lo");
        ((string)cut["stop_reason"]!).Should().Be("max_tokens");
        ((int)cut["usage"]!["output_tokens"]!).Should().Be(2);

        JsonObject body = Body("alpha STOP beta END gamma");
        body["stop_sequences"] = new JsonArray("END", "STOP");
        (_, JsonNode stopped) = await PostAsync(http, "v1/messages", body);
        ((string)stopped["content"]![0]!["text"]!).Should().Be("Re: alpha ");
        ((string)stopped["stop_reason"]!).Should().Be("stop_sequence");
        ((string)stopped["stop_sequence"]!).Should().Be("STOP");
    }

    [Fact]
    public async Task The_refuse_marker_answers_with_stop_reason_refusal()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);

        (_, JsonNode body) = await PostAsync(http, "v1/messages", Body("do something bad [[refuse]]"));

        ((string)body["stop_reason"]!).Should().Be("refusal");
        ((string)body["content"]![0]!["text"]!).Should().Contain("can't assist");
    }

    [Fact]
    public async Task A_forced_tool_call_answers_a_tool_use_block_whose_input_is_valid_against_the_input_schema()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);
        JsonObject body = Body("Classify: great product");
        body["tools"] = new JsonArray(
            new JsonObject { ["name"] = "other", ["description"] = "unused", ["input_schema"] = JsonNode.Parse("""{"type":"object","properties":{}}""") },
            new JsonObject { ["name"] = "classify", ["description"] = "Record the sentiment", ["input_schema"] = Schema.DeepClone() });
        body["tool_choice"] = new JsonObject { ["type"] = "tool", ["name"] = "classify" };

        (HttpResponseMessage response, JsonNode answer) = await PostAsync(http, "v1/messages", body);
        (_, JsonNode again) = await PostAsync(http, "v1/messages", body);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        ((string)answer["stop_reason"]!).Should().Be("tool_use");
        JsonNode block = answer["content"]!.AsArray().Single()!;
        ((string)block["type"]!).Should().Be("tool_use");
        ((string)block["id"]!).Should().StartWith("toolu_");
        ((string)block["name"]!).Should().Be("classify");
        SchemaProblem(block["input"], Schema).Should().BeNull();
        again["content"]![0]!["input"]!.ToJsonString().Should().Be(block["input"]!.ToJsonString(), "the same prompt gets the same input");
        emulator.GetStats().StructuredRequests.Should().Be(2);
    }

    [Fact]
    public async Task The_json_schema_output_format_answers_a_text_block_of_valid_json_and_the_beta_field_needs_its_beta_header()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);
        JsonObject body = Body("Classify: terrible");
        body["output_config"] = new JsonObject { ["format"] = new JsonObject { ["type"] = "json_schema", ["schema"] = Schema.DeepClone() } };

        (_, JsonNode answer) = await PostAsync(http, "v1/messages", body);

        ((string)answer["stop_reason"]!).Should().Be("end_turn");
        ((string)answer["content"]![0]!["type"]!).Should().Be("text");
        SchemaProblem(JsonNode.Parse((string)answer["content"]![0]!["text"]!), Schema).Should().BeNull();

        JsonObject beta = Body("Classify: terrible");
        beta["output_format"] = new JsonObject { ["type"] = "json_schema", ["schema"] = Schema.DeepClone() };
        (HttpResponseMessage withoutHeader, JsonNode refused) = await PostAsync(http, "v1/messages", beta);
        withoutHeader.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)refused["error"]!["message"]!).Should().StartWith("output_format:");

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages") { Content = Json(beta) };
        request.Headers.Add("anthropic-beta", "structured-outputs-2025-11-13");
        using HttpResponseMessage withHeader = await http.SendAsync(request);
        withHeader.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode betaAnswer = JsonNode.Parse(await withHeader.Content.ReadAsStringAsync())!;
        ((string)betaAnswer["content"]![0]!["text"]!).Should().Be((string)answer["content"]![0]!["text"]!);
    }

    [Fact]
    public async Task A_stream_sends_anthropics_event_sequence_and_its_deltas_reassemble_the_whole_answer()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StreamChunkCharacters = 5 });
        using HttpClient http = Client(emulator);
        (_, JsonNode whole) = await PostAsync(http, "v1/messages", Body("stream this answer please"));
        JsonObject body = Body("stream this answer please");
        body["stream"] = true;

        using HttpResponseMessage response = await http.PostAsync("v1/messages", Json(body));
        List<(string Event, JsonNode Data)> events = Events(await response.Content.ReadAsStringAsync());

        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        events.Select(e => e.Event).Distinct().Should().Equal(
            "message_start", "content_block_start", "ping", "content_block_delta", "content_block_stop", "message_delta", "message_stop");
        events.Should().OnlyContain(e => (string)e.Data["type"]! == e.Event);
        JsonNode start = events[0].Data["message"]!;
        start["content"]!.AsArray().Should().BeEmpty();
        start["stop_reason"].Should().BeNull();
        ((int)start["usage"]!["input_tokens"]!).Should().Be((int)whole["usage"]!["input_tokens"]!);
        string text = string.Concat(events.Where(e => e.Event == "content_block_delta").Select(e => (string)e.Data["delta"]!["text"]!));
        text.Should().Be((string)whole["content"]![0]!["text"]!);
        events.Where(e => e.Event == "content_block_delta").Should().HaveCount((text.Length + 4) / 5)
            .And.OnlyContain(e => (string)e.Data["delta"]!["type"]! == "text_delta");
        JsonNode delta = events.Single(e => e.Event == "message_delta").Data;
        ((string)delta["delta"]!["stop_reason"]!).Should().Be("end_turn");
        ((int)delta["usage"]!["output_tokens"]!).Should().Be((int)whole["usage"]!["output_tokens"]!);
    }

    [Fact]
    public async Task A_streamed_tool_call_sends_input_json_deltas_that_join_to_the_schema_valid_input()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StreamChunkCharacters = 7 });
        using HttpClient http = Client(emulator);
        JsonObject body = Body("Classify: fine");
        body["tools"] = new JsonArray(new JsonObject { ["name"] = "classify", ["input_schema"] = Schema.DeepClone() });
        body["tool_choice"] = new JsonObject { ["type"] = "any" };
        body["stream"] = true;

        using HttpResponseMessage response = await http.PostAsync("v1/messages", Json(body));
        List<(string Event, JsonNode Data)> events = Events(await response.Content.ReadAsStringAsync());

        JsonNode block = events.Single(e => e.Event == "content_block_start").Data["content_block"]!;
        ((string)block["type"]!).Should().Be("tool_use");
        ((string)block["name"]!).Should().Be("classify");
        string json = string.Concat(events.Where(e => e.Event == "content_block_delta").Select(e => (string)e.Data["delta"]!["partial_json"]!));
        SchemaProblem(JsonNode.Parse(json), Schema).Should().BeNull();
        ((string)events.Single(e => e.Event == "message_delta").Data["delta"]!["stop_reason"]!).Should().Be("tool_use");
    }

    [Fact]
    public async Task Stream_markers_send_an_error_event_mid_stream_or_cut_the_body_without_message_stop()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StreamChunkCharacters = 3 });
        using HttpClient http = Client(emulator);

        JsonObject failing = Body("abcdefghijkl [[stream-error:1]]");
        failing["stream"] = true;
        using HttpResponseMessage errored = await http.PostAsync("v1/messages", Json(failing));
        List<(string Event, JsonNode Data)> events = Events(await errored.Content.ReadAsStringAsync());
        errored.StatusCode.Should().Be(HttpStatusCode.OK, "the error comes after the 200");
        events.Count(e => e.Event == "content_block_delta").Should().Be(1);
        (string name, JsonNode data) = events[^1];
        name.Should().Be("error");
        ((string)data["type"]!).Should().Be("error");
        ((string)data["error"]!["type"]!).Should().Be("overloaded_error");
        events.Should().NotContain(e => e.Event == "message_stop");

        JsonObject cut = Body("abcdefghijkl [[stream-cut:2]]");
        cut["stream"] = true;
        using HttpResponseMessage cutResponse = await http.PostAsync("v1/messages", Json(cut));
        events = Events(await cutResponse.Content.ReadAsStringAsync());
        events.Count(e => e.Event == "content_block_delta").Should().Be(2);
        events[^1].Event.Should().Be("content_block_delta");
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(413, "request_too_large")]
    [InlineData(429, "rate_limit_error")]
    [InlineData(500, "api_error")]
    [InlineData(529, "overloaded_error")]
    public async Task A_fail_marker_answers_its_status_with_anthropics_error_type(int status, string type)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);

        (HttpResponseMessage response, JsonNode body) = await PostAsync(http, "v1/messages", Body($"x [[fail:{status}]]"));

        ((int)response.StatusCode).Should().Be(status);
        ((string)body["type"]!).Should().Be("error");
        ((string)body["error"]!["type"]!).Should().Be(type);
        ((string)body["error"]!["message"]!).Should().NotBeNullOrEmpty();
        Header(response, "retry-after").Should().Be(status == 429 ? "1" : "");
        emulator.GetStats().AnthropicMessagesFailed.Should().Be(1);
    }

    [Fact]
    public async Task Quota_is_a_spend_limit_400_without_retry_hints_and_a_seeded_503_is_anthropics_529_overload()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Client(emulator);

        (HttpResponseMessage quota, JsonNode quotaBody) = await PostAsync(http, "v1/messages", Body("x [[quota]]"));
        quota.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)quotaBody["error"]!["type"]!).Should().Be("invalid_request_error");
        ((string)quotaBody["error"]!["message"]!).Should().Contain("usage limits");
        Header(quota, "retry-after").Should().BeEmpty();
        emulator.GetStats().RejectedQuota.Should().Be(1);

        emulator.Options.Error503Rate = 1;
        (HttpResponseMessage overloaded, JsonNode body) = await PostAsync(http, "v1/messages", Body("y"));
        ((int)overloaded.StatusCode).Should().Be(529);
        ((string)body["error"]!["type"]!).Should().Be("overloaded_error");
        emulator.GetStats().InjectedFaults.Error503.Should().Be(1);
    }

    [Fact]
    public async Task Rate_limit_headers_report_each_bucket_with_rfc3339_resets_and_the_tokens_headers_sum_input_and_output()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            TimeProvider = time,
            AnthropicRequestsPerMinute = 600,
            AnthropicInputTokensPerMinute = 60_000,
            AnthropicOutputTokensPerMinute = 6_000,
        });
        using HttpClient http = Client(emulator);

        (HttpResponseMessage response, JsonNode body) = await PostAsync(http, "v1/messages", Body("hello there"));

        int input = (int)body["usage"]!["input_tokens"]!;
        int output = (int)body["usage"]!["output_tokens"]!;
        Header(response, "anthropic-ratelimit-requests-limit").Should().Be("600");
        Header(response, "anthropic-ratelimit-requests-remaining").Should().Be("9", "the bucket holds one second's budget, 10, and this request took one");
        Header(response, "anthropic-ratelimit-input-tokens-limit").Should().Be("60000");
        Header(response, "anthropic-ratelimit-input-tokens-remaining").Should().Be((1000 - input).ToString(CultureInfo.InvariantCulture));
        Header(response, "anthropic-ratelimit-output-tokens-limit").Should().Be("6000");
        Header(response, "anthropic-ratelimit-output-tokens-remaining").Should().Be((100 - output).ToString(CultureInfo.InvariantCulture));
        Header(response, "anthropic-ratelimit-tokens-limit").Should().Be("66000");
        Header(response, "anthropic-ratelimit-tokens-remaining").Should().Be((1100 - input - output).ToString(CultureInfo.InvariantCulture));
        foreach (string dimension in new[] { "requests", "input-tokens", "output-tokens", "tokens" })
        {
            string reset = Header(response, $"anthropic-ratelimit-{dimension}-reset");
            reset.Should().MatchRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$");
            DateTimeOffset.Parse(reset, CultureInfo.InvariantCulture).Should().Be(Start.AddSeconds(1), "each bucket is full again within the second");
        }

        Header(response, "request-id").Should().NotBeEmpty();
    }

    [Fact]
    public async Task Over_the_request_limit_a_429_rate_limit_error_carries_retry_after_and_the_clock_lets_the_next_one_through()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TimeProvider = time, AnthropicRequestsPerMinute = 30 });
        using HttpClient http = Client(emulator);

        (HttpResponseMessage first, _) = await PostAsync(http, "v1/messages", Body("one"));
        (HttpResponseMessage second, JsonNode body) = await PostAsync(http, "v1/messages", Body("two"));

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        second.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        ((string)body["error"]!["type"]!).Should().Be("rate_limit_error");
        ((string)body["error"]!["message"]!).Should().Contain("30 requests per minute");
        Header(second, "retry-after").Should().Be("2", "one request every two seconds at 30 per minute");
        Header(second, "anthropic-ratelimit-requests-remaining").Should().Be("0");
        emulator.GetStats().RejectedRateLimited.Should().Be(1);

        time.Advance(TimeSpan.FromSeconds(2));
        (HttpResponseMessage third, _) = await PostAsync(http, "v1/messages", Body("three"));
        third.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Input_and_output_tokens_are_limited_separately_per_model_and_output_counts_the_tokens_produced_not_max_tokens()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TimeProvider = time, AnthropicOutputTokensPerMinute = 600 });
        using HttpClient http = Client(emulator);
        string longAnswer = new('x', 200); // about 51 output tokens, more than the 10 a second's output budget holds

        (HttpResponseMessage small, _) = await PostAsync(http, "v1/messages", Body("hi", maxTokens: 4096));
        small.StatusCode.Should().Be(HttpStatusCode.OK, "a large max_tokens reserves nothing from OTPM");
        time.Advance(TimeSpan.FromSeconds(1));
        (HttpResponseMessage big, _) = await PostAsync(http, "v1/messages", Body(longAnswer));
        big.StatusCode.Should().Be(HttpStatusCode.OK);
        (HttpResponseMessage refused, JsonNode body) = await PostAsync(http, "v1/messages", Body("hi"));
        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        ((string)body["error"]!["message"]!).Should().Contain("output tokens per minute");
        int.Parse(Header(refused, "retry-after"), CultureInfo.InvariantCulture).Should().BeGreaterThan(1);

        JsonObject otherModel = Body("hi");
        otherModel["model"] = "claude-haiku-4-5";
        (await PostAsync(http, "v1/messages", otherModel)).Response.StatusCode.Should().Be(HttpStatusCode.OK, "limits apply per model");

        emulator.Options.AnthropicOutputTokensPerMinute = 0;
        emulator.Options.AnthropicInputTokensPerMinute = 600;
        (HttpResponseMessage longPrompt, _) = await PostAsync(http, "v1/messages", Body(longAnswer, maxTokens: 1));
        longPrompt.StatusCode.Should().Be(HttpStatusCode.OK, "a full input bucket lets one large prompt through");
        (HttpResponseMessage inputRefused, JsonNode inputBody) = await PostAsync(http, "v1/messages", Body("hi", maxTokens: 1));
        inputRefused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        ((string)inputBody["error"]!["message"]!).Should().Contain("input tokens per minute");
        Header(inputRefused, "anthropic-ratelimit-output-tokens-limit").Should().BeEmpty("OTPM is now unlimited");
    }
}
