using System.Text.Json;
using TypedBatch.Journaling;
using TypedBatch.Providers;

namespace TypedBatch.Tests;

/// <summary>The journal's grouped writes: many workers appending at once, each line whole, once, and written before its append returns.</summary>
public sealed class JournalConcurrencyTests : IDisposable
{
    private const string Secret = "sk-concurrency-secret-0123456789";
    private static readonly JournalDefinition Definition = new("chat", "op", "m", "s", "text");

    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-journal-concurrency-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(Durability.Batched, 48, 3000)]
    [InlineData(Durability.EveryItem, 16, 200)]
    public async Task Concurrent_appends_journal_every_item_once_as_a_whole_line(Durability durability, int writers, int perWriter)
    {
        string path = Path.Combine(_directory, $"{durability}.jsonl");
        var redactor = new SecretRedactor(Secret);
        using (var file = JournalFile.Open(BatchJournal.File(path, durability: durability), Definition, retryFailures: false, redactor, TimeProvider.System))
        {
            Task[] workers = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                for (int k = 0; k < perWriter; k++)
                {
                    int index = (w * perWriter) + k;
                    if (index % 10 == 3)
                    {
                        await file.AppendFailure(index, FingerprintOf(index), new BatchError(BatchErrorKind.Http, $"failed {index} with {Secret}"), default, 2, 0);
                    }
                    else
                    {
                        await file.AppendCompletion(index, FingerprintOf(index), new ChatCompletion { Content = ContentOf(index), Provider = "p" }, new TokenUsage(index, 1, index + 1), 1, 0);
                    }
                }
            })).ToArray();
            await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(5));
        }

        int total = writers * perWriter;
        string[] lines = File.ReadAllLines(path);
        lines.Should().HaveCount(total + 1, "a header and one line per item");
        File.ReadAllText(path).Should().EndWith("\n").And.NotContain(Secret);
        bool[] seen = new bool[total];
        foreach (string line in lines.Skip(1))
        {
            using var document = JsonDocument.Parse(line);
            int index = document.RootElement.GetProperty("i").GetInt32();
            seen[index].Should().BeFalse($"input {index} is journaled once");
            seen[index] = true;
        }

        seen.Should().AllSatisfy(s => s.Should().BeTrue());

        // Reopened, every line indexes and reads back as the item it was written for.
        using var reopened = JournalFile.Open(BatchJournal.File(path), Definition, retryFailures: false, redactor, TimeProvider.System);
        reopened.TornBytes.Should().Be(0);
        reopened.EntryCount.Should().Be(total);
        for (int index = 0; index < total; index++)
        {
            JournalLookup lookup = reopened.Lookup(index, FingerprintOf(index));
            lookup.Replay.Should().BeTrue();
            JournalEntry entry = reopened.Read(index, lookup);
            if (index % 10 == 3)
            {
                entry.Succeeded.Should().BeFalse();
                entry.Message.Should().Be($"failed {index} with ***");
            }
            else
            {
                entry.Succeeded.Should().BeTrue();
                entry.Content.Should().Be(ContentOf(index));
                entry.Usage.Should().Be(new TokenUsage(index, 1, index + 1));
            }
        }
    }

    [Fact]
    public async Task An_append_has_reached_the_file_when_it_returns()
    {
        string path = Path.Combine(_directory, "written.jsonl");
        using var file = JournalFile.Open(BatchJournal.File(path), Definition, true, SecretRedactor.None, TimeProvider.System);
        for (int index = 0; index < 100; index++)
        {
            long before = new FileInfo(path).Length;
            await file.AppendCompletion(index, FingerprintOf(index), new ChatCompletion { Content = ContentOf(index) }, default, 1, 0);
            new FileInfo(path).Length.Should().BeGreaterThan(before, "the line is handed to the operating system before the item is reported");
        }
    }

    private static JournalFingerprint FingerprintOf(int index) => JournalFingerprint.Of(Definition, [PromptMessage.User($"item {index}")]);

    // Lines of different lengths, some with characters JSON escapes, so a torn or interleaved write would not parse.
    private static string ContentOf(int index) => $"answer {index} \"quoted\"\n{new string('x', index % 97)}";
}
