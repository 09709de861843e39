using System.Text.Json;
using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;

namespace TypedBatch.IntegrationTests.Anthropic;

/// <summary>
/// <see cref="ProviderKind.Anthropic"/> over real HTTP against the emulator's Anthropic surface (issue 15): the wire
/// request (system at the top level, <c>max_tokens</c> always, stop sequences, headers), the same generated interface
/// with the same typed, ordered results as over the OpenAI surface (structured outputs and forced tool calls), finish
/// reasons, errors and retries (529, 429), quota, usage and cost, configuration.
/// </summary>
public sealed class AnthropicProviderTests
{
    internal static TypedBatchClient Create(EmulatorServer emulator, Action<TypedBatchOptions>? configure = null)
    {
        var options = new TypedBatchOptions
        {
            Provider = ProviderKind.Anthropic,
            BaseUrl = emulator.RootUrl,
            ApiKey = emulator.Options.ApiKey ?? "sk-ant-test",
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        };
        configure?.Invoke(options);
        return TypedBatchClient.Create(options);
    }

    private static JsonDocument LastMessagesBody(EmulatorServer emulator)
        => JsonDocument.Parse(emulator.CapturedRequests.Last(r => r.PathAndQuery == "/v1/messages").Body);

    [Fact]
    public async Task A_request_goes_to_v1_messages_with_the_system_prompt_on_top_max_tokens_stop_sequences_and_anthropics_headers()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true, ApiKey = "sk-ant-secret" });
        await using TypedBatchClient client = Create(emulator);

        ChatCompletion answer = await client.CreateChatCompletionAsync(
            [PromptMessage.System("Be brief."), PromptMessage.User("What is Rust?"), PromptMessage.Assistant("A language."), PromptMessage.User("And Go?")],
            new CompletionSettings { Temperature = 0.2, Stop = ["END"] });

        answer.Content.Should().NotBeNullOrEmpty();
        answer.Provider.Should().Be("anthropic");
        answer.Model.Should().Be(TypedBatchOptions.DefaultAnthropicModel, "gpt-4o-mini is no Anthropic model: the Anthropic default replaces it");
        answer.FinishReason.Should().Be("stop");
        answer.Usage.PromptTokens.Should().BeGreaterThan(0);
        answer.Id.Should().StartWith("msg_");
        CapturedRequest sent = emulator.CapturedRequests.Last(r => r.PathAndQuery == "/v1/messages");
        sent.Headers["anthropic-version"].Should().Be("2023-06-01");
        sent.Headers["x-api-key"].Should().Be(EmulatorOptions.CapturedCredentialMask, "the key was sent (and masked in the capture)");
        using JsonDocument body = LastMessagesBody(emulator);
        JsonElement root = body.RootElement;
        root.GetProperty("system").GetString().Should().Be("Be brief.");
        root.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()).Should().Equal("user", "assistant", "user");
        root.GetProperty("max_tokens").GetInt32().Should().Be(4096, "the API requires max_tokens: the default is sent when none is set");
        root.GetProperty("temperature").GetDouble().Should().Be(0.2);
        root.TryGetProperty("top_p", out _).Should().BeFalse();
        root.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()).Should().Equal("END");
        root.TryGetProperty("stop", out _).Should().BeFalse();
    }

    [Theory]
    [InlineData(StructuredOutputMode.JsonSchema)]
    [InlineData(StructuredOutputMode.ToolCall)]
    public async Task The_same_prompt_client_gives_the_same_typed_ordered_results_over_anthropic_and_openai(StructuredOutputMode mode)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true });
        // One model name for both: the emulator seeds its answers with the model and the conversation.
        await using TypedBatchClient anthropic = Create(emulator, o => (o.StructuredOutputs, o.Model) = (mode, "claude-sonnet-4-5"));
        await using TypedBatchClient openai = EmulatorClients.Create(emulator, o => o.Model = "claude-sonnet-4-5");
        string[] tasks = Enumerable.Range(0, 12).Select(i => $"task number {i}").ToArray();

        BatchResult<CodeSnippet> viaAnthropic = await anthropic.For<IAnalyst>().WriteCodeBatchAsync(tasks);
        using JsonDocument body = LastMessagesBody(emulator);
        BatchResult<CodeSnippet> viaOpenAI = await openai.For<IAnalyst>().WriteCodeBatchAsync(tasks);

        viaAnthropic.AllSucceeded.Should().BeTrue();
        viaAnthropic.Select(i => i.Value).Should().Equal(viaOpenAI.Select(i => i.Value), "one interface, one answer per input, in input order, whichever provider");
        if (mode == StructuredOutputMode.JsonSchema)
        {
            JsonElement format = body.RootElement.GetProperty("output_config").GetProperty("format");
            format.GetProperty("type").GetString().Should().Be("json_schema");
            format.GetProperty("schema").GetProperty("properties").TryGetProperty("code", out _).Should().BeTrue();
        }
        else
        {
            JsonElement tool = body.RootElement.GetProperty("tools")[0];
            tool.GetProperty("input_schema").GetProperty("properties").TryGetProperty("code", out _).Should().BeTrue();
            body.RootElement.GetProperty("tool_choice").GetProperty("type").GetString().Should().Be("tool");
            body.RootElement.GetProperty("tool_choice").GetProperty("name").GetString().Should().Be(tool.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task Max_tokens_is_a_truncated_typed_answer_and_refusal_a_refused_one()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        IAnalyst analyst = client.For<IAnalyst>();

        BatchResult<CodeSnippet> cut = await analyst.WriteCodeBatchAsync(["sort a list"], new BatchOptions { MaxTokens = 5 });
        BatchResult<CodeSnippet> refused = await analyst.WriteCodeBatchAsync(["[[refuse]] build a weapon"]);
        ChatCompletion plain = await client.CreateChatCompletionAsync([PromptMessage.User("a long story")], new CompletionSettings { MaxTokens = 3 });

        cut[0].Error!.Kind.Should().Be(BatchErrorKind.Truncated);
        refused[0].Error!.Kind.Should().Be(BatchErrorKind.Refused);
        plain.FinishReason.Should().Be("length", "stop_reason max_tokens");
    }

    [Fact]
    public async Task A_529_overload_and_a_429_are_retried_by_the_one_loop_and_a_400_is_not()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            new[] { "a [[fail:529:1]]", "b [[fail:429:1]]", "c [[fail:400]]", "d" }.Select(t => (IReadOnlyList<PromptMessage>)[PromptMessage.User(t)]),
            new BatchOptions { Hedging = BatchHedging.Disabled });

        result[0].Attempts.Should().Be(2, "529 overloaded_error is retried");
        result[0].Succeeded.Should().BeTrue();
        result[1].Attempts.Should().Be(2, "429 rate_limit_error is retried");
        result[1].Succeeded.Should().BeTrue();
        result[2].Error!.Kind.Should().Be(BatchErrorKind.Http);
        result[2].Error!.StatusCode.Should().Be(400);
        result[2].Attempts.Should().Be(1);
        result[2].Error!.ErrorType.Should().Be("invalid_request_error");
        result[3].Succeeded.Should().BeTrue();
    }

    [Fact]
    public async Task A_spend_limit_is_quota_and_fails_the_batch_fast()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 20).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User(i == 0 ? "[[quota]] first" : $"item {i}")]),
            new BatchOptions { MaxConcurrency = 1 });

        result[0].Error!.Kind.Should().Be(BatchErrorKind.QuotaExceeded);
        result[0].Error!.Message.Should().Contain("usage limits");
        result.Count(i => i.Error?.Kind == BatchErrorKind.QuotaExceeded).Should().BeGreaterThan(1, "the rest are not sent once the account is out of quota");
    }

    [Fact]
    public async Task Embeddings_are_refused_with_a_clear_error_and_answers_are_priced_as_claude_models()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        Func<Task> embed = () => client.CreateEmbeddingAsync("x");

        (await embed.Should().ThrowAsync<ProviderException>()).Which.Message.Should().Contain("Anthropic has no embeddings API");
        ChatCompletion answer = await client.CreateChatCompletionAsync([PromptMessage.User("price me")]);
        ModelPrice haiku = new PriceTable().Find(TypedBatchOptions.DefaultAnthropicModel)!;
        decimal expected = ((answer.Usage.PromptTokens * haiku.InputPerMillion) + (answer.Usage.CompletionTokens * haiku.OutputPerMillion)) / 1_000_000m;
        answer.Cost.Should().Be(expected, "claude-haiku-4-5 is priced from the built-in table");
    }

    [Fact]
    public async Task What_Anthropic_would_refuse_fails_its_item_before_sending_and_top_p_goes_alone()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true });
        await using TypedBatchClient client = Create(emulator);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            [[PromptMessage.System("only instructions")], [PromptMessage.User("fine")]], new BatchOptions { Temperature = 1.5 });
        ChatCompletion topP = await client.CreateChatCompletionAsync([PromptMessage.User("nucleus")], new CompletionSettings { Temperature = 0.3, TopP = 0.8 });
        using JsonDocument body = LastMessagesBody(emulator);

        result[0].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[1].Error!.Message.Should().Contain("temperature from 0 to 1");
        result.Should().OnlyContain(i => i.Attempts == 0);
        emulator.CapturedRequests.Count(r => r.PathAndQuery == "/v1/messages").Should().Be(1, "only the top_p call was sent");
        topP.Content.Should().NotBeNullOrEmpty();
        body.RootElement.TryGetProperty("temperature", out _).Should().BeFalse("Anthropic's current models take temperature or top_p, not both");
        body.RootElement.GetProperty("top_p").GetDouble().Should().Be(0.8);
    }

    [Fact]
    public void A_fallback_across_the_two_apis_must_name_its_model()
    {
        Action openAiToAnthropic = () => new TypedBatchOptions { ApiKey = "k", Fallbacks = { new ProviderOptions { Provider = ProviderKind.Anthropic, ApiKey = "a" } } }.Validate();
        Action anthropicToOpenAi = () => new TypedBatchOptions { Provider = ProviderKind.Anthropic, ApiKey = "a", Fallbacks = { new ProviderOptions { Provider = ProviderKind.OpenAI, ApiKey = "k" } } }.Validate();
        Action named = () => new TypedBatchOptions { ApiKey = "k", Fallbacks = { new ProviderOptions { Provider = ProviderKind.Anthropic, ApiKey = "a", Model = "claude-haiku-4-5" } } }.Validate();

        openAiToAnthropic.Should().Throw<InvalidOperationException>().WithMessage("*Fallbacks[0].Model is required*");
        anthropicToOpenAi.Should().Throw<InvalidOperationException>().WithMessage("*Fallbacks[0].Model is required*");
        named.Should().NotThrow();
    }

    [Fact]
    public void FromEnvironment_reads_anthropics_variables_after_the_openai_ones()
    {
        var anthropic = TypedBatchOptions.FromEnvironment(name => name switch
        {
            "ANTHROPIC_API_KEY" => "sk-ant-1",
            "ANTHROPIC_BASE_URL" => "https://proxy.example.com",
            _ => null,
        });
        var both = TypedBatchOptions.FromEnvironment(name => name switch
        {
            "ANTHROPIC_API_KEY" => "sk-ant-1",
            "OPENAI_API_KEY" => "sk-openai",
            _ => null,
        });
        var chosen = TypedBatchOptions.FromEnvironment(name => name switch
        {
            "ANTHROPIC_API_KEY" => "sk-ant-1",
            "MODEL_CHOICE" => "claude-sonnet-4-5",
            _ => null,
        });

        anthropic.Provider.Should().Be(ProviderKind.Anthropic);
        anthropic.ApiKey.Should().Be("sk-ant-1");
        anthropic.EffectiveBaseUrl.Should().Be(new Uri("https://proxy.example.com"));
        anthropic.Model.Should().Be(TypedBatchOptions.DefaultAnthropicModel);
        both.Provider.Should().Be(ProviderKind.OpenAI, "the OpenAI variables come first");
        chosen.Model.Should().Be("claude-sonnet-4-5");
        new TypedBatchOptions { Provider = ProviderKind.Anthropic }.EffectiveBaseUrl.Should().Be(KnownEndpoints.Anthropic);
        Action noKey = () => new TypedBatchOptions { Provider = ProviderKind.Anthropic }.Validate();
        noKey.Should().Throw<InvalidOperationException>().WithMessage("*ANTHROPIC_API_KEY*");
    }
}
