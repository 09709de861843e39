using TypedBatch.Journaling;
using TypedBatch.Providers;

namespace TypedBatch.Tests;

/// <summary>The journal file's edges: damaged and foreign files, locks, fingerprints, and the paths that cannot journal.</summary>
public sealed class JournalFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-journal-unit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static List<IReadOnlyList<PromptMessage>> Conversations(int count)
        => Enumerable.Range(0, count).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"item {i}")]).ToList();

    private static async Task<BatchResult<ChatCompletion>> RunAsync(FakeChatProvider provider, string path, int count = 4, bool retryFailures = true)
    {
        using var client = new TypedBatchClient(provider, new TypedBatchOptions { Model = "m" });
        return await client.CreateChatCompletionsBatchAsync(Conversations(count), new BatchOptions { Journal = BatchJournal.File(path), RetryJournaledFailures = retryFailures });
    }

    [Fact]
    public async Task A_damaged_line_followed_by_entries_is_refused_naming_the_line()
    {
        string path = PathOf("damaged.jsonl");
        await RunAsync(new FakeChatProvider(), path);
        List<string> lines = [.. File.ReadAllLines(path)];
        lines[2] = "{\"i\":1,\"f\":\"nonsense";
        File.WriteAllLines(path, lines);

        var provider = new FakeChatProvider();
        Func<Task> rerun = () => RunAsync(provider, path);
        (await rerun.Should().ThrowAsync<BatchJournalException>()).Which.Message.Should().Contain("damaged").And.Contain("line 3");
        provider.Calls.Should().Be(0);
    }

    [Fact]
    public async Task A_file_that_is_not_a_journal_is_refused_and_left_alone()
    {
        string path = PathOf("notes.txt");
        File.WriteAllText(path, "{\"i\":0,\"f\":\"00000000000000000000000000000000\",\"ok\":true}\n");
        var provider = new FakeChatProvider();

        Func<Task> run = () => RunAsync(provider, path);
        (await run.Should().ThrowAsync<BatchJournalException>()).Which.Message.Should().Contain("is not a TypedBatch journal");
        File.ReadAllText(path).Should().StartWith("{\"i\":0", "the file is not truncated or rewritten");
        provider.Calls.Should().Be(0);
    }

    [Fact]
    public async Task A_journal_from_a_newer_format_is_refused()
    {
        string path = PathOf("newer.jsonl");
        File.WriteAllText(path, "{\"typedbatch_journal\":99,\"kind\":\"chat\"}\n");

        Func<Task> run = () => RunAsync(new FakeChatProvider(), path);
        (await run.Should().ThrowAsync<BatchJournalException>()).Which.Message.Should().Contain("format 99").And.Contain("newer");
    }

    [Fact]
    public async Task A_header_torn_by_a_crash_right_after_creation_starts_a_new_journal()
    {
        string path = PathOf("torn-header.jsonl");
        File.WriteAllText(path, "{\"typedbatch_journal\":1,\"libr");
        var provider = new FakeChatProvider();

        BatchResult<ChatCompletion> result = await RunAsync(provider, path);

        result.AllSucceeded.Should().BeTrue();
        provider.Calls.Should().Be(4);
        File.ReadAllLines(path).Should().HaveCount(5).And.OnlyContain(line => line.StartsWith('{') && line.EndsWith('}'));
    }

    [Fact]
    public async Task A_missing_directory_is_a_clear_error()
    {
        string path = Path.Combine(_directory, "missing", "j.jsonl");
        Func<Task> run = () => RunAsync(new FakeChatProvider(), path);
        (await run.Should().ThrowAsync<BatchJournalException>()).Which.Message.Should().Contain("directory does not exist").And.Contain(path);
    }

    [Fact]
    public void A_second_open_of_an_open_journal_is_refused_and_the_lock_ends_with_the_first()
    {
        string path = PathOf("lock.jsonl");
        var definition = new JournalDefinition("chat", "op", "m", "s", "text");
        var first = JournalFile.Open(BatchJournal.File(path), definition, true, SecretRedactor.None, TimeProvider.System);

        Action second = () => JournalFile.Open(BatchJournal.File(path), definition, true, SecretRedactor.None, TimeProvider.System).Dispose();
        second.Should().Throw<BatchJournalException>().WithMessage("*is in use*another batch or process*");

        first.Dispose();
        second.Should().NotThrow();
    }

    [Fact]
    public async Task A_journal_path_that_is_a_directory_is_a_clear_error_not_a_lock_conflict()
    {
        string path = Directory.CreateDirectory(PathOf("a-directory")).FullName;
        Func<Task> run = () => RunAsync(new FakeChatProvider(), path);
        BatchJournalException error = (await run.Should().ThrowAsync<BatchJournalException>()).Which;
        error.Message.Should().Contain(path).And.NotContain("in use");
    }

    [Fact]
    public async Task Batched_durability_flushes_after_100_ms_on_the_clock_or_at_64_items_and_EveryItem_waits_for_its_flush()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var definition = new JournalDefinition("chat", "op", "m", "s", "text");
        var completion = new ChatCompletion { Content = "answer" };
        using (var file = JournalFile.Open(BatchJournal.File(PathOf("batched.jsonl")), definition, true, SecretRedactor.None, time))
        {
            await file.AppendCompletion(0, default, completion, default, 1, 0).WaitAsync(TimeSpan.FromSeconds(30));
            await Task.Delay(50);
            file.Flushes.Should().Be(0, "one item waits for the 100 ms timer");

            time.Advance(TimeSpan.FromMilliseconds(99));
            await Task.Delay(50);
            file.Flushes.Should().Be(0);
            time.Advance(TimeSpan.FromMilliseconds(1));
            await WaitForAsync(() => file.Flushes == 1);

            for (int i = 1; i <= 64; i++)
            {
                await file.AppendCompletion(i, default, completion, default, 1, 0);
            }

            await WaitForAsync(() => file.Flushes == 2);
            file.Flushes.Should().Be(2, "the 64th item asks for a flush without the clock moving");
        }

        using (var file = JournalFile.Open(BatchJournal.File(PathOf("every.jsonl"), durability: Durability.EveryItem), definition, true, SecretRedactor.None, time))
        {
            for (int i = 0; i < 3; i++)
            {
                await file.AppendCompletion(i, default, completion, default, 1, 0).WaitAsync(TimeSpan.FromSeconds(30));
                file.Flushes.Should().Be(i + 1, "an item is reported only after its flush");
            }
        }

        static async Task WaitForAsync(Func<bool> condition)
        {
            // Real time only lets the flusher thread run; the bound turns a missing flush into a failure.
            for (int i = 0; i < 3_000 && !condition(); i++)
            {
                await Task.Delay(10);
            }

            condition().Should().BeTrue();
        }
    }

    [Fact]
    public async Task Embeddings_as_completed_yield_the_journaled_items_and_send_only_the_rest()
    {
        string path = PathOf("embeddings-stream.jsonl");
        var provider = new FakeChatProvider();
        using var client = new TypedBatchClient(provider, new TypedBatchOptions { EmbeddingInputsPerRequest = 2 });
        await client.CreateEmbeddingsBatchAsync(["a", "bb", "ccc"], new BatchOptions { Journal = BatchJournal.File(path) });
        provider.EmbeddedTexts.Clear();

        var items = new List<BatchItem<EmbeddingVector>>();
        await foreach (BatchItem<EmbeddingVector> item in client.CreateEmbeddingsAsCompletedAsync(["a", "bb", "ccc", "dddd", "eeeee"], new BatchOptions { Journal = BatchJournal.File(path) }))
        {
            items.Add(item);
        }

        provider.EmbeddedTexts.Should().BeEquivalentTo("dddd", "eeeee");
        items.OrderBy(i => i.Index).Select(i => i.FromJournal).Should().Equal(true, true, true, false, false);
        items.Select(i => i.Value!.Vector.Span[0]).Should().BeEquivalentTo(new[] { 1f, 2f, 3f, 4f, 5f });
    }

    [Fact]
    public async Task A_failed_item_is_journaled_and_replayed_as_a_failure_when_failures_are_not_retried()
    {
        string path = PathOf("failed.jsonl");
        var failing = new FakeChatProvider { Fail = r => r.Messages[^1].Content == "item 2" ? new ProviderException(BatchErrorKind.Http, "fake", "boom", 400) { Attempts = 1 } : null };
        BatchResult<ChatCompletion> first = await RunAsync(failing, path);
        first[2].Error!.Kind.Should().Be(BatchErrorKind.Http);

        var provider = new FakeChatProvider();
        BatchResult<ChatCompletion> kept = await RunAsync(provider, path, retryFailures: false);
        provider.Calls.Should().Be(0);
        kept[2].FromJournal.Should().BeTrue();
        kept[2].Error.Should().BeEquivalentTo(new { Kind = BatchErrorKind.Http, Message = "boom", StatusCode = 400, Provider = "fake" });
        kept[2].Attempts.Should().Be(1);
        kept.FromJournalCount.Should().Be(4);
    }

    [Fact]
    public async Task Embeddings_of_changed_text_are_a_mismatch_naming_the_input()
    {
        string path = PathOf("embeddings.jsonl");
        var provider = new FakeChatProvider();
        using var client = new TypedBatchClient(provider, new TypedBatchOptions { EmbeddingInputsPerRequest = 2 });
        await client.CreateEmbeddingsBatchAsync(["a", "bb", "ccc"], new BatchOptions { Journal = BatchJournal.File(path) });

        Func<Task> changed = () => client.CreateEmbeddingsBatchAsync(["a", "BB", "ccc"], new BatchOptions { Journal = BatchJournal.File(path) });
        JournalMismatchException mismatch = (await changed.Should().ThrowAsync<JournalMismatchException>()).Which;
        mismatch.Index.Should().Be(1);
        mismatch.Difference.Should().Be("the input text differs");
    }

    [Fact]
    public async Task Embeddings_replay_with_their_vectors_and_null_inputs_still_fail_without_being_journaled()
    {
        string path = PathOf("embeddings-null.jsonl");
        var provider = new FakeChatProvider();
        using var client = new TypedBatchClient(provider, new TypedBatchOptions { EmbeddingInputsPerRequest = 2 });
        BatchResult<EmbeddingVector> first = await client.CreateEmbeddingsBatchAsync(["a", null!, "ccc", "dddd", "e"], new BatchOptions { Journal = BatchJournal.File(path) });
        int sent = provider.Calls;

        BatchResult<EmbeddingVector> again = await client.CreateEmbeddingsBatchAsync(["a", null!, "ccc", "dddd", "e"], new BatchOptions { Journal = BatchJournal.File(path) });

        provider.Calls.Should().Be(sent, "nothing new is sent");
        again[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        again[1].FromJournal.Should().BeFalse();
        again.Where(item => item.Index != 1).Should().OnlyContain(item => item.FromJournal);
        again.Where(item => item.Index != 1).Select(item => item.Value!.Vector.ToArray()).Should().BeEquivalentTo(
            first.Where(item => item.Index != 1).Select(item => item.Value!.Vector.ToArray()), o => o.WithStrictOrdering());
        File.ReadAllLines(path).Should().HaveCount(5, "a header and the four inputs that were sent");
    }

    [Fact]
    public async Task A_hand_written_implementation_cannot_journal()
    {
        Func<Task> run = () => PromptBatch.RunAsync(new[] { 1, 2 }, (i, _) => Task.FromResult(i), new BatchOptions { Journal = BatchJournal.File(PathOf("custom.jsonl")) }, "op", default);
        (await run.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("options.Journal");
    }

    [Fact]
    public void BatchJournal_File_validates_its_arguments()
    {
        FluentActions.Invoking(() => BatchJournal.File(" ")).Should().Throw<ArgumentException>().WithParameterName("path");
        FluentActions.Invoking(() => BatchJournal.File("j", (JournalMismatch)7)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("onMismatch");
        FluentActions.Invoking(() => BatchJournal.File("j", durability: (Durability)7)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("durability");
        var journal = BatchJournal.File("relative.jsonl", JournalMismatch.Resend, Durability.EveryItem);
        journal.Path.Should().Be(Path.GetFullPath("relative.jsonl"));
        journal.OnMismatch.Should().Be(JournalMismatch.Resend);
        journal.Durability.Should().Be(Durability.EveryItem);
    }

    [Fact]
    public async Task EveryItem_durability_journals_the_same_lines()
    {
        string path = PathOf("every.jsonl");
        var provider = new FakeChatProvider();
        using var client = new TypedBatchClient(provider, new TypedBatchOptions { Model = "m" });
        await client.CreateChatCompletionsBatchAsync(Conversations(3), new BatchOptions { Journal = BatchJournal.File(path, durability: Durability.EveryItem) });

        BatchResult<ChatCompletion> again = await client.CreateChatCompletionsBatchAsync(Conversations(3), new BatchOptions { Journal = BatchJournal.File(path) });
        again.FromJournalCount.Should().Be(3);
        provider.Calls.Should().Be(3);
    }

    [Fact]
    public void Fingerprints_separate_message_boundaries_roles_and_definitions_and_round_trip_as_hex()
    {
        var definition = new JournalDefinition("chat", "op", "m", "s", "text");
        var ab = JournalFingerprint.Of(definition, [PromptMessage.User("ab"), PromptMessage.User("c")]);
        var a = JournalFingerprint.Of(definition, [PromptMessage.User("a"), PromptMessage.User("bc")]);
        var role = JournalFingerprint.Of(definition, [PromptMessage.System("ab"), PromptMessage.User("c")]);
        var model = JournalFingerprint.Of(definition with { Model = "other" }, [PromptMessage.User("ab"), PromptMessage.User("c")]);

        new[] { ab, a, role, model }.Should().OnlyHaveUniqueItems();
        JournalFingerprint.Of(definition, [PromptMessage.User("ab"), PromptMessage.User("c")]).Should().Be(ab);
        JournalFingerprint.TryParse(System.Text.Encoding.ASCII.GetBytes(ab.ToString()), out JournalFingerprint parsed).Should().BeTrue();
        parsed.Should().Be(ab);
        JournalFingerprint.TryParse("XYZ"u8, out _).Should().BeFalse();
        JournalFingerprint.TryParse(System.Text.Encoding.ASCII.GetBytes(ab.ToString().ToUpperInvariant()), out _).Should().BeFalse();
    }

    [Fact]
    public void Definition_differences_name_the_first_field_that_differs()
    {
        var journaled = new JournalDefinition("chat", "op", "m1", "temperature=0.3", "text");
        journaled.DescribeDifference(journaled with { }).Should().BeNull();
        (journaled with { Model = "m2" }).DescribeDifference(journaled).Should().Be("model: the journal has 'm1', this batch 'm2'");
        (journaled with { Settings = "temperature=1" }).DescribeDifference(journaled).Should().Be("settings: the journal has 'temperature=0.3', this batch 'temperature=1'");
        (journaled with { Schema = "json_schema" }).DescribeDifference(journaled).Should().StartWith("response format:");
        (journaled with { Operation = "other" }).DescribeDifference(journaled).Should().StartWith("operation:");
    }
}
