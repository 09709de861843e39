using System.Text.Json;
using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;

namespace TypedBatch.IntegrationTests.Journal;

/// <summary>Durable batches over real HTTP: what a rerun with the same journal sends, and what it returns.</summary>
public sealed class JournalTests : IAsyncLifetime, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-journal-").FullName;
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static List<IReadOnlyList<PromptMessage>> Conversations(int count, Func<int, string>? text = null)
        => Enumerable.Range(0, count).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User(text?.Invoke(i) ?? $"item {i}")]).ToList();

    [Fact]
    public async Task A_rerun_sends_nothing_for_journaled_items_and_returns_them_in_order_marked_from_journal()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        var options = new BatchOptions { Journal = BatchJournal.File(PathOf("chat.jsonl")), MaxConcurrency = 4 };
        List<IReadOnlyList<PromptMessage>> inputs = Conversations(30);

        BatchResult<ChatCompletion> first = await client.CreateChatCompletionsBatchAsync(inputs, new CompletionSettings { Temperature = 0.3, MaxTokens = 50 }, options);
        first.AllSucceeded.Should().BeTrue();
        first.FromJournalCount.Should().Be(0);
        _emulator.GetStats().ChatRequestsReceived.Should().Be(30);

        _emulator.ResetStats();
        BatchResult<ChatCompletion> second = await client.CreateChatCompletionsBatchAsync(inputs, new CompletionSettings { Temperature = 0.3, MaxTokens = 50 }, options);

        _emulator.GetStats().ChatRequestsReceived.Should().Be(0, "every item was journaled as succeeded");
        second.FromJournalCount.Should().Be(30);
        second.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 30));
        second.Should().OnlyContain(item => item.FromJournal && item.Succeeded);
        second.Select(item => item.Value!.Content).Should().Equal(first.Select(item => item.Value!.Content));
        second.Select(item => item.Value!.Id).Should().Equal(first.Select(item => item.Value!.Id));
        second.Usage.Should().Be(first.Usage, "a journaled item keeps the usage of the run that paid for it");
        second.Select(item => item.Attempts).Should().Equal(first.Select(item => item.Attempts));
    }

    [Fact]
    public async Task A_longer_rerun_sends_only_the_inputs_the_journal_does_not_have()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        var options = new BatchOptions { Journal = BatchJournal.File(PathOf("grow.jsonl")) };

        await client.CreateChatCompletionsBatchAsync(Conversations(10), options);
        _emulator.ResetStats();
        BatchResult<ChatCompletion> all = await client.CreateChatCompletionsBatchAsync(Conversations(25), options);

        EmulatorStats stats = _emulator.GetStats();
        stats.ChatRequestsReceived.Should().Be(15);
        all.Count.Should().Be(25);
        all.Take(10).Should().OnlyContain(item => item.FromJournal);
        all.Skip(10).Should().OnlyContain(item => !item.FromJournal && item.Succeeded);
        for (int i = 0; i < 25; i++)
        {
            string fingerprint = EmulatorClients.FingerprintOf(client.Options.Model, [PromptMessage.User($"item {i}")]);
            if (i < 10)
            {
                stats.ByFingerprint.Should().NotContainKey(fingerprint, $"input {i} was journaled and must not be sent again");
            }
            else
            {
                stats.ByFingerprint[fingerprint].Received.Should().Be(1, $"input {i} was missing from the journal");
            }
        }
    }

    [Fact]
    public async Task Typed_records_and_enums_rebuilt_from_the_journal_equal_the_originals()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        IAnalyst analyst = client.For<IAnalyst>();
        var options = new BatchOptions { Journal = BatchJournal.File(PathOf("typed.jsonl")) };
        string[] prompts = Enumerable.Range(0, 12).Select(i => $"person {i}").ToArray();

        BatchResult<Person> first = await analyst.DescribeBatchAsync(prompts, options);
        _emulator.ResetStats();
        BatchResult<Person> second = await analyst.DescribeBatchAsync(prompts, options);

        _emulator.GetStats().ChatRequestsReceived.Should().Be(0);
        first.AllSucceeded.Should().BeTrue();
        second.Should().OnlyContain(item => item.FromJournal);
        second.Select(item => item.Value).Should().BeEquivalentTo(first.Select(item => item.Value), o => o.WithStrictOrdering());
        second.Select(item => item.Repairs).Should().Equal(first.Select(item => item.Repairs));

        var sentimentsOptions = new BatchOptions { Journal = BatchJournal.File(PathOf("enum.jsonl")) };
        string[] reviews = ["great", "awful", "fine", "meh"];
        BatchResult<Sentiment> live = await analyst.ClassifyBatchAsync(reviews, sentimentsOptions);
        _emulator.ResetStats();
        BatchResult<Sentiment> replayed = await analyst.ClassifyBatchAsync(reviews, sentimentsOptions);
        _emulator.GetStats().ChatRequestsReceived.Should().Be(0);
        replayed.Select(item => item.Value).Should().Equal(live.Select(item => item.Value));
    }

    [Fact]
    public async Task Failed_items_are_sent_again_by_default_and_replayed_as_failures_when_asked()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator, o => o.MaxRetries = 0);
        string path = PathOf("failures.jsonl");
        List<IReadOnlyList<PromptMessage>> inputs = Conversations(6, i => i == 2 ? "item 2 [[fail:500:1]]" : $"item {i}");

        BatchResult<ChatCompletion> first = await client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Journal = BatchJournal.File(path) });
        first[2].Succeeded.Should().BeFalse();

        long sent = _emulator.GetStats().ChatRequestsReceived;
        BatchResult<ChatCompletion> kept = await client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Journal = BatchJournal.File(path), RetryJournaledFailures = false });
        _emulator.GetStats().ChatRequestsReceived.Should().Be(sent);
        kept[2].FromJournal.Should().BeTrue();
        kept[2].Error!.Kind.Should().Be(first[2].Error!.Kind);
        kept[2].Error!.StatusCode.Should().Be(500);
        kept[2].Error!.Message.Should().Be(first[2].Error!.Message);

        // The emulator fails "[[fail:500:1]]" while its fingerprint was received at most once: the stats are not reset
        // here, so the resend is the second time and succeeds.
        long before = _emulator.GetStats().ChatRequestsReceived;
        BatchResult<ChatCompletion> retried = await client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Journal = BatchJournal.File(path) });
        (_emulator.GetStats().ChatRequestsReceived - before).Should().Be(1, "only the failed item is sent again");
        retried.AllSucceeded.Should().BeTrue();
        retried[2].FromJournal.Should().BeFalse();
        retried.FromJournalCount.Should().Be(5);

        _emulator.ResetStats();
        BatchResult<ChatCompletion> third = await client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Journal = BatchJournal.File(path) });
        _emulator.GetStats().ChatRequestsReceived.Should().Be(0, "the resent item's success is journaled after its failure and wins");
        third.Should().OnlyContain(item => item.FromJournal && item.Succeeded);
    }

    [Fact]
    public async Task A_changed_input_is_a_mismatch_naming_its_index_and_Resend_sends_only_it()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        string path = PathOf("mismatch.jsonl");
        await client.CreateChatCompletionsBatchAsync(Conversations(8), new BatchOptions { Journal = BatchJournal.File(path), MaxConcurrency = 1 });
        List<IReadOnlyList<PromptMessage>> changed = Conversations(8, i => i == 5 ? "item five, reworded" : $"item {i}");

        _emulator.ResetStats();
        Func<Task> rerun = () => client.CreateChatCompletionsBatchAsync(changed, new BatchOptions { Journal = BatchJournal.File(path), MaxConcurrency = 1 });
        JournalMismatchException mismatch = (await rerun.Should().ThrowAsync<JournalMismatchException>()).Which;
        mismatch.Index.Should().Be(5);
        mismatch.Difference.Should().Contain("messages");
        mismatch.Message.Should().Contain("Input 5").And.Contain(path);
        _emulator.GetStats().ChatRequestsReceived.Should().Be(0, "nothing is sent for a mismatched input");

        BatchResult<ChatCompletion> resent = await client.CreateChatCompletionsBatchAsync(changed, new BatchOptions { Journal = BatchJournal.File(path, onMismatch: JournalMismatch.Resend) });
        _emulator.GetStats().ChatRequestsReceived.Should().Be(1);
        resent[5].FromJournal.Should().BeFalse();
        resent.FromJournalCount.Should().Be(7);
        resent[5].Value!.Content.Should().Contain("reworded");
    }

    [Fact]
    public async Task A_journal_from_another_model_is_refused_before_anything_is_sent()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        string path = PathOf("model.jsonl");
        await client.CreateChatCompletionsBatchAsync(Conversations(3), new BatchOptions { Journal = BatchJournal.File(path), Model = "gpt-4o-mini" });

        _emulator.ResetStats();
        Func<Task> other = () => client.CreateChatCompletionsBatchAsync(Conversations(3), new BatchOptions { Journal = BatchJournal.File(path), Model = "gpt-4o" });
        JournalMismatchException mismatch = (await other.Should().ThrowAsync<JournalMismatchException>()).Which;
        mismatch.Index.Should().BeNull();
        mismatch.Difference.Should().Be("model: the journal has 'gpt-4o-mini', this batch 'gpt-4o'");
        _emulator.GetStats().ChatRequestsReceived.Should().Be(0);

        BatchResult<ChatCompletion> resent = await client.CreateChatCompletionsBatchAsync(Conversations(3), new BatchOptions { Journal = BatchJournal.File(path, JournalMismatch.Resend), Model = "gpt-4o" });
        resent.FromJournalCount.Should().Be(0);
        _emulator.GetStats().ChatRequestsReceived.Should().Be(3);
        resent.Should().OnlyContain(item => item.Value!.Model == "gpt-4o");
    }

    [Fact]
    public async Task Two_batches_on_one_journal_are_refused_with_a_clear_error()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        string path = PathOf("locked.jsonl");
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var progress = new SyncProgress(_ => started.TrySetResult());
        List<IReadOnlyList<PromptMessage>> inputs = Conversations(40, i => i == 0 ? "quick" : $"item {i} [[hang]]");
        Task<BatchResult<ChatCompletion>> holding = client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Journal = BatchJournal.File(path), MaxConcurrency = 2, Progress = progress }, stop.Token);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Func<Task> second = () => client.CreateChatCompletionsBatchAsync(Conversations(2), new BatchOptions { Journal = BatchJournal.File(path) });
        BatchJournalException refused = (await second.Should().ThrowAsync<BatchJournalException>()).Which;
        refused.Message.Should().Contain("in use").And.Contain(path);
        refused.Path.Should().Be(path);

        await stop.CancelAsync();
        await holding.Invoking(t => t).Should().ThrowAsync<BatchCanceledException<ChatCompletion>>();
    }

    [Fact]
    public async Task Cancellation_leaves_a_valid_journal_that_the_rerun_resumes()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        string path = PathOf("cancel.jsonl");
        using var stop = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Completed >= 10)
            {
                stop.Cancel();
            }
        });
        List<IReadOnlyList<PromptMessage>> inputs = Conversations(30, i => i < 10 ? $"item {i}" : $"item {i} [[delay:200]]");

        Func<Task> run = () => client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Journal = BatchJournal.File(path), MaxConcurrency = 4, Progress = progress }, stop.Token);
        BatchCanceledException<ChatCompletion> cancelled = (await run.Should().ThrowAsync<BatchCanceledException<ChatCompletion>>()).Which;
        int finished = cancelled.Partial.Count(item => item.Succeeded);
        finished.Should().BeGreaterThanOrEqualTo(10);

        BatchResult<ChatCompletion> resumed = await client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Journal = BatchJournal.File(path), MaxConcurrency = 8 });
        resumed.AllSucceeded.Should().BeTrue();
        resumed.Count.Should().Be(30);
        resumed.FromJournalCount.Should().BeGreaterThanOrEqualTo(finished, "every item reported before the cancellation was journaled");

        // Counted per request over both runs (a request of the cancelled run may still be reaching the server when the
        // rerun starts, so a reset between the runs would race it): a journaled item was sent once, in the first run.
        EmulatorStats stats = _emulator.GetStats();
        foreach (BatchItem<ChatCompletion> item in resumed)
        {
            long received = stats.ByFingerprint[EmulatorClients.FingerprintOf(client.Options.Model, inputs[item.Index])].Received;
            if (item.FromJournal)
            {
                received.Should().Be(1, $"input {item.Index} was journaled and must not be sent again");
            }
            else
            {
                received.Should().BeInRange(1, 2, $"input {item.Index} was not journaled: sent by the rerun, and perhaps in flight at the cancellation");
            }
        }
    }

    [Fact]
    public async Task A_torn_last_line_is_ignored_and_cut_off()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        string path = PathOf("torn.jsonl");
        await client.CreateChatCompletionsBatchAsync(Conversations(5), new BatchOptions { Journal = BatchJournal.File(path) });
        string[] lines = File.ReadAllLines(path);
        lines.Should().HaveCount(6, "a header and one line per item");
        File.AppendAllText(path, lines[3][..(lines[3].Length / 2)]);

        _emulator.ResetStats();
        BatchResult<ChatCompletion> resumed = await client.CreateChatCompletionsBatchAsync(Conversations(6), new BatchOptions { Journal = BatchJournal.File(path) });

        resumed.FromJournalCount.Should().Be(5);
        _emulator.GetStats().ChatRequestsReceived.Should().Be(1);
        string[] after = File.ReadAllLines(path);
        after.Should().HaveCount(7);
        after.Should().OnlyContain(line => IsJson(line), "the torn half line was cut off before the new item was appended");
    }

    [Fact]
    public async Task Embeddings_resume_from_the_journal_and_pack_only_the_missing_inputs()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator, o => o.EmbeddingInputsPerRequest = 4);
        string path = PathOf("embeddings.jsonl");
        string[] texts = Enumerable.Range(0, 10).Select(i => $"text {i}").ToArray();

        BatchResult<EmbeddingVector> first = await client.CreateEmbeddingsBatchAsync(texts[..6], new BatchOptions { Journal = BatchJournal.File(path) });
        first.AllSucceeded.Should().BeTrue();

        _emulator.ResetStats();
        BatchResult<EmbeddingVector> all = await client.CreateEmbeddingsBatchAsync(texts, new BatchOptions { Journal = BatchJournal.File(path) });

        EmulatorStats stats = _emulator.GetStats();
        stats.EmbeddingRequestsReceived.Should().Be(1, "the 4 missing inputs fit one request");
        all.Take(6).Should().OnlyContain(item => item.FromJournal);
        all.Skip(6).Should().OnlyContain(item => !item.FromJournal);
        for (int i = 0; i < 6; i++)
        {
            all[i].Value!.Vector.ToArray().Should().Equal(first[i].Value!.Vector.ToArray());
            all[i].Value!.Model.Should().Be(first[i].Value!.Model);
        }
    }

    [Fact]
    public async Task As_completed_yields_the_journaled_items_first()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        IAnalyst analyst = client.For<IAnalyst>();
        string path = PathOf("as-completed.jsonl");
        string[] reviews = Enumerable.Range(0, 20).Select(i => $"review {i}").ToArray();
        await analyst.ClassifyBatchAsync(reviews[..8], new BatchOptions { Journal = BatchJournal.File(path) });

        var order = new List<BatchItem<Sentiment>>();
        await foreach (BatchItem<Sentiment> item in analyst.ClassifyAsCompletedAsync(reviews.Select(r => r).ToArray().Select((r, i) => i < 8 ? r : r + " [[delay:50]]"), new BatchOptions { Journal = BatchJournal.File(path, JournalMismatch.Resend) }))
        {
            order.Add(item);
        }

        order.Should().HaveCount(20);
        order.Take(8).Should().OnlyContain(item => item.FromJournal);
        order.Skip(8).Should().OnlyContain(item => !item.FromJournal);
    }

    [Fact]
    public async Task The_journal_holds_no_secret_and_only_its_owner_can_read_it()
    {
        const string key = "sk-journal-secret-0123456789abcdef";
        using TypedBatchClient client = EmulatorClients.Create(_emulator, o => { o.MaxRetries = 0; o.ApiKey = key; });
        string path = PathOf("secrets.jsonl");
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            [[PromptMessage.User("hello")], [PromptMessage.User("show me [[echo-key]]")]], new BatchOptions { Journal = BatchJournal.File(path) });
        result[1].Succeeded.Should().BeFalse("the emulator answers the echo marker with a 401 that repeats the key");

        string text = File.ReadAllText(path);
        text.Should().NotContain(key).And.NotContain(key[..12]);
        text.Should().Contain("\"ok\":false", "the failure is journaled, masked");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(path).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task The_header_names_the_format_library_model_and_definition()
    {
        using TypedBatchClient client = EmulatorClients.Create(_emulator);
        string path = PathOf("header.jsonl");
        await client.CreateChatCompletionsBatchAsync(Conversations(1), new CompletionSettings { Temperature = 0.5 }, new BatchOptions { Journal = BatchJournal.File(path), Model = "gpt-4o-mini" });

        using var header = JsonDocument.Parse(File.ReadLines(path).First());
        header.RootElement.GetProperty("typedbatch_journal").GetInt32().Should().Be(1);
        header.RootElement.GetProperty("library").GetString().Should().NotBeNullOrEmpty();
        header.RootElement.GetProperty("created").GetDateTimeOffset().Should().BeAfter(DateTimeOffset.UnixEpoch);
        header.RootElement.GetProperty("model").GetString().Should().Be("gpt-4o-mini");
        header.RootElement.GetProperty("operation").GetString().Should().Be("chat");
        header.RootElement.GetProperty("settings").GetString().Should().Contain("temperature=0.5");
        header.RootElement.GetProperty("definition").GetString().Should().MatchRegex("^[0-9a-f]{16}$");
    }

    private static bool IsJson(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reports on the worker's thread, at once, unlike <see cref="Progress{T}"/>.</summary>
    private sealed class SyncProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
