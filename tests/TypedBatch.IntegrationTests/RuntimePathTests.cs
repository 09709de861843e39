using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// The one batch path over real HTTP: per-batch limits stay with their batch, and embedding batches honour every
/// option a chat batch does. The clock is a <see cref="FakeTimeProvider"/>: a request held by a gate is held until the
/// test advances time, so what was sent is decided by the limits, never by how fast the machine is.
/// </summary>
public sealed class RuntimePathTests
{
    private static ServiceProvider Services(EmulatorServer emulator, FakeTimeProvider time, Action<TypedBatchOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.OpenAICompatible;
            o.BaseUrl = emulator.BaseUrl;
            o.ApiKey = emulator.Options.ApiKey;
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        // Real time only to let requests happen; the assertion is on counts, and the bound is generous.
        for (int i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        condition().Should().BeTrue(what);
    }

    [Fact]
    public async Task A_per_batch_limit_holds_its_own_batch_and_leaves_other_batches_and_clients_alone()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var time = new FakeTimeProvider();
        await using ServiceProvider services = Services(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        // 60 requests a minute for this batch only: one now (a half-second burst is less than one request, so one),
        // then one per second of the fake clock.
        Task<BatchResult<ChatCompletion>> limited = client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 4).Select(Conversation).ToList(), new BatchOptions { MaxConcurrency = 4, RequestsPerMinute = 60 });
        await WaitForAsync(() => emulator.GetStats().ChatRequestsReceived == 1, "the limited batch sends its first request");

