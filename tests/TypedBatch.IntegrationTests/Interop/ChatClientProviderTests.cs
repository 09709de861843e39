using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenAI;
using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;

namespace TypedBatch.IntegrationTests.Interop;

/// <summary>
/// Any M.E.AI <see cref="IChatClient"/> as TypedBatch's provider (issue 14, item 2): the batch runner, its concurrency
/// bound, retries of transient failures, per-item errors, usage, cost, typed results, limits from the options, the
/// journal, streaming and embeddings over a test double; and over the OpenAI SDK's <c>AsIChatClient()</c> pointed at the
/// emulator, with the same typed results as TypedBatch's own provider against the same server.
/// </summary>
public sealed class ChatClientProviderTests
{
    private static TypedBatchClient Over(IChatClient chat, Action<TypedBatchOptions>? configure = null)
    {
        TypedBatchOptions options = new TypedBatchOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5), MaxConcurrency = 4 }.UseChatClient(chat);
        configure?.Invoke(options);
        return TypedBatchClient.Create(options);
    }

    [Fact]
    public async Task A_batch_over_an_IChatClient_is_in_input_order_with_per_item_errors_retries_usage_cost_and_its_concurrency_bound()
    {
        var fake = new FakeChatClient(TimeSpan.FromMilliseconds(20));
        await using TypedBatchClient client = Over(fake);
        string[] texts = Enumerable.Range(0, 40).Select(i => i switch
        {
            5 => "item 5 [http:400]",
            9 => "item 9 [once:503]",
            13 => "item 13 [boom]",
            17 => "item 17 [once:429]",
            _ => $"item {i}",
        }).ToArray();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            texts.Select(t => (IReadOnlyList<PromptMessage>)[PromptMessage.User(t)]), new BatchOptions { MaxConcurrency = 4 });

        result.Should().HaveCount(40);
        result.Select(i => i.Index).Should().Equal(Enumerable.Range(0, 40));
        foreach (int i in Enumerable.Range(0, 40).Except([5, 13]))
        {
            result[i].Value!.Content.Should().Be("echo: " + texts[i], "item {0} keeps its place", i);
            result[i].Provider.Should().Be("fake-llm", "the provider is named by the client's metadata");
        }

        result[5].Error!.Kind.Should().Be(BatchErrorKind.Http);
        result[5].Error!.StatusCode.Should().Be(400);
        fake.CallsFor(texts[5]).Should().Be(1, "a 400 is not transient");
        result[13].Error!.Kind.Should().Be(BatchErrorKind.Unknown);
        result[13].Error!.Message.Should().Contain("InvalidOperationException: The client cannot do that.");
        fake.CallsFor(texts[13]).Should().Be(1, "an exception no rule calls transient is not retried");
        result[9].Attempts.Should().Be(2, "a 503 is retried");
        result[17].Attempts.Should().Be(2, "a 429 is retried");
        result.ThrottledResponses.Should().BeGreaterThan(0, "a 429 from the client is a throttle for adaptive concurrency");

        fake.Peak.Should().BeLessThanOrEqualTo(4, "MaxConcurrency bounds the calls in flight").And.BeGreaterThan(1, "the calls run concurrently");
        result.Usage.PromptTokens.Should().Be(38 * 10, "usage comes from each answer's UsageDetails");
        result.Usage.CachedTokens.Should().Be(38 * 2);
        result.Cost.Should().BeGreaterThan(0m, "gpt-4o-mini is priced by model, whichever client answered");
        fake.Options.Should().OnlyContain(o => o!.ModelId == TypedBatchOptions.DefaultModel);
    }

    [Fact]
    public async Task IsTransientClientError_decides_what_is_retried_and_a_hanging_client_is_cut_by_the_attempt_timeout()
    {
        var fake = new FakeChatClient();
        await using TypedBatchClient client = Over(fake, o =>
        {
            o.MaxRetries = 2;
            o.AttemptTimeout = TimeSpan.FromMilliseconds(200);
            o.IsTransientClientError = ex => ex is InvalidOperationException;
        });

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            new[] { "x [boom]", "y [http:503]", "z [hang]" }.Select(t => (IReadOnlyList<PromptMessage>)[PromptMessage.User(t)]), new BatchOptions { Hedging = BatchHedging.Disabled });

        result[0].Error!.Kind.Should().Be(BatchErrorKind.Unknown);
        result[0].Attempts.Should().Be(3, "the rule says InvalidOperationException is transient: two retries");
        result[1].Attempts.Should().Be(1, "the rule replaces the default one, which would have retried a 503");
        result[2].Error!.Kind.Should().Be(BatchErrorKind.Timeout);
        result[2].Attempts.Should().Be(3, "an attempt past AttemptTimeout is always retried");
    }

    [Fact]
    public async Task Generated_typed_methods_over_an_IChatClient_ask_for_a_strict_json_schema_and_parse_the_answer()
    {
        var fake = new FakeChatClient();
        await using TypedBatchClient client = Over(fake);
        IAnalyst analyst = client.For<IAnalyst>();

        BatchResult<CodeSnippet> result = await analyst.WriteCodeBatchAsync(["sort a list", "reverse a string", "fail [http:404]"]);
        CodeSnippet single = await analyst.WriteCodeAsync("add two numbers");

        result.Select(i => i.Value?.Code).Should().Equal("Write a function to sort a list.", "Write a function to reverse a string.", null);
        result[2].Error!.StatusCode.Should().Be(404);
        single.Code.Should().Be("Write a function to add two numbers.");
        ChatOptions options = fake.Options.First()!;
        ChatResponseFormatJson format = options.ResponseFormat.Should().BeOfType<ChatResponseFormatJson>().Subject;
        format.Schema.Should().NotBeNull();
        format.Schema!.Value.GetProperty("properties").TryGetProperty("code", out _).Should().BeTrue("the compile-time schema is sent");
        format.SchemaName.Should().NotBeNullOrEmpty();
        options.AdditionalProperties.Should().ContainKey("strict").WhoseValue.Should().Be(true);
        fake.Conversations.First()[0].Role.Should().Be(ChatRole.System, "the interface's [System] message comes first");
    }

    [Fact]
    public async Task The_options_limits_hold_an_IChatClient_back_since_it_has_no_headers()
    {
        var time = new FakeTimeProvider();
        var fake = new FakeChatClient(TimeSpan.FromMilliseconds(1));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddTypedBatch(o => o.RequestsPerMinute = 60).UseChatClient(_ => fake);
        await using ServiceProvider provider = services.BuildServiceProvider();
        TypedBatchClient client = provider.GetRequiredService<TypedBatchClient>();

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(
            new[] { "a", "b", "c" }.Select(t => (IReadOnlyList<PromptMessage>)[PromptMessage.User(t)]), new BatchOptions { MaxConcurrency = 3, AdaptiveConcurrency = false });
        await WaitForAsync(() => fake.TotalCalls == 1);
        time.Advance(TimeSpan.FromMilliseconds(500));
        await Task.Delay(100);
        fake.TotalCalls.Should().Be(1, "60 requests a minute lets one through a second, half a second is not enough");
        for (int second = 1; second <= 2; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            int expected = 1 + second;
            await WaitForAsync(() => fake.TotalCalls == expected);
        }

        (await batch).AllSucceeded.Should().BeTrue();
    }

    [Fact]
    public async Task A_journal_over_an_IChatClient_answers_a_rerun_without_calling_it()
    {
        var fake = new FakeChatClient();
        await using TypedBatchClient client = Over(fake);
        string path = Path.Combine(Path.GetTempPath(), $"typedbatch-meai-{Guid.NewGuid():N}.journal.jsonl");
        try
        {
            IAnalyst analyst = client.For<IAnalyst>();
            var options = new BatchOptions { Journal = BatchJournal.File(path) };
            BatchResult<CodeSnippet> first = await analyst.WriteCodeBatchAsync(["one", "two", "three"], options);
            int calls = fake.TotalCalls;

            BatchResult<CodeSnippet> again = await analyst.WriteCodeBatchAsync(["one", "two", "three"], options);

            first.AllSucceeded.Should().BeTrue();
            again.FromJournalCount.Should().Be(3);
            again.Select(i => i.Value!.Code).Should().Equal(first.Select(i => i.Value!.Code));
            fake.TotalCalls.Should().Be(calls, "every answer came from the journal");
            again.Cost.Should().Be(first.Cost, "a journaled answer is priced as it was");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Streaming_over_an_IChatClient_hands_out_its_updates_with_usage_last_and_resends_a_stream_that_failed_before_its_first()
    {
        var fake = new FakeChatClient();
        await using TypedBatchClient client = Over(fake);

        List<ChatCompletionUpdate> updates = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("hi there")]));
        List<ChatCompletionUpdate> resent = await CollectAsync(client.StreamChatCompletionAsync([PromptMessage.User("again [once:502]")]));

        string.Concat(updates.Select(u => u.Text)).Should().Be("echo: hi there ");
        updates[^1].Usage!.Value.TotalTokens.Should().Be(15);
        updates[^1].FinishReason.Should().Be("stop");
        updates[^1].Cost.Should().BeGreaterThan(0m);
        updates.Should().OnlyContain(u => u.Provider == "fake-llm");
        string.Concat(resent.Select(u => u.Text)).Should().Be("echo: again [once:502] ");
        resent.Should().OnlyContain(u => u.Attempts == 2, "the first stream failed before any update and was sent again");
    }

    [Fact]
    public async Task Embeddings_go_to_the_embedding_generator_packed_in_order_with_usage()
    {
        var fake = new FakeChatClient();
        var generator = new FakeEmbeddingGenerator();
        await using TypedBatchClient client = Over(fake, o => o.UseEmbeddingGenerator(generator).EmbeddingInputsPerRequest = 2);
        string[] texts = ["a", "bb", "ccc", "dddd", "eeeee"];

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(texts);

        result.Select(i => i.Value!.Vector.Span[0]).Should().Equal(1f, 2f, 3f, 4f, 5f);
        generator.Requests.Should().Be(3, "five inputs, two per request");
        result.Usage.PromptTokens.Should().Be(15);
        generator.Options.Should().OnlyContain(o => o!.ModelId == "text-embedding-3-small");
        fake.TotalCalls.Should().Be(0);
    }

    [Fact]
    public async Task An_http_provider_with_an_embedding_generator_sends_chat_to_the_server_and_embeddings_to_the_generator()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var generator = new FakeEmbeddingGenerator();
        await using TypedBatchClient client = EmulatorClients.Create(emulator, o => o.UseEmbeddingGenerator(generator));

        ChatCompletion answer = await client.CreateChatCompletionAsync([PromptMessage.User("hello")]);
        EmbeddingVector vector = await client.CreateEmbeddingAsync("four");
        Func<Task> deferred = () => client.CreateEmbeddingsBatchAsync(["x"], new BatchOptions { Mode = BatchMode.Deferred });

        answer.Content.Should().NotBeNullOrEmpty();
        vector.Vector.Span[0].Should().Be(4f);
        emulator.GetStats().EmbeddingRequestsReceived.Should().Be(0);
        emulator.GetStats().ChatRequestsReceived.Should().Be(1);
        (await deferred.Should().ThrowAsync<NotSupportedException>()).WithMessage("*UseEmbeddingGenerator*no Batch API*");
    }

    [Fact]
    public async Task Misconfigurations_fail_before_anything_is_sent_naming_what_to_fix()
    {
        var fake = new FakeChatClient();

        Action noClient = () => TypedBatchClient.Create(new TypedBatchOptions { Provider = ProviderKind.ChatClient });
        Action asFallback = () => TypedBatchClient.Create(new TypedBatchOptions { ApiKey = "k", Fallbacks = { new ProviderOptions { Provider = ProviderKind.ChatClient } } });
        Action nullClient = () => new TypedBatchOptions().UseChatClient(null!);

        noClient.Should().Throw<InvalidOperationException>().WithMessage("*Provider is ChatClient but no chat client is set*UseChatClient*");
        asFallback.Should().Throw<InvalidOperationException>().WithMessage("*Fallbacks[0].Provider is ChatClient*primary provider only*");
        nullClient.Should().Throw<ArgumentNullException>().WithParameterName("chatClient");

        await using TypedBatchClient client = Over(fake);
        Func<Task> deferred = () => client.CreateChatCompletionsBatchAsync([[PromptMessage.User("x")]], new BatchOptions { Mode = BatchMode.Deferred });
        Func<Task> embed = () => client.CreateEmbeddingAsync("x");
        (await deferred.Should().ThrowAsync<NotSupportedException>()).WithMessage("'fake-llm' has no Batch API*");
        (await embed.Should().ThrowAsync<ProviderException>()).Which.Message.Should().Contain("UseEmbeddingGenerator");
        fake.TotalCalls.Should().Be(0);
    }

    [Fact]
    public void The_client_default_model_is_used_unless_a_model_was_chosen()
    {
        var fake = new FakeChatClient { Metadata = new ChatClientMetadata("fake-llm", null, "llama3.2") };

        new TypedBatchOptions().UseChatClient(fake).Model.Should().Be("llama3.2");
        new TypedBatchOptions { Model = "qwen3" }.UseChatClient(fake).Model.Should().Be("qwen3");
        new TypedBatchOptions().UseChatClient(new FakeChatClient()).Model.Should().Be(TypedBatchOptions.DefaultModel, "a client that names no model leaves the default");
    }

    [Fact]
    public async Task Dependency_injection_builds_the_chat_client_from_the_container()
    {
        var services = new ServiceCollection();
        services.AddSingleton<FakeChatClient>();
        services.AddTypedBatch(o => o.Model = "m1")
            .UseChatClient(sp => sp.GetRequiredService<FakeChatClient>())
            .AddPromptClient<IAnalyst>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        CodeSnippet snippet = await provider.GetRequiredService<IAnalyst>().WriteCodeAsync("count words");

        snippet.Code.Should().Be("Write a function to count words.");
        FakeChatClient fake = provider.GetRequiredService<FakeChatClient>();
        fake.Options.Should().ContainSingle().Which!.ModelId.Should().Be("m1");
    }

    [Fact]
    public async Task The_OpenAI_SDKs_IChatClient_against_the_emulator_gives_the_same_typed_ordered_results_as_TypedBatchs_own_provider()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        string[] reviews = Enumerable.Range(0, 24).Select(i => i == 7 ? $"review {i} [[fail:503:1]]" : $"review {i}: {(i % 3 == 0 ? "great" : i % 3 == 1 ? "awful" : "fine")}").ToArray();
        IChatClient sdk = new OpenAI.Chat.ChatClient(TypedBatchOptions.DefaultModel, new ApiKeyCredential(emulator.Options.ApiKey ?? "unused"), new OpenAIClientOptions { Endpoint = emulator.BaseUrl })
            .AsIChatClient();
        await using TypedBatchClient overSdk = Over(sdk, o => o.MaxConcurrency = 8);
        await using TypedBatchClient native = EmulatorClients.Create(emulator);

        BatchResult<Sentiment> viaSdk = await overSdk.For<IAnalyst>().ClassifyBatchAsync(reviews, new BatchOptions { MaxConcurrency = 8 });
        // The same texts: the marker fails a text's first request only, so here all are answered the first time.
        BatchResult<Sentiment> viaTypedBatch = await native.For<IAnalyst>().ClassifyBatchAsync(reviews, new BatchOptions { MaxConcurrency = 8 });

        viaSdk.AllSucceeded.Should().BeTrue("the 503 is retried (by the SDK's own loop: see IsTransientClientError)");
        viaSdk.Select(i => i.Value).Should().Equal(viaTypedBatch.Select(i => i.Value), "the same typed answers, in input order");
        viaSdk.Should().OnlyContain(i => i.Provider == "openai");
        viaSdk.Usage.TotalTokens.Should().BeGreaterThan(0);
        viaSdk.Cost.Should().BeGreaterThan(0m);
    }

    [Fact]
    public async Task The_OpenAI_SDKs_IChatClient_sends_the_typed_request_as_a_strict_json_schema()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true });
        IChatClient sdk = new OpenAI.Chat.ChatClient(TypedBatchOptions.DefaultModel, new ApiKeyCredential(emulator.Options.ApiKey ?? "unused"), new OpenAIClientOptions { Endpoint = emulator.BaseUrl })
            .AsIChatClient();
        await using TypedBatchClient client = Over(sdk);

        CodeSnippet snippet = await client.For<IAnalyst>().WriteCodeAsync("sort a list");

        snippet.Should().NotBeNull();
        using var body = JsonDocument.Parse(emulator.CapturedRequests.Single(r => r.PathAndQuery.EndsWith("/chat/completions", StringComparison.Ordinal)).Body);
        JsonElement format = body.RootElement.GetProperty("response_format");
        format.GetProperty("type").GetString().Should().Be("json_schema");
        format.GetProperty("json_schema").GetProperty("strict").GetBoolean().Should().BeTrue();
        body.RootElement.GetProperty("model").GetString().Should().Be(TypedBatchOptions.DefaultModel);
    }

    private static (TypedBatchClient Client, ServiceProvider Provider) OnClock(FakeTimeProvider time, IChatClient chat, Action<TypedBatchOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddTypedBatch(configure).UseChatClient(_ => chat);
        ServiceProvider provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<TypedBatchClient>(), provider);
    }

    private static IChatClient OpenAISdk(EmulatorServer emulator, string? key = null, bool sdkRetries = true)
    {
        var options = new OpenAIClientOptions { Endpoint = emulator.BaseUrl };
        if (!sdkRetries)
        {
            options.RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0);
        }

        return new OpenAI.Chat.ChatClient(TypedBatchOptions.DefaultModel, new ApiKeyCredential(key ?? emulator.Options.ApiKey ?? "unused"), options).AsIChatClient();
    }

    [Fact]
    public async Task The_stream_timers_count_the_clients_silence_only_not_the_callers_time_with_an_update()
    {
        var time = new FakeTimeProvider();
        (TypedBatchClient idle, ServiceProvider first) = OnClock(time, new FakeChatClient(), o => o.StreamIdleTimeout = TimeSpan.FromSeconds(10));
        (TypedBatchClient endless, ServiceProvider second) = OnClock(time, new FakeChatClient(), o => (o.StreamIdleTimeout, o.FirstByteTimeout) = (Timeout.InfiniteTimeSpan, TimeSpan.FromSeconds(10)));
        await using ServiceProvider disposeFirst = first;
        await using ServiceProvider disposeSecond = second;

        var slowReader = new List<string?>();
        await foreach (ChatCompletionUpdate update in idle.StreamChatCompletionAsync([PromptMessage.User("hi there")]))
        {
            slowReader.Add(update.Text);
            time.Advance(TimeSpan.FromSeconds(11)); // the caller spends 11 s with each update; the client is never silent
        }

        var longStream = new List<string?>();
        await foreach (ChatCompletionUpdate update in endless.StreamChatCompletionAsync([PromptMessage.User("hi there")]))
        {
            longStream.Add(update.Text);
            time.Advance(TimeSpan.FromSeconds(11)); // past FirstByteTimeout, which ended with the first update
        }

        string.Concat(slowReader).Should().Be("echo: hi there ");
        string.Concat(longStream).Should().Be("echo: hi there ");
    }

    [Fact]
    public async Task Cancelling_a_stream_before_its_first_update_releases_the_calls_queued_behind_it()
    {
        var time = new FakeTimeProvider();
        var silent = new SilentStreamClient();
        (TypedBatchClient client, ServiceProvider provider) = OnClock(time, silent, _ => { });
        await using ServiceProvider dispose = provider;
        using var cancel = new CancellationTokenSource();
        var first = Task.Run(async () =>
        {
            await foreach (ChatCompletionUpdate update in client.StreamChatCompletionAsync([PromptMessage.User("a")], cancellationToken: cancel.Token))
            {
            }
        });
        await WaitForAsync(() => silent.Started == 1);
        Task<ChatCompletion> second = client.CreateChatCompletionAsync([PromptMessage.User("b")]);

        await cancel.CancelAsync();
        await FluentActions.Awaiting(() => first).Should().ThrowAsync<OperationCanceledException>();

        // Without the release, 'b' would wait for the gate's first answer until the clock moved 5 s: it never moves here.
        (await second.WaitAsync(TimeSpan.FromSeconds(30))).Content.Should().Be("ok");
    }

    [Fact]
    public async Task Queueing_behind_the_rate_limit_is_not_an_attempt_timeout()
    {
        var time = new FakeTimeProvider();
        var fake = new FakeChatClient(TimeSpan.FromMilliseconds(1));
        (TypedBatchClient client, ServiceProvider provider) = OnClock(time, fake, o => (o.RequestsPerMinute, o.MaxRetries, o.AttemptTimeout) = (60, 0, TimeSpan.FromSeconds(2)));
        await using ServiceProvider dispose = provider;

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 6).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"q{i}")]),
            new BatchOptions { MaxConcurrency = 6, AdaptiveConcurrency = false, Hedging = BatchHedging.Disabled });
        while (!batch.IsCompleted)
        {
            await Task.Delay(5);
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        (await batch).Where(i => !i.Succeeded).Select(i => $"{i.Error!.Kind}: {i.Error.Message}").Should().BeEmpty("the sixth waits 5 s for its turn, longer than AttemptTimeout, and that is no timeout");
    }

    [Fact]
    public async Task The_OpenAI_SDKs_errors_keep_their_status_so_429s_throttle_and_a_503_falls_back()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Over(OpenAISdk(emulator, sdkRetries: false), o => o.MaxRetries = 0);
        await using TypedBatchClient withFallback = Over(OpenAISdk(emulator, sdkRetries: false), o =>
        {
            o.MaxRetries = 0;
            o.Fallbacks.Add(new ProviderOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = emulator.BaseUrl, ApiKey = emulator.Options.ApiKey });
        });

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync([[PromptMessage.User("x [[fail:429]]")], [PromptMessage.User("y [[fail:503]]")]]);
        ChatCompletion fellBack = await withFallback.CreateChatCompletionAsync([PromptMessage.User("z [[fail:503:1]]")]);

        result[0].Error!.Kind.Should().Be(BatchErrorKind.RateLimited);
        result[0].Error!.StatusCode.Should().Be(429);
        result[1].Error!.Kind.Should().Be(BatchErrorKind.Http);
        result[1].Error!.StatusCode.Should().Be(503);
        result.ThrottledResponses.Should().BeGreaterThan(0, "the SDK's 429 tells the gate and adaptive concurrency");
        fellBack.Provider.Should().Be("openai-compatible", "a 503 from the chat client moves the call to the fallback");
    }

    [Fact]
    public async Task The_clients_key_given_as_ApiKey_is_masked_in_item_errors()
    {
        const string Key = "sk-chat-client-secret-123456";
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { ApiKey = Key });
        await using TypedBatchClient client = Over(OpenAISdk(emulator, Key, sdkRetries: false), o => (o.MaxRetries, o.ApiKey) = (0, Key));

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync([[PromptMessage.User("x [[echo-key]]")]]);

        result[0].Succeeded.Should().BeFalse();
        result[0].Error!.Message.Should().NotContain("chat-client-secret").And.Contain("***");
    }

    [Fact]
    public async Task An_embedding_generator_that_names_its_model_is_asked_for_it_unless_one_was_chosen()
    {
        var generator = new FakeEmbeddingGenerator { Metadata = new EmbeddingGeneratorMetadata("ollama", null, "nomic-embed-text") };
        await using var client = TypedBatchClient.Create(new TypedBatchOptions { ApiKey = "k" }.UseEmbeddingGenerator(generator));

        EmbeddingVector vector = await client.CreateEmbeddingAsync("four");

        vector.Model.Should().Be("nomic-embed-text");
        generator.Options.Should().ContainSingle().Which!.ModelId.Should().Be("nomic-embed-text");
        new TypedBatchOptions { EmbeddingModel = "mine" }.UseEmbeddingGenerator(generator).EmbeddingModel.Should().Be("mine");
    }

    private static async Task<List<ChatCompletionUpdate>> CollectAsync(IAsyncEnumerable<ChatCompletionUpdate> updates)
    {
        var list = new List<ChatCompletionUpdate>();
        await foreach (ChatCompletionUpdate update in updates)
        {
            list.Add(update);
        }

        return list;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        condition().Should().BeTrue();
    }
}
