using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;

namespace TypedBatch.IntegrationTests.Deferred;

/// <summary>
/// Deferred mode over real HTTP against the emulator's Files and Batch APIs, on one fake clock shared by the client's
/// polling and the emulator's batch lifecycle: every outcome is decided by the counts and steps, never by how fast this
/// machine is.
/// </summary>
public sealed class DeferredModeTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-deferred-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static DeferredOptions Fast(int maxRequests = 50_000) => new()
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

    private static List<string> Reviews(int count) => Enumerable.Range(0, count).Select(i => $"review number {i}: {(i % 3 == 0 ? "great" : i % 3 == 1 ? "awful" : "fine")}").ToList();

    [Fact]
    public async Task A_20000_item_typed_batch_sharded_into_five_remote_batches_returns_the_live_results_in_order()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        List<string> reviews = Reviews(20_000);
        var progress = new List<BatchProgress>();

        BatchResult<Sentiment> deferred = await EmulatorClients.DriveAsync(
            analyst.ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(4_000), Progress = new SyncProgress<BatchProgress>(progress.Add) }),
            time, Step);

        EmulatorStats stats = emulator.GetStats();
        stats.FilesUploaded.Should().Be(5);
        stats.BatchesCreated.Should().Be(5, "20,000 requests at 4,000 per remote batch");
        stats.BatchLinesProcessed.Should().Be(20_000);
        stats.ChatRequestsReceived.Should().Be(0, "nothing was sent live");
        stats.BatchAnswersByFingerprint.Values.Should().OnlyContain(count => count == 1, "every request was answered once");
        deferred.Count.Should().Be(20_000);
        deferred.AllSucceeded.Should().BeTrue();
        deferred.DeferredCount.Should().Be(20_000);
        deferred.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 20_000));
        deferred.Should().OnlyContain(item => item.Deferred && item.Usage.TotalTokens > 0);
        progress.Should().Contain(p => p.Deferred != null && p.Deferred.Value.Batches > 0, "the remote counts are reported while the batches run");

        // The same inputs live: the same typed values, in the same order.
        emulator.ResetStats();
        var sample = reviews.Where((_, i) => i % 97 == 0).ToList();
        BatchResult<Sentiment> live = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(sample), time, Step);
        live.AllSucceeded.Should().BeTrue();
        live.Select(item => item.Value).Should().Equal(deferred.Where(item => item.Index % 97 == 0).Select(item => item.Value));
        live.Should().OnlyContain(item => !item.Deferred);
    }

    [Fact]
    public async Task Shards_are_cut_at_MaxBytesPerBatch_and_kept_when_DeleteFiles_is_off()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        var inputs = Enumerable.Range(0, 1_000).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"item {i} " + new string('x', 200))]).ToList();

        BatchResult<ChatCompletion> result = await EmulatorClients.DriveAsync(
            client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() with { MaxBytesPerBatch = 64 * 1024, DeleteFiles = false } }), time, Step);

        result.AllSucceeded.Should().BeTrue();
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 1_000));
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        using var files = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("files?limit=100"));
        var inputFiles = files.RootElement.GetProperty("data").EnumerateArray().Where(f => f.GetProperty("purpose").GetString() == "batch").Select(f => f.GetProperty("bytes").GetInt64()).ToList();
        inputFiles.Count.Should().Be((int)emulator.GetStats().BatchesCreated).And.BeGreaterThan(3, "about 250 KB of requests at 64 KiB a file");
        inputFiles.Should().OnlyContain(bytes => bytes <= 64 * 1024);
        files.RootElement.GetProperty("data").EnumerateArray().Should().Contain(f => f.GetProperty("purpose").GetString() == "batch_output", "output files are kept too");
    }

    [Fact]
    public async Task As_completed_yields_journaled_items_first_then_each_remote_batch_as_it_is_read()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        List<string> reviews = Reviews(120);
        string journal = Path.Combine(_directory, "as-completed.journal.jsonl");
        var options = new BatchOptions { Mode = BatchMode.Deferred, Journal = BatchJournal.File(journal), Deferred = Fast(50) };
        await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews.Take(30), options), time, Step);

        var items = new List<BatchItem<Sentiment>>();
        await EmulatorClients.DriveAsync(Collect(), time, Step);

        items.Should().HaveCount(120);
        items.Select(item => item.Index).Should().BeEquivalentTo(Enumerable.Range(0, 120));
        items.Take(30).Should().OnlyContain(item => item.FromJournal, "journaled items come first, before any remote batch is read");
        items.Skip(30).Should().OnlyContain(item => item.Deferred && !item.FromJournal);
        emulator.GetStats().BatchAnswersByFingerprint.Values.Should().OnlyContain(count => count == 1);

        async Task<int> Collect()
        {
            await foreach (BatchItem<Sentiment> item in analyst.ClassifyAsCompletedAsync(reviews, options))
            {
                items.Add(item);
            }

            return items.Count;
        }
    }

    [Fact]
    public async Task Lines_that_fail_or_expire_are_resubmitted_until_every_item_is_answered()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchLineFailureRate = 0.1;
            o.BatchExpiryRate = 0.3;
            o.BatchLinesPerStep = 100;
        });
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        var inputs = Enumerable.Range(0, 600).Select(EmulatorClients.Conversation).ToList();

        BatchResult<ChatCompletion> result = await EmulatorClients.DriveAsync(
            client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(200) with { MaxResubmits = 8 } }),
            time, Step);

        result.AllSucceeded.Should().BeTrue(string.Join("; ", result.Failures.Take(3).Select(f => f.Error!.ToString())));
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 600));
        result.Select(item => item.Value!.Content).Should().Equal(await LiveContentsAsync(time, inputs), "a resubmitted request gets the answer a live one gets");
        EmulatorStats stats = emulator.GetStats();
        stats.BatchesCreated.Should().BeGreaterThan(3, "failed and expired lines went out again in follow-up batches");
        stats.BatchAnswersByFingerprint.Values.Should().OnlyContain(count => count == 1, "an answered request is never resubmitted");
    }

    [Fact]
    public async Task Requests_still_unanswered_after_the_resubmissions_fail_with_expired_or_the_provider_error()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchLineFailureRate = 0.3;
            o.BatchExpiryRate = 1.0;
            o.BatchLinesPerStep = 50;
        });
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        var inputs = Enumerable.Range(0, 200).Select(EmulatorClients.Conversation).ToList();

        BatchResult<ChatCompletion> result = await EmulatorClients.DriveAsync(
            client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() with { MaxResubmits = 0 } }),
            time, Step);

        result.Count.Should().Be(200, "every input has exactly one item");
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 200));
        result.FailedCount.Should().BeGreaterThan(0);
        result.Failures.Should().OnlyContain(f => f.Error!.Kind == BatchErrorKind.Expired || (f.Error.Kind == BatchErrorKind.Http && f.Error.StatusCode == 500));
        result.Failures.Should().Contain(f => f.Error!.Kind == BatchErrorKind.Expired, "the batch expired at half its lines");
        emulator.GetStats().BatchesCreated.Should().Be(1, "MaxResubmits = 0 sends no follow-up batch");
    }

    [Fact]
    public async Task A_remote_batch_that_fails_validation_fails_its_items_with_the_provider_reason()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchMaxRequests = 10);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        BatchResult<ChatCompletion> result = await EmulatorClients.DriveAsync(
            client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 25).Select(EmulatorClients.Conversation).ToList(), new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() with { MaxResubmits = 1 } }),
            time, Step);

        result.Count.Should().Be(25);
        result.Should().OnlyContain(item => !item.Succeeded && item.Error!.ProviderCode == "too_many_tasks");
        result[0].Error!.Message.Should().Contain("failed").And.Contain("too_many_tasks");
        emulator.GetStats().BatchesCreated.Should().Be(2, "the failed batch was resubmitted once");
        emulator.GetStats().ChatRequestsReceived.Should().Be(0);
    }

    [Fact]
    public async Task After_the_deadline_the_remote_batches_are_cancelled_and_the_rest_is_sent_live()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 10);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        List<string> reviews = Reviews(300);
        var options = new BatchOptions
        {
            Mode = BatchMode.Deferred,
            Deferred = Fast() with { Deadline = Start.AddSeconds(10) },
        };

        BatchResult<Sentiment> result = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews, options), time, Step);

        result.AllSucceeded.Should().BeTrue();
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 300));
        result.DeferredCount.Should().BeInRange(1, 299, "the remote batch answered part before the deadline, the rest went live");
        EmulatorStats stats = emulator.GetStats();
        stats.ChatRequestsReceived.Should().Be(300 - result.DeferredCount, "only the unanswered requests were sent live");
        stats.BatchAnswersByFingerprint.Values.Sum().Should().Be(result.DeferredCount);
        BatchResult<Sentiment> live = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews), time, Step);
        result.Select(item => item.Value).Should().Equal(live.Select(item => item.Value));
    }

    [Fact]
    public async Task Cancelling_the_call_cancels_the_remote_batches()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 1);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        using var cancel = new CancellationTokenSource();
        var progress = new SyncProgress<BatchProgress>(p =>
        {
            if (p.Deferred is { Batches: >= 2 })
            {
                cancel.Cancel();
            }
        });

        Task<BatchResult<ChatCompletion>> run = client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 40).Select(EmulatorClients.Conversation).ToList(),
            new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(20), Progress = progress },
            cancel.Token);
        Func<Task> act = () => EmulatorClients.DriveAsync(run, time, Step);

        (await act.Should().ThrowAsync<BatchCanceledException<ChatCompletion>>()).Which.Partial.Count.Should().Be(40);
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        string list = await http.GetStringAsync("batches");
        list.Should().Contain("\"cancel").And.NotContain("\"in_progress\"", "both remote batches were cancelled").And.NotContain("\"validating\"");
        emulator.GetStats().FilesUploaded.Should().Be(2);
        string files = await http.GetStringAsync("files");
        files.Should().NotContain("\"purpose\":\"batch\"", "a cancelled run deletes the input files of the batches it cancelled");
    }

    [Fact]
    public async Task A_rerun_after_a_cancelled_call_collects_what_the_cancelled_batches_answered_and_leaves_no_file()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 3);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        List<string> reviews = Reviews(40);
        string journal = Path.Combine(_directory, "cancelled.journal.jsonl");
        using var cancel = new CancellationTokenSource();
        var options = new BatchOptions
        {
            Mode = BatchMode.Deferred,
            Journal = BatchJournal.File(journal),
            Deferred = Fast(20),
            Progress = new SyncProgress<BatchProgress>(p =>
            {
                if (p.Deferred is { Batches: >= 2 })
                {
                    cancel.Cancel();
                }
            }),
        };

        Func<Task> first = () => EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews, options, cancel.Token), time, Step);
        await first.Should().ThrowAsync<OperationCanceledException>();
        long answeredBeforeRerun = emulator.GetStats().BatchLinesProcessed;

        BatchResult<Sentiment> rerun = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews, options with { Progress = null }), time, Step);

        rerun.AllSucceeded.Should().BeTrue();
        rerun.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 40));
        EmulatorStats stats = emulator.GetStats();
        stats.ChatRequestsReceived.Should().Be(0);
        stats.BatchAnswersByFingerprint.Values.Should().OnlyContain(count => count == 1, "what the cancelled batches answered is read back, not asked again");
        stats.BatchAnswersByFingerprint.Values.Sum().Should().Be(40);
        answeredBeforeRerun.Should().BeGreaterThan(0);
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        (await http.GetStringAsync("files")).Should().Contain("\"data\":[]", "input, output and error files are all deleted once read");
    }

    [Fact]
    public async Task A_rerun_with_the_journal_attaches_to_the_remote_batches_instead_of_submitting_again()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 5);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        List<string> reviews = Reviews(100);
        string journal = Path.Combine(_directory, "deferred.journal.jsonl");
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
                    stop.Cancel(); // the process "dies": the remote batches run on
                }
            }),
        };

        Func<Task> first = () => EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews, options, stop.Token), time, Step);
        await first.Should().ThrowAsync<OperationCanceledException>();
        emulator.GetStats().BatchesCreated.Should().Be(3);

        BatchResult<Sentiment> resumed = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews, options with { Progress = null }), time, Step);

        EmulatorStats stats = emulator.GetStats();
        stats.BatchesCreated.Should().Be(3, "the rerun attached to the journaled remote batches");
        stats.FilesUploaded.Should().Be(3);
        stats.ChatRequestsReceived.Should().Be(0);
        stats.BatchAnswersByFingerprint.Values.Should().OnlyContain(count => count == 1);
        resumed.AllSucceeded.Should().BeTrue();
        resumed.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 100));
        File.ReadAllText(journal).Should().Contain("\"remote\":\"batch\"").And.Contain("\"remote\":\"done\"");

        // And once read back, a third run takes everything from the journal.
        BatchResult<Sentiment> third = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews, options with { Progress = null }), time, Step);
        third.FromJournalCount.Should().Be(100);
        emulator.GetStats().BatchesCreated.Should().Be(3);
        third.Select(item => item.Value).Should().Equal(resumed.Select(item => item.Value));
        third.DeferredCount.Should().Be(100, "the journal keeps that the answers came through the Batch API (billed at its price)");
        third.Should().OnlyContain(item => item.Deferred && item.FromJournal);

        // A live rerun of the same journal replays them too, still marked deferred; nothing is sent.
        BatchResult<Sentiment> live = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews, new BatchOptions { Journal = BatchJournal.File(journal) }), time, Step);
        live.FromJournalCount.Should().Be(100);
        live.DeferredCount.Should().Be(100);
        emulator.GetStats().ChatRequestsReceived.Should().Be(0);
    }

    [Fact]
    public async Task A_live_answer_journaled_is_not_marked_deferred_when_a_deferred_rerun_replays_it()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        List<string> reviews = Reviews(20);
        string journal = Path.Combine(_directory, "mixed.journal.jsonl");

        BatchResult<Sentiment> first = await EmulatorClients.DriveAsync(analyst.ClassifyBatchAsync(reviews.Take(10).ToList(), new BatchOptions { Journal = BatchJournal.File(journal) }), time, Step);
        first.DeferredCount.Should().Be(0);

        BatchResult<Sentiment> second = await EmulatorClients.DriveAsync(
            analyst.ClassifyBatchAsync(reviews, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(), Journal = BatchJournal.File(journal) }), time, Step);

        second.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 20));
        second.Take(10).Should().OnlyContain(item => item.FromJournal && !item.Deferred, "those ten were answered live at the full price");
        second.Skip(10).Should().OnlyContain(item => item.Deferred && !item.FromJournal);
        second.DeferredCount.Should().Be(10);
        emulator.GetStats().BatchAnswersByFingerprint.Values.Sum().Should().Be(10);
    }

    [Fact]
    public async Task Deferred_answers_go_through_the_live_parsing_fences_refusals_truncation_and_live_repairs()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();
        string[] prompts = ["a plain one", "bad once [[invalid-json:1]]", "fenced [[fenced]]", "declined [[refuse]]", "cut [[truncated]]", "always bad [[wrong-shape]]"];

        BatchResult<Person> result = await EmulatorClients.DriveAsync(
            analyst.DescribeBatchAsync(prompts, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() }), time, Step);

        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, prompts.Length));
        result[0].Succeeded.Should().BeTrue();
        result[0].Repairs.Should().Be(0);
        result[1].Succeeded.Should().BeTrue("the invalid answer was repaired live");
        result[1].Repairs.Should().Be(1);
        result[2].Succeeded.Should().BeTrue("a fenced answer parses as it does live");
        result[3].Error!.Kind.Should().Be(BatchErrorKind.Refused);
        result[4].Error!.Kind.Should().Be(BatchErrorKind.Truncated);
        result[5].Error!.Kind.Should().Be(BatchErrorKind.InvalidOutput);
        result[5].Repairs.Should().Be(2, "[Completion(MaxRepairAttempts = 2)] applies to deferred answers too");
        result.Should().OnlyContain(item => item.Deferred);
        emulator.GetStats().ChatRequestsReceived.Should().Be(3, "only the repairs went live: one for the answer bad once, two for the one always bad");
    }

    [Fact]
    public async Task An_embeddings_batch_deferred_returns_the_live_vectors_in_order_and_fails_only_an_empty_input()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();
        var inputs = Enumerable.Range(0, 2_500).Select(i => i == 7 ? "" : $"text {i}").ToList();

        BatchResult<EmbeddingVector> deferred = await EmulatorClients.DriveAsync(
            client.CreateEmbeddingsBatchAsync(inputs, new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(1_000) }), time, Step);

        emulator.GetStats().BatchesCreated.Should().Be(3);
        emulator.GetStats().EmbeddingRequestsReceived.Should().Be(0);
        deferred.Count.Should().Be(2_500);
        deferred.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 2_500));
        deferred[7].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        deferred.FailedCount.Should().Be(1);
        deferred.DeferredCount.Should().Be(2_499);
        BatchResult<EmbeddingVector> live = await EmulatorClients.DriveAsync(client.CreateEmbeddingsBatchAsync(inputs), time, Step);
        for (int i = 0; i < inputs.Count; i += 101)
        {
            deferred[i].Value?.Vector.ToArray().Should().Equal(live[i].Value!.Vector.ToArray(), $"input {i} embeds the same deferred as live");
        }
    }

    [Fact]
    public async Task A_server_without_the_Batch_API_fails_the_call_once_naming_the_endpoint_instead_of_every_item()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(emulator, time, o => o.BaseUrl = new Uri(emulator.RootUrl, "no-batches/v1"));
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        Func<Task> act = () => EmulatorClients.DriveAsync(
            client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 50).Select(EmulatorClients.Conversation).ToList(), new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast(10) }), time, Step);

        ProviderException error = (await act.Should().ThrowAsync<ProviderException>()).Which;
        error.StatusCode.Should().Be(404);
        error.Message.Should().Contain("/files").And.Contain("Files and Batches API");
        emulator.GetStats().FilesUploaded.Should().Be(0);
        emulator.GetStats().ChatRequestsReceived.Should().Be(0);
    }

    [Fact]
    public async Task A_fallback_chain_sends_deferred_work_to_its_primary()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer primary = await StartAsync(time);
        await using EmulatorServer backup = await StartAsync(time);
        await using ServiceProvider services = EmulatorClients.CreateOnClock(primary, time, o => o.Fallbacks.Add(new ProviderOptions { Name = "backup", BaseUrl = backup.BaseUrl, ApiKey = backup.Options.ApiKey }));
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        BatchResult<ChatCompletion> result = await EmulatorClients.DriveAsync(
            client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 30).Select(EmulatorClients.Conversation).ToList(), new BatchOptions { Mode = BatchMode.Deferred, Deferred = Fast() }), time, Step);

        result.AllSucceeded.Should().BeTrue();
        result.DeferredCount.Should().Be(30);
        primary.GetStats().BatchesCreated.Should().Be(1);
        backup.GetStats().FilesUploaded.Should().Be(0);
    }

    [Fact]
    public async Task GitHub_Copilot_has_no_Batch_API_and_says_so_before_anything_is_sent()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var client = TypedBatchClient.Create(new TypedBatchOptions
        {
            Provider = ProviderKind.GitHubCopilot,
            GitHubToken = emulator.Options.GitHubToken,
            CopilotTokenUrl = emulator.CopilotTokenUrl,
        });

        Func<Task> act = () => client.CreateChatCompletionsBatchAsync([EmulatorClients.Conversation(0)], new BatchOptions { Mode = BatchMode.Deferred });

        (await act.Should().ThrowAsync<NotSupportedException>()).WithMessage("*github-copilot*Batch API*");
        emulator.GetStats().TokenExchangeRequests.Should().Be(0);
        emulator.GetStats().ChatRequestsReceived.Should().Be(0);
    }

    /// <summary>The answers the same inputs get live, from an emulator without injected faults.</summary>
    private static async Task<IReadOnlyList<string?>> LiveContentsAsync(FakeTimeProvider time, List<IReadOnlyList<PromptMessage>> inputs)
    {
        await using EmulatorServer clean = await EmulatorServer.StartAsync(new EmulatorOptions { TimeProvider = time });
        await using ServiceProvider services = EmulatorClients.CreateOnClock(clean, time);
        BatchResult<ChatCompletion> live = await EmulatorClients.DriveAsync(services.GetRequiredService<TypedBatchClient>().CreateChatCompletionsBatchAsync(inputs), time, Step);
        return live.Select(item => item.Value!.Content).ToList();
    }

    /// <summary>Reports on the caller's thread (Progress{T} posts to the thread pool, which a test cannot wait for).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
