using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// The batch summary lines the README documents, captured exactly, under a German current culture (decimal comma,
/// different percent format) to prove they are written in the invariant culture. Checked by formatting the
/// temperature with the current culture (the lazy test fails on "1,5") and by logging the per-provider line for a
/// single provider (the tests counting lines fail).
/// </summary>
public sealed partial class BatchSummaryLogTests : IAsyncLifetime
{
    private const string Runner = "TypedBatch.BatchRunner";
    private readonly CapturingLoggerProvider _logs = new();
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    // Set inside each test: the culture flows with the test's async context into the batch's workers, and back out
    // of it nowhere else.
    private static void UseGermanCulture()
    {
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo("de-DE");
    }

    [Fact]
    public async Task A_batch_logs_the_documented_start_and_finish_lines_in_the_invariant_culture()
    {
        UseGermanCulture();
        (1.5).ToString(CultureInfo.CurrentCulture).Should().Be("1,5");
        await using TypedBatchClient client = Create(_emulator, loggerFactory: _logs.CreateFactory());

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 8).Select(Conversation).ToList());

        result.AllSucceeded.Should().BeTrue();
        string[] lines = _logs.Messages(Runner, LogLevel.Information);
        lines.Should().HaveCount(2, "no throttle line without throttles, no per-provider line with one provider");
        lines[0].Should().Be("Starting chat batch: size 8, workers 10, model gpt-4o-mini, temperature 0.3, max tokens 200, provider " + client.Provider.Name);
        lines[1].Should().MatchRegex(FinishedLine(8, 8, "100.0 %"));
    }

    [Fact]
    public async Task A_journaled_batch_logs_how_many_items_came_from_the_journal_and_how_many_ran()
    {
        UseGermanCulture();
        string path = Path.Combine(Path.GetTempPath(), $"typedbatch-log-{Guid.NewGuid():N}.jsonl");
        try
        {
            await using TypedBatchClient client = Create(_emulator, loggerFactory: _logs.CreateFactory());
            await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 3).Select(Conversation).ToList(), new BatchOptions { Journal = BatchJournal.File(path) });
            _logs.Messages(Runner, LogLevel.Information).Should().HaveCount(3)
                .And.HaveElementAt(2, $"chat batch journal: 0 item(s) from the journal, 3 run; journal {path}");

            _logs.Clear();
            await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 5).Select(Conversation).ToList(), new BatchOptions { Journal = BatchJournal.File(path) });
            _logs.Messages(Runner, LogLevel.Information)[2].Should().Be($"chat batch journal: 3 item(s) from the journal, 2 run; journal {path}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_lazy_input_logs_an_unknown_size()
    {
        UseGermanCulture();
        await using TypedBatchClient client = Create(_emulator, loggerFactory: _logs.CreateFactory());

        await client.CreateChatCompletionsBatchAsync(Lazy(3), temperature: 1.5, maxTokens: 20, maxWorkers: 2);

        string[] lines = _logs.Messages(Runner, LogLevel.Information);
        lines[0].Should().Be("Starting chat batch: size unknown (lazy), workers 2, model gpt-4o-mini, temperature 1.5, max tokens 20, provider " + client.Provider.Name);
        lines[1].Should().MatchRegex(FinishedLine(3, 3, "100.0 %"));
    }

    [Fact]
    public async Task Throttles_add_their_own_line()
    {
        UseGermanCulture();
        await using TypedBatchClient client = Create(_emulator, loggerFactory: _logs.CreateFactory());

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            [[PromptMessage.User("slow down [[fail:429:1]] [[retry-after-ms:10]]")], [PromptMessage.User("fine")]]);

        result.AllSucceeded.Should().BeTrue();
        string[] lines = _logs.Messages(Runner, LogLevel.Information);
        lines.Should().HaveCount(3);
        lines[2].Should().Be("chat batch saw 1 429 response(s): concurrency went down to 7 and ended at 7 of 10");
    }

    [Fact]
    public async Task A_fallback_chain_logs_how_many_items_each_provider_answered()
    {
        UseGermanCulture();
        await using EmulatorServer failing = await EmulatorServer.StartAsync(new EmulatorOptions { FailEveryNth = 2, FailStatus = 500 });
        await using TypedBatchClient client = Create(failing, o =>
        {
            o.MaxRetries = 0;
            o.CircuitBreakFailures = 100;
            o.Fallbacks = [new ProviderOptions { Name = "backup", BaseUrl = _emulator.BaseUrl }];
        }, _logs.CreateFactory());

        // One worker makes arrivals deterministic: every second request to the primary fails and goes to the backup.
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 6).Select(Conversation).ToList(), maxWorkers: 1);

        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        string[] lines = _logs.Messages(Runner, LogLevel.Information);
        lines.Should().HaveCount(3);
        lines[2].Should().MatchRegex(@"^chat batch items per provider: backup 3, \S+ 3$");
    }

    [Fact]
    public async Task A_throwing_progress_handler_logs_a_warning_and_the_batch_finishes()
    {
        UseGermanCulture();
        await using TypedBatchClient client = Create(_emulator, loggerFactory: _logs.CreateFactory());
        var progress = new ThrowingProgress();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 5).Select(Conversation).ToList(), new BatchOptions { Progress = progress });

        result.AllSucceeded.Should().BeTrue();
        progress.Calls.Should().BeGreaterThan(0);
        _logs.Messages(Runner, LogLevel.Warning).Should().NotBeEmpty()
            .And.OnlyContain(m => m == "The batch's progress handler threw; the batch goes on");
        _logs.Messages(Runner, LogLevel.Information).Should().HaveCount(2).And.Contain(m => m.StartsWith("Finished chat batch in ", StringComparison.Ordinal));
    }

    private static IEnumerable<IReadOnlyList<PromptMessage>> Lazy(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return Conversation(i);
        }
    }

    private static string FinishedLine(int succeeded, int total, string rate)
        => $@"^Finished chat batch in \d+\.\d\ds: {succeeded}/{total} succeeded \({Regex.Escape(rate)}\), \d+\.\d\d completions/s, peak concurrency \d+; tokens prompt [1-9]\d*, completion [1-9]\d*, total [1-9]\d*; cost \$0$";

    private sealed class ThrowingProgress : IProgress<BatchProgress>
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Report(BatchProgress value)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("progress handler bug");
        }
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

        public void Dispose()
        {
        }

        public ILoggerFactory CreateFactory() => LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(this));

        public void Clear() => _entries.Clear();

        public string[] Messages(string category, LogLevel level)
            => _entries.Where(e => e.Category == category && e.Level == level).Select(e => e.Message).ToArray();

        private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner._entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}
