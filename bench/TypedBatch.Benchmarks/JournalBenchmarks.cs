using BenchmarkDotNet.Attributes;
using TypedBatch.Journaling;
using TypedBatch.Providers;

namespace TypedBatch.Benchmarks;

/// <summary>
/// What journaling one finished chat item costs the worker that finished it, piece by piece: the fingerprint of its
/// request, masking the answer of the providers' secrets, the whole append (serialize, mask, hand to the operating
/// system; the batched flush runs on the journal's own thread), and appends from many workers at once. Each iteration
/// gets a fresh journal file, so the file does not grow over the run.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10, invocationCount: 16384)]
public class JournalAppend
{
    private const int Concurrent = 32;

    private readonly JournalDefinition _definition = new("chat", "bench", "gpt-4o-mini", "{\"temperature\":0.3}", "text");
    private readonly ChatCompletion _completion = new()
    {
        Content = Payloads.TicketAnswer,
        FinishReason = "stop",
        Model = "gpt-4o-mini-2024-07-18",
        Id = "chatcmpl-D8dUjRkJNE7oAraZr6I7Jy8l3f2eU",
        Provider = "openai",
    };

    private readonly TokenUsage _usage = new(211, 58, 269);
    private readonly SecretRedactor _redactor = new("sk-proj-bench-0123456789abcdefghijklmnop", "ghu_benchCopilotToken0123456789");
    private readonly IReadOnlyList<PromptMessage> _messages = [PromptMessage.System("Classify the ticket."), PromptMessage.User(Payloads.TicketText)];
    private string _directory = null!;
    private JournalFile _file = null!;
    private JournalFingerprint _fingerprint;
    private int _index;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("typedbatch-journal-bdn-").FullName;
        _fingerprint = JournalFingerprint.Of(_definition, _messages);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [IterationSetup]
    public void OpenJournal()
    {
        _index = 0;
        _file = JournalFile.Open(BatchJournal.File(Path.Combine(_directory, $"{Guid.NewGuid():N}.jsonl")), _definition, true, _redactor, TimeProvider.System);
    }

    [IterationCleanup]
    public void CloseJournal()
    {
        _file.Dispose();
        File.Delete(_file.Path);
    }

    [Benchmark(Description = "Fingerprint (XXH128 of the request)")]
    public ulong Fingerprint() => JournalFingerprint.Of(_definition, _messages).High;

    [Benchmark(Description = "Mask the answer (no secret in it)")]
    public string Redact() => _redactor.Redact(_completion.Content);

    [Benchmark(Baseline = true, Description = "AppendCompletion, one worker")]
    public Task Append() => _file.AppendCompletion(_index++, _fingerprint, _completion, _usage, 1, 0);

    /// <summary>32 items finishing at once, as a batch at 32 in flight finishes them: 32 appends, then waiting for all; per item.</summary>
    [Benchmark(OperationsPerInvoke = Concurrent, Description = "AppendCompletion, 32 at once")]
    public Task AppendConcurrently()
    {
        var appends = new Task[Concurrent];
        for (int i = 0; i < Concurrent; i++)
        {
            appends[i] = _file.AppendCompletion(_index++, _fingerprint, _completion, _usage, 1, 0);
        }

        return Task.WhenAll(appends);
    }
}
