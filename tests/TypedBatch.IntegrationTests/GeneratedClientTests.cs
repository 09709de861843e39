using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>Generated prompt clients, compiled by the real SDK's compiler, run against the emulator over HTTP.</summary>
public sealed class GeneratedClientTests : IAsyncLifetime
{
    private EmulatorServer _emulator = null!;
    private TypedBatchClient _client = null!;

    private ITutor Tutor => _client.For<ITutor>();

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorServer.StartAsync();
        _client = Create(_emulator, o => o.Model = "client-default-model");
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task A_single_call_renders_the_templates_and_returns_the_text()
    {
        string answer = await Tutor.ExplainAsync("Rust");

        answer.Should().Be("Re: What is Rust?");
        IEnumerable<string> sent = _emulator.GetStats().ByFingerprint.Keys;
        sent.Should().ContainSingle().Which.Should().Be(FingerprintOf("gpt-4o-mini", ITutor.RenderExplain("Rust")),
            "the interface-level system prompt comes first and [PromptClient(Model)] is the model");
    }

    [Fact]
    public async Task A_500_item_batch_comes_back_in_input_order()
    {
        string[] topics = Enumerable.Range(0, 500).Select(i => $"topic {i}").ToArray();

        BatchResult<string> result = await Tutor.ExplainBatchAsync(topics, new BatchOptions { MaxConcurrency = 16 });

        result.Should().HaveCount(500);
        result.AllSucceeded.Should().BeTrue();
        result.Select(i => i.Value).Should().Equal(topics.Select(t => $"Re: What is {t}?"));
        _emulator.GetStats().ChatRequestsServed.Should().Be(500);
        _emulator.GetStats().MaxConcurrentRequests.Should().BeLessThanOrEqualTo(16);
    }

    [Fact]
    public async Task As_completed_yields_every_input_once_with_its_index()
    {
        string[] topics = Enumerable.Range(0, 60).Select(i => $"t{i} [[delay:{(60 - i) % 7 * 3}]]").ToArray();
        var seen = new Dictionary<int, string>();

        await foreach (BatchItem<string> item in Tutor.ExplainAsCompletedAsync(topics, new BatchOptions { MaxConcurrency = 8 }))
        {
            seen.Add(item.Index, item.Value!);
        }

        seen.Should().HaveCount(60);
        seen.Should().OnlyContain(pair => pair.Value == $"Re: What is {topics[pair.Key]}?");
    }

    [Fact]
    public async Task Several_parameters_batch_as_named_tuples()
    {
        BatchResult<string> result = await Tutor.TranslateBatchAsync([("Hello", "French"), ("Bye", "German")]);

        result.Select(i => i.Value).Should().Equal("Re: Translate into French: Hello", "Re: Translate into German: Bye");
        ITutor.RenderTranslate("Hello", "French").Select(m => m.Role).Should().Equal(PromptRole.System, PromptRole.System, PromptRole.User);
    }

    [Fact]
    public async Task Property_paths_and_formats_render_in_invariant_culture()
    {
        var doc = new Document("Dune", new Author("Frank Herbert"), 12345);

        ChatCompletion summary = await Tutor.SummarizeAsync(doc, CancellationToken.None);
        string quote = await Tutor.QuoteAsync(1234.5m, new DateTime(2026, 11, 29));

        summary.Content.Should().Be("Re: Summarize 'Dune' by Frank Herbert (12,345 pages).");
        summary.Usage.TotalTokens.Should().BeGreaterThan(0);
        quote.Should().Be("Re: Price: 1234.50 on 2026-11-29. Literal {braces}.");
    }

    [Fact]
    public void Null_values_render_as_empty_text_and_values_with_braces_stay_text()
    {
        ITutor.RenderSummarize(null!)[^1].Content.Should().Be("Summarize '' by  ( pages).");
        ITutor.RenderSummarize(new Document("{topic}", new Author("{x}"), 1))[^1].Content.Should().Be("Summarize '{topic}' by {x} (1 pages).");
    }

    [Fact]
    public async Task Few_shot_messages_are_sent_in_declaration_order()
    {
        PromptMessage[] messages = ITutor.RenderClassify("nice acting");

        messages.Select(m => (m.Role, m.Content)).Should().Equal(
            (PromptRole.System, "You are a helpful assistant."),
            (PromptRole.User, "Classify: great movie"),
            (PromptRole.Assistant, "positive"),
            (PromptRole.User, "Classify: awful plot"),
            (PromptRole.Assistant, "negative"),
            (PromptRole.User, "Classify: nice acting"));
        (await Tutor.ClassifyAsync("nice acting")).Should().Be("Re: Classify: nice acting");
    }

    [Fact]
    public async Task Per_call_options_override_model_and_max_tokens()
    {
        // The temperature override is checked on the wire in Wire/WireOverKestrelTests (the emulator does not record it).
        BatchResult<string> result = await Tutor.ExplainBatchAsync(["a long topic name"], new BatchOptions { Model = "override-model", MaxTokens = 2 });

        result[0].Value.Should().Be("Re: What", "max_tokens 2 lets the emulator answer 8 characters and stop for length");
        _emulator.GetStats().ByFingerprint.Keys.Should().ContainSingle()
            .Which.Should().Be(FingerprintOf("override-model", ITutor.RenderExplain("a long topic name")));
    }

    [Fact]
    public async Task Embedding_methods_return_vectors_and_batch_by_packing()
    {
        EmbeddingVector one = await Tutor.EmbedAsync("hello");
        BatchResult<EmbeddingVector> many = await Tutor.EmbedBatchAsync(["hello", "world", "again"]);
        BatchResult<float[]> floats = await Tutor.EmbedFloatsBatchAsync(["hello"]);
        var completed = new List<int>();
        await foreach (BatchItem<EmbeddingVector> item in Tutor.EmbedAsCompletedAsync(["x", "y"]))
        {
            completed.Add(item.Index);
        }

        one.Dimensions.Should().Be(32);
        many[0].Value!.Vector.ToArray().Should().Equal(one.Vector.ToArray());
        floats[0].Value!.Length.Should().Be(256, "the method without [Embedding(Dimensions)] gets the server's default");
        completed.Should().BeEquivalentTo([0, 1]);
        _emulator.GetStats().EmbeddingRequestsServed.Should().Be(1 + 1 + 1 + 1, "three inputs travel in one request");
    }

    [Fact]
    public async Task A_hand_written_fake_gets_working_batch_methods_from_the_default_implementations()
    {
        ITutor fake = new FakeTutor();

        BatchResult<string> result = await fake.ExplainBatchAsync(["x", "y", "z"]);

        result.Select(i => i.Value).Should().Equal("fake x", "fake y", "fake z");
    }

    [Fact]
    public void For_an_interface_without_a_generated_client_names_it_and_says_what_to_add()
    {
        Action act = () => _client.For<IDisposable>();

        act.Should().Throw<InvalidOperationException>().WithMessage("*System.IDisposable*[PromptClient]*partial*");
    }

    private sealed class FakeTutor : ITutor
    {
        public Task<string> ExplainAsync(string topic, CancellationToken cancellationToken = default) => Task.FromResult("fake " + topic);

        public Task<string> TranslateAsync(string text, string language) => throw new NotSupportedException();

        public Task<ChatCompletion> SummarizeAsync(Document doc, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<string> QuoteAsync(decimal price, DateTime day) => throw new NotSupportedException();

        public Task<string> ClassifyAsync(string review) => throw new NotSupportedException();

        public Task<EmbeddingVector> EmbedAsync(string text, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<float[]> EmbedFloatsAsync(string text) => throw new NotSupportedException();
    }
}
