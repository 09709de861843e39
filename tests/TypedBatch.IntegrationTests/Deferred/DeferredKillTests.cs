using System.Diagnostics;
using TypedBatch.Emulator;
using TypedBatch.JournalHost;

namespace TypedBatch.IntegrationTests.Deferred;

/// <summary>
/// Deferred mode's durability end to end: a child process submits a journaled deferred batch and is killed with SIGKILL
/// while its remote batches run; the same batch run again here attaches to them instead of submitting again.
/// </summary>
public sealed class DeferredKillTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-deferred-kill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_deferred_batch_killed_with_SIGKILL_attaches_to_its_remote_batches_on_the_rerun()
    {
        const int count = 200, perBatch = 50, shards = count / perBatch;
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            BatchStep = TimeSpan.FromMilliseconds(250),
            BatchLinesPerStep = 25,
        });
        string path = Path.Combine(_directory, "killed.jsonl");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "TypedBatch.JournalHost.dll"), emulator.BaseUrl.ToString(), emulator.Options.ApiKey ?? "-", path, $"{count}", "8", "deferred", $"{perBatch}" })
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start)!;
        Task<string> errors = child.StandardError.ReadToEndAsync();

        // Kill as soon as the child says every remote batch is submitted and journaled.
        string? line;
        while ((line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2))) is not null && line != $"remote {shards}")
        {
        }

        child.Kill();
        await child.WaitForExitAsync();
        line.Should().Be($"remote {shards}", $"the host should submit {shards} remote batches before it ends: {await errors}");
        (await child.StandardOutput.ReadToEndAsync()).Should().NotContain("done", "the host was killed before it finished");
        emulator.GetStats().BatchesCreated.Should().Be(shards);

        using TypedBatchClient client = EmulatorClients.Create(emulator);
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            JournalHostInputs.Create(count),
            new BatchOptions
            {
                Journal = BatchJournal.File(path),
                Mode = BatchMode.Deferred,
                Deferred = new DeferredOptions { MaxRequestsPerBatch = perBatch, PollInterval = TimeSpan.FromMilliseconds(100), MaxPollInterval = TimeSpan.FromMilliseconds(200) },
            });

        EmulatorStats stats = emulator.GetStats();
        stats.BatchesCreated.Should().Be(shards, "the rerun attached to the remote batches the killed process journaled");
        stats.FilesUploaded.Should().Be(shards);
        stats.ChatRequestsReceived.Should().Be(0);
        stats.BatchAnswersByFingerprint.Should().HaveCount(count);
        stats.BatchAnswersByFingerprint.Values.Should().OnlyContain(answers => answers == 1, "every request was answered once, by the batches the killed process submitted");
        result.Count.Should().Be(count);
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, count));
        result.AllSucceeded.Should().BeTrue();
        result.DeferredCount.Should().Be(count);
        result.FromJournalCount.Should().Be(0, "the killed process had read nothing back");
        File.ReadLines(path).Count(l => l.Contains("\"remote\":\"done\"", StringComparison.Ordinal)).Should().Be(shards);
    }
}
