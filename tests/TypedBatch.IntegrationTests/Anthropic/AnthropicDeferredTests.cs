using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;

namespace TypedBatch.IntegrationTests.Anthropic;

/// <summary>
/// Deferred mode over Anthropic's Message Batches (issue 15, item 5), over real HTTP against the emulator's Anthropic
/// surface, on one fake clock shared by the client's polling and the emulator's batch clock: the same generated
/// interface gives the same typed, ordered results deferred and live, over Anthropic and over OpenAI; sharding,
/// errored lines, resubmission of canceled and expired lines, the deadline, cancellation and journal attach behave as
/// they do over OpenAI's Batch API.
/// </summary>
public sealed class AnthropicDeferredTests : IDisposable
{
    // One model name for both surfaces: the emulator seeds its answers with the model and the conversation.
    private const string Model = "claude-sonnet-4-5";
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);
    private static readonly ModelPrice Price = new(1m, 2m);
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-anthropic-deferred-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static DeferredOptions Fast(int maxRequests = 100_000) => new()
    {
        MaxRequestsPerBatch = maxRequests,
        PollInterval = TimeSpan.FromSeconds(1),
        MaxPollInterval = TimeSpan.FromSeconds(4),
    };

    private static Task<EmulatorServer> StartAsync(FakeTimeProvider time, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { TimeProvider = time, BatchStep = Step, BatchLinesPerStep = 2_000 };
        configure?.Invoke(options);
        return EmulatorServer.StartAsync(options);
    }

    /// <summary>A client of the emulator's Anthropic surface on the fake clock.</summary>
    private static ServiceProvider Anthropic(EmulatorServer emulator, FakeTimeProvider time, Action<TypedBatchOptions>? configure = null)
        => EmulatorClients.CreateOnClock(emulator, time, o =>
        {
            o.Provider = ProviderKind.Anthropic;
            o.BaseUrl = emulator.RootUrl;
            o.ApiKey = emulator.Options.ApiKey ?? "sk-ant-test";
            o.Model = Model;
            o.Prices.Set(Model, Price);
            configure?.Invoke(o);
        });

    private static List<string> Reviews(int count) => Enumerable.Range(0, count).Select(i => $"review number {i}: {(i % 3 == 0 ? "great" : i % 3 == 1 ? "awful" : "fine")}").ToList();

    private static IAnalyst Analyst(ServiceProvider services) => services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();

    [Fact]
    public async Task The_same_interface_deferred_over_anthropic_equals_live_over_anthropic_and_deferred_over_openai_sharded_at_the_limit_and_at_half_price()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider anthropic = Anthropic(emulator, time);
        await using ServiceProvider openai = EmulatorClients.CreateOnClock(emulator, time, o => o.Model = Model);
        var tasks = Enumerable.Range(0, 250).Select(i => $"task number {i}").ToList();

        BatchResult<CodeSnippet> deferred = await EmulatorClients.DriveAsync(
            Analyst(anthropic).WriteCodeBatchAsync(tasks, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(100) }), time, Step);

        EmulatorStats stats = emulator.GetStats();
        stats.AnthropicBatchesCreated.Should().Be(3, "250 requests at 100 per Message Batch");
        stats.AnthropicBatchRequestsProcessed.Should().Be(250, "every request was processed once");
        stats.AnthropicMessagesReceived.Should().Be(0, "nothing was sent live");
        deferred.AllSucceeded.Should().BeTrue(string.Join("; ", deferred.Failures.Take(3).Select(f => f.Error!.ToString())));
        deferred.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 250));
        deferred.Should().OnlyContain(item => item.Deferred && item.Usage.TotalTokens > 0 && item.Provider == "anthropic");

        BatchResult<CodeSnippet> live = await EmulatorClients.DriveAsync(Analyst(anthropic).WriteCodeBatchAsync(tasks), time, Step);
        BatchResult<CodeSnippet> viaOpenAI = await EmulatorClients.DriveAsync(
            Analyst(openai).WriteCodeBatchAsync(tasks, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() }), time, Step);

        live.AllSucceeded.Should().BeTrue();
        live.Should().OnlyContain(item => !item.Deferred);
        deferred.Select(item => item.Value).Should().Equal(live.Select(item => item.Value), "a Message Batch answers what a live call answers");
        viaOpenAI.DeferredCount.Should().Be(250);
        deferred.Select(item => item.Value).Should().Equal(viaOpenAI.Select(item => item.Value), "one interface, one typed answer per input, in input order, whichever provider's Batch API");
        for (int i = 0; i < tasks.Count; i += 50)
        {
            deferred[i].Usage.Should().Be(live[i].Usage);
            deferred[i].Cost.Should().BeGreaterThan(0m);
            deferred[i].Cost.Should().Be(live[i].Cost / 2, "Message Batches cost half the Messages API's price");
        }

        deferred.Cost.Should().Be(deferred.Sum(item => item.Cost));
    }

    [Fact]
    public async Task Errored_lines_become_item_errors_and_an_overloaded_line_is_resubmitted()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = Anthropic(emulator, time);
        List<string> reviews = Reviews(30);
        reviews[4] = "bad request [[fail:400]]";
        reviews[9] = "overloaded once [[fail:529:1]]";
        reviews[17] = "never there [[fail:404]]";

        BatchResult<Sentiment> result = await EmulatorClients.DriveAsync(
            Analyst(services).ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() }), time, Step);

        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 30));
        result.FailedCount.Should().Be(2);
        result[4].Error!.Kind.Should().Be(BatchErrorKind.Http);
        result[4].Error!.StatusCode.Should().Be(400);
        result[4].Error!.ErrorType.Should().Be("invalid_request_error");
        result[4].Error!.Provider.Should().Be("anthropic");
        result[17].Error!.StatusCode.Should().Be(404);
        result[9].Succeeded.Should().BeTrue("an overloaded_error is retryable: the request went out again in a follow-up batch");
        result[9].Deferred.Should().BeTrue();
        EmulatorStats stats = emulator.GetStats();
        stats.AnthropicBatchesCreated.Should().Be(2, "one follow-up batch, for the overloaded request only: a bad request is not resubmitted");
        stats.AnthropicBatchRequestsProcessed.Should().Be(31);
        stats.AnthropicMessagesReceived.Should().Be(0);
    }

    [Fact]
    public async Task Expired_lines_are_resubmitted_until_every_item_is_answered()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchExpiryRate = 0.5;
            o.BatchLineFailureRate = 0.1;
            o.BatchLinesPerStep = 40;
        });
        await using ServiceProvider services = Anthropic(emulator, time);
        List<string> reviews = Reviews(300);

        BatchResult<Sentiment> result = await EmulatorClients.DriveAsync(
            Analyst(services).ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(100) with { MaxResubmits = 8 } }), time, Step);

        result.AllSucceeded.Should().BeTrue(string.Join("; ", result.Failures.Take(3).Select(f => f.Error!.ToString())));
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 300));
        result.DeferredCount.Should().Be(300);
        EmulatorStats stats = emulator.GetStats();
        stats.AnthropicBatchesCreated.Should().BeGreaterThan(3, "expired and errored requests went out again in follow-up batches");
        stats.AnthropicMessagesReceived.Should().Be(0);
        BatchResult<Sentiment> live = await EmulatorClients.DriveAsync(Analyst(services).ClassifyBatchAsync(reviews), time, Step);
        result.Select(item => item.Value).Should().Equal(live.Select(item => item.Value), "a resubmitted request gets the answer a live one gets");
    }

    [Fact]
    public async Task Requests_still_expired_after_the_resubmissions_fail_with_expired()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchExpiryRate = 1.0;
            o.BatchLinesPerStep = 10;
        });
        await using ServiceProvider services = Anthropic(emulator, time);

        BatchResult<Sentiment> result = await EmulatorClients.DriveAsync(
            Analyst(services).ClassifyBatchAsync(Reviews(40), new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() with { MaxResubmits = 0 } }), time, Step);

        result.Count.Should().Be(40);
        result.SucceededCount.Should().Be(20, "the batch expired at half its requests");
        result.Failures.Should().HaveCount(20).And.OnlyContain(f => f.Error!.Kind == BatchErrorKind.Expired && f.Error.ProviderCode == "batch_expired");
        emulator.GetStats().AnthropicBatchesCreated.Should().Be(1);
    }

    [Fact]
    public async Task After_the_deadline_the_message_batch_is_cancelled_and_the_rest_is_sent_live()
    {
        // The clock is driven in tenths of a second, and the batch would take 300 s: however slow this machine is
        // between two steps, the deadline (30 s) falls while the batch is part done.
        var step = TimeSpan.FromMilliseconds(100);
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 2);
        await using ServiceProvider services = Anthropic(emulator, time);
        List<string> reviews = Reviews(600);

        BatchResult<Sentiment> result = await EmulatorClients.DriveAsync(
            Analyst(services).ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() with { Deadline = Start.AddSeconds(30), DeleteFiles = false } }), time, step);

        result.AllSucceeded.Should().BeTrue(string.Join("; ", result.Failures.Take(3).Select(f => f.Error!.ToString())));
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 600));
        result.DeferredCount.Should().BeInRange(1, 599, "the batch answered part before the deadline, the rest went live");
        EmulatorStats stats = emulator.GetStats();
        stats.AnthropicBatchesCreated.Should().Be(1, "after the deadline nothing is resubmitted");
        stats.AnthropicMessagesReceived.Should().Be(600 - result.DeferredCount, "only the canceled requests were sent live");
        using JsonDocument batches = await ListBatchesAsync(emulator);
        batches.RootElement.GetProperty("data").GetArrayLength().Should().Be(1, "DeleteFiles = false keeps the ended Message Batch");
        JsonElement batch = batches.RootElement.GetProperty("data")[0];
        batch.GetProperty("cancel_initiated_at").ValueKind.Should().Be(JsonValueKind.String, "the deadline cancelled the Message Batch");
        batch.GetProperty("request_counts").GetProperty("canceled").GetInt32().Should().Be(600 - result.DeferredCount);
        BatchResult<Sentiment> live = await EmulatorClients.DriveAsync(Analyst(services).ClassifyBatchAsync(reviews), time, step);
        result.Select(item => item.Value).Should().Equal(live.Select(item => item.Value));
    }

    [Fact]
    public async Task Cancelling_the_call_cancels_the_message_batches()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 1);
        await using ServiceProvider services = Anthropic(emulator, time);
        using var cancel = new CancellationTokenSource();
        var options = new BatchOptions
        {
            Mode = BatchMode.Deferred,
            Deferred = Fast(20),
            Progress = new SyncProgress<BatchProgress>(p =>
            {
                if (p.Deferred is { Batches: >= 2 })
                {
                    cancel.Cancel();
                }
            }),
        };

        Func<Task> act = () => EmulatorClients.DriveAsync(Analyst(services).ClassifyBatchAsync(Reviews(40), options, cancel.Token), time, Step);

        (await act.Should().ThrowAsync<BatchCanceledException<Sentiment>>()).Which.Partial.Count.Should().Be(40);
        emulator.GetStats().AnthropicBatchesCreated.Should().Be(2);
        using JsonDocument batches = await ListBatchesAsync(emulator);
        batches.RootElement.GetProperty("data").EnumerateArray().Should().HaveCount(2)
            .And.OnlyContain(b => b.GetProperty("processing_status").GetString() != "in_progress" && b.GetProperty("cancel_initiated_at").ValueKind == JsonValueKind.String);
    }

    [Fact]
    public async Task A_rerun_with_the_journal_attaches_to_the_message_batches_instead_of_creating_them_again()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 5);
        await using ServiceProvider services = Anthropic(emulator, time);
        List<string> reviews = Reviews(100);
        string journal = Path.Combine(_directory, "anthropic-deferred.journal.jsonl");
        using var stop = new CancellationTokenSource();
        var options = new BatchOptions
        {
            Mode = BatchMode.Deferred,
            Journal = BatchJournal.File(journal),
            Deferred = Fast(40) with { CancelRemoteOnCancellation = false },
            Progress = new SyncProgress<BatchProgress>(p =>
            {
                if (p.Deferred is { Batches: >= 3 })
                {
                    stop.Cancel(); // the process "dies": the Message Batches run on
                }
            }),
        };

        Func<Task> first = () => EmulatorClients.DriveAsync(Analyst(services).ClassifyBatchAsync(reviews, options, stop.Token), time, Step);
        await first.Should().ThrowAsync<OperationCanceledException>();
        emulator.GetStats().AnthropicBatchesCreated.Should().Be(3);

        // A new process: a new client, the same journal.
        await using ServiceProvider restarted = Anthropic(emulator, time);
        BatchResult<Sentiment> resumed = await EmulatorClients.DriveAsync(Analyst(restarted).ClassifyBatchAsync(reviews, options with { Progress = null }), time, Step);

        EmulatorStats stats = emulator.GetStats();
        stats.AnthropicBatchesCreated.Should().Be(3, "the rerun attached to the journaled Message Batches");
        stats.AnthropicBatchRequestsProcessed.Should().Be(100, "every request was processed once");
        stats.AnthropicMessagesReceived.Should().Be(0);
        resumed.AllSucceeded.Should().BeTrue();
        resumed.DeferredCount.Should().Be(100);
        resumed.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 100));
        File.ReadAllText(journal).Should().Contain("\"remote\":\"batch\"").And.Contain("\"remote\":\"done\"").And.Contain("msgbatch_");
        using JsonDocument batches = await ListBatchesAsync(emulator);
        batches.RootElement.GetProperty("data").GetArrayLength().Should().Be(0, "each Message Batch is deleted once its results are read (DeleteFiles)");

        BatchResult<Sentiment> third = await EmulatorClients.DriveAsync(Analyst(restarted).ClassifyBatchAsync(reviews, options with { Progress = null }), time, Step);
        third.FromJournalCount.Should().Be(100);
        third.Select(item => item.Value).Should().Equal(resumed.Select(item => item.Value));
        emulator.GetStats().AnthropicBatchesCreated.Should().Be(3);
    }

    [Fact]
    public async Task Embeddings_are_refused_in_deferred_mode_before_anything_is_sent()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = Anthropic(emulator, time);

        Func<Task> act = () => services.GetRequiredService<TypedBatchClient>().CreateEmbeddingsBatchAsync(["a", "b"], new BatchOptions { Mode = BatchMode.Deferred });

        (await act.Should().ThrowAsync<NotSupportedException>()).WithMessage("*anthropic*embeddings Batch API*");
        emulator.GetStats().AnthropicBatchesCreated.Should().Be(0);
    }

    private static async Task<JsonDocument> ListBatchesAsync(EmulatorServer emulator)
    {
        using var http = new HttpClient { BaseAddress = emulator.RootUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/messages/batches?limit=100");
        request.Headers.Add("x-api-key", emulator.Options.ApiKey ?? "sk-ant-test");
        request.Headers.Add("anthropic-version", "2023-06-01");
        using HttpResponseMessage response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Reports on the caller's thread (Progress{T} posts to the thread pool, which a test cannot wait for).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