        // Another batch on the same client, and a batch on another client of the same account, run at once: the
        // limited batch's budget is its own, and the account's shared gate is not reconfigured.
        // Bounded so that a regression (the others held by the limited batch's budget) fails instead of hanging.
        BatchResult<ChatCompletion> other = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(10, 10).Select(Conversation).ToList(), new BatchOptions { MaxConcurrency = 10 })
            .WaitAsync(TimeSpan.FromSeconds(60));
        other.AllSucceeded.Should().BeTrue();
        await using (TypedBatchClient second = Create(emulator))
        {
            (await second.CreateChatCompletionsBatchAsync(Enumerable.Range(20, 10).Select(Conversation).ToList()).WaitAsync(TimeSpan.FromSeconds(60))).AllSucceeded.Should().BeTrue();
        }

        limited.IsCompleted.Should().BeFalse("the limited batch still waits for its own budget");
        emulator.GetStats().ChatRequestsReceived.Should().Be(21, "1 of the limited batch, 20 of the others, none held");

        for (int second = 1; second <= 3; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            int expected = 21 + second;
            await WaitForAsync(() => emulator.GetStats().ChatRequestsReceived == expected, $"one more request after {second} s");
        }

        BatchResult<ChatCompletion> result = await limited;
        result.AllSucceeded.Should().BeTrue();
        result.Select(i => i.Value!.Content).Should().Equal(Enumerable.Range(0, 4).Select(i => $"Re: item {i}"));
    }

    [Fact]
    public async Task Embedding_batches_honour_model_concurrency_progress_limits_and_adaptive_concurrency()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var time = new FakeTimeProvider();
        await using ServiceProvider services = Services(emulator, time, o => o.EmbeddingInputsPerRequest = 1);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        var progress = new List<BatchProgress>();
        var reporter = new SynchronousProgress(p => { lock (progress) { progress.Add(p); } });
        string[] texts = Enumerable.Range(0, 5).Select(i => $"text {i}").ToArray();

        Task<BatchResult<EmbeddingVector>> batch = client.CreateEmbeddingsBatchAsync(texts, new BatchOptions
        {
            Model = "embed-override",
            MaxConcurrency = 2,
            RequestsPerMinute = 60,
            AdaptiveConcurrency = false,
            Progress = reporter,
        });
        await WaitForAsync(() => emulator.GetStats().EmbeddingRequestsReceived == 1, "one request within the batch's own budget");
        await Task.Delay(100);
        emulator.GetStats().EmbeddingRequestsReceived.Should().Be(1, "RequestsPerMinute = 60 holds the rest until the clock moves");

        for (int second = 1; second <= 4; second++)
        {
            // The answer before this one reported first: two answers in one fake instant would share a report.
            int answered = second;
            await WaitForAsync(() => { lock (progress) { return progress.Count >= answered; } }, $"the report of answer {answered}");
            time.Advance(TimeSpan.FromSeconds(1));
            int expected = 1 + second;
            await WaitForAsync(() => emulator.GetStats().EmbeddingRequestsReceived == expected, $"one more request after {second} s");
        }

        BatchResult<EmbeddingVector> result = await batch;
        result.AllSucceeded.Should().BeTrue();
        result.Select(i => i.Value!.Model).Should().AllBe("embed-override");
        result.PeakConcurrency.Should().BeLessThanOrEqualTo(2);
        progress.Select(p => p.Completed).Should().Equal([1, 2, 3, 4, 5, 5], "one a second (100 ms apart and more), then the end");
        progress.Max(p => p.Completed).Should().Be(5, "progress counts inputs, reported from the batch itself");
    }

    [Fact]
    public async Task An_embedding_batch_with_adaptive_concurrency_off_keeps_its_width_through_429s()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => o.EmbeddingInputsPerRequest = 1);
        string[] texts = Enumerable.Range(0, 8).Select(i => i % 2 == 0 ? $"[[fail:429:1]] text {i}" : $"text {i}").ToArray();

        BatchResult<EmbeddingVector> adaptive = await client.CreateEmbeddingsBatchAsync(texts, new BatchOptions { MaxConcurrency = 4 });
        // A marker counts per input text, so the second batch sends texts of its own.
        BatchResult<EmbeddingVector> fixedWidth = await client.CreateEmbeddingsBatchAsync(texts.Select(t => t + " again"), new BatchOptions { MaxConcurrency = 4, AdaptiveConcurrency = false });

        adaptive.AllSucceeded.Should().BeTrue("each 429 is retried once");
        fixedWidth.AllSucceeded.Should().BeTrue();
        adaptive.ThrottledResponses.Should().BeGreaterThan(0);
        adaptive.MinConcurrency.Should().BeLessThan(4, "429s cut an adaptive batch");
        fixedWidth.ThrottledResponses.Should().BeGreaterThan(0, "429s are counted either way");
        fixedWidth.MinConcurrency.Should().Be(4, "AdaptiveConcurrency = false never cuts");
    }

    private sealed class SynchronousProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}

/// <summary>The Copilot client says where its requests really go: the token exchange, then the API base the token names.</summary>
public sealed class CopilotEndpointLogTests
{
    [Fact]
    public async Task The_ready_log_names_the_token_exchange_and_the_api_base_the_token_gives()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var logs = new ListLoggerProvider();
        using Microsoft.Extensions.Logging.ILoggerFactory loggerFactory = logs.CreateFactory();
        await using var client = TypedBatchClient.Create(new TypedBatchOptions
        {
            Provider = ProviderKind.GitHubCopilot,
            GitHubToken = "emulator-github-token",
            CopilotTokenUrl = emulator.CopilotTokenUrl,
        }, loggerFactory);

        ChatCompletion answer = await client.CreateChatCompletionAsync([PromptMessage.User("hi")]);

        answer.Content.Should().Be("Re: hi");
        string tokenUrl = emulator.CopilotTokenUrl.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        logs.Lines.Should().Contain(l => l.Contains($"base URL from the token exchange at {tokenUrl}", StringComparison.Ordinal));
        logs.Lines.Should().NotContain(l => l.Contains("api.githubcopilot.com", StringComparison.Ordinal), "requests never went there");
        logs.Lines.Should().Contain(l => l.Contains($"GitHub Copilot token exchange at {tokenUrl} names the chat API at http://127.0.0.1:{emulator.BaseUrl.Port}/", StringComparison.Ordinal));
    }
}
