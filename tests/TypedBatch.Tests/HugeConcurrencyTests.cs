using TypedBatch.Emulator;

namespace TypedBatch.Tests;

/// <summary>
/// Issue 9, finding 8: a huge MaxConcurrency (int.MaxValue threw OutOfMemoryException; 2,000,000 started two million
/// workers for two items) costs what the inputs need: real HTTP against the emulator, list and lazy inputs, batch and
/// as-completed, chat and embeddings, through the options of the call and of the client.
/// </summary>
public sealed class HugeConcurrencyTests : IAsyncLifetime
{
    private EmulatorServer _emulator = null!;

    public static TheoryData<int, bool> Bounds => new()
    {
        { int.MaxValue, false },
        { int.MaxValue, true },
        { 2_000_000, false },
        { 2_000_000, true },
    };

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Theory]
    [MemberData(nameof(Bounds))]
    public async Task A_chat_batch_of_two_starts_at_most_two_workers(int bound, bool lazy)
    {
        await using TypedBatchClient client = Client();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Conversations(lazy), new BatchOptions { MaxConcurrency = bound })
            .WaitAsync(TimeSpan.FromSeconds(30));

        result.Select(i => i.Value!.Content).Should().Equal("Re: first", "Re: second");
        // A collection's count is known; a lazy sequence's last spare worker finds it exhausted.
        result.WorkersStarted.Should().BeInRange(1, lazy ? 3 : 2, "workers are started as inputs arrive, never by the bound");
        result.PeakConcurrency.Should().BeLessThanOrEqualTo(2);
    }

    [Theory]
    [MemberData(nameof(Bounds))]
    public async Task A_chat_as_completed_stream_of_two_answers_both(int bound, bool lazy)
    {
        await using TypedBatchClient client = Client();
        var items = new List<BatchItem<ChatCompletion>>();

        await foreach (BatchItem<ChatCompletion> item in client.CreateChatCompletionsAsCompletedAsync(Conversations(lazy), new BatchOptions { MaxConcurrency = bound }).WithCancellation(Timeout()))
        {
            items.Add(item);
        }

        items.OrderBy(i => i.Index).Select(i => i.Value!.Content).Should().Equal("Re: first", "Re: second");
    }

    [Theory]
    [MemberData(nameof(Bounds))]
    public async Task An_embeddings_batch_and_stream_of_two_answer_both(int bound, bool lazy)
    {
        await using TypedBatchClient client = Client(o => o.EmbeddingInputsPerRequest = 1);
        var options = new BatchOptions { MaxConcurrency = bound };

        BatchResult<EmbeddingVector> batch = await client.CreateEmbeddingsBatchAsync(Texts(lazy), options).WaitAsync(TimeSpan.FromSeconds(30));
        var streamed = new List<BatchItem<EmbeddingVector>>();
        await foreach (BatchItem<EmbeddingVector> item in client.CreateEmbeddingsAsCompletedAsync(Texts(lazy), options).WithCancellation(Timeout()))
        {
            streamed.Add(item);
        }

        batch.Should().HaveCount(2).And.OnlyContain(i => i.Succeeded && i.Value!.Vector.Length > 0);
        batch.WorkersStarted.Should().BeInRange(1, 3, "embeddings are packed into a lazy sequence of requests");
        streamed.Select(i => i.Index).Should().BeEquivalentTo([0, 1]);
        streamed.Should().OnlyContain(i => i.Succeeded);
    }

    [Fact]
    public async Task The_client_default_may_be_int_max_value()
    {
        await using TypedBatchClient client = Client(o => o.MaxConcurrency = int.MaxValue);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Conversations(lazy: true), new BatchOptions()).WaitAsync(TimeSpan.FromSeconds(30));

        result.AllSucceeded.Should().BeTrue();
        result.WorkersStarted.Should().BeInRange(1, 3);
        result.MinConcurrency.Should().Be(int.MaxValue, "no 429 cut the limit");
    }

    [Fact]
    public void Adaptive_concurrency_math_holds_at_int_max_value()
    {
        var controller = new Limits.AdaptiveConcurrency(int.MaxValue, new Microsoft.Extensions.Time.Testing.FakeTimeProvider());

        controller.Limit.Should().Be(int.MaxValue);
        controller.OnSuccess();
        controller.Limit.Should().Be(int.MaxValue, "never above the ceiling, no overflow");
        controller.OnThrottled();
        controller.Limit.Should().Be((int)Math.Floor(int.MaxValue * 0.7));
        controller.Minimum.Should().Be(controller.Limit);
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    private static IEnumerable<IReadOnlyList<PromptMessage>> Conversations(bool lazy)
    {
        IReadOnlyList<PromptMessage>[] list = [[PromptMessage.User("first")], [PromptMessage.User("second")]];
        return lazy ? list.Select(c => c) : list;
    }

    private static IEnumerable<string> Texts(bool lazy)
    {
        string[] list = ["first", "second"];
        return lazy ? list.Select(t => t) : list;
    }

    private TypedBatchClient Client(Action<TypedBatchOptions>? configure = null)
    {
        var options = new TypedBatchOptions
        {
            Provider = ProviderKind.OpenAICompatible,
            BaseUrl = _emulator.BaseUrl,
            ApiKey = _emulator.Options.ApiKey,
        };
        configure?.Invoke(options);
        return TypedBatchClient.Create(options);
    }
}
