using System.Diagnostics;
using System.Text.Json;
using TypedBatch.Emulator;
using TypedBatch.JournalHost;

namespace TypedBatch.IntegrationTests.Journal;

/// <summary>
/// The durability promise end to end: a child process runs a journaled batch against the emulator and is killed with
/// SIGKILL mid-batch; the same batch run again here sends only what the journal does not have.
/// </summary>
public sealed class KillAndResumeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-kill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_batch_killed_with_SIGKILL_resumes_without_sending_any_journaled_item_again()
    {
        const int count = 2_000, concurrency = 8;
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Latency = TimeSpan.FromMilliseconds(5) });
        string path = Path.Combine(_directory, "killed.jsonl");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "TypedBatch.JournalHost.dll"), emulator.BaseUrl.ToString(), emulator.Options.ApiKey ?? "-", path, $"{count}", $"{concurrency}" })
        {
            start.ArgumentList.Add(argument);
        }

        using Process child = Process.Start(start)!;
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        Task<string> errors = child.StandardError.ReadToEndAsync();

        // Kill once more than a third of the batch has reached the server. The loop's bound only turns a hang into a failure.
        for (int i = 0; i < 12_000 && emulator.GetStats().ChatRequestsReceived < count * 35 / 100; i++)
        {
            if (child.HasExited)
            {
                Assert.Fail($"The host ended before it was killed (exit code {child.ExitCode}): {await output} {await errors}");
            }

            await Task.Delay(5);
        }

        child.Kill();
        await child.WaitForExitAsync();
        (await output).Should().Contain("started").And.NotContain("done", "the host was killed before it finished");

        IReadOnlySet<int> journaled = SucceededIndexes(path);
        journaled.Count.Should().BeGreaterThanOrEqualTo(count * 30 / 100, "at least 30 % of the batch was done and journaled at the kill");
        journaled.Count.Should().BeLessThan(count);

        using TypedBatchClient client = EmulatorClients.Create(emulator);
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            JournalHostInputs.Create(count), new BatchOptions { Journal = BatchJournal.File(path), MaxConcurrency = concurrency });

        result.Count.Should().Be(count);
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, count));
        result.AllSucceeded.Should().BeTrue();
        result.FromJournalCount.Should().Be(journaled.Count);
        result.Where(item => item.FromJournal).Select(item => item.Index).Should().BeEquivalentTo(journaled);

        EmulatorStats stats = emulator.GetStats();
        List<IReadOnlyList<PromptMessage>> inputs = [.. JournalHostInputs.Create(count)];
        for (int i = 0; i < count; i++)
        {
            long received = stats.ByFingerprint[EmulatorClients.FingerprintOf(client.Options.Model, inputs[i])].Received;
            if (journaled.Contains(i))
            {
                received.Should().Be(1, $"input {i} was journaled as done before the kill and must not be sent again");
            }
            else
            {
                received.Should().BeInRange(1, 2, $"input {i} is sent once more at most (if it was in flight at the kill)");
            }
        }

        (stats.ChatRequestsReceived - count).Should().BeLessThanOrEqualTo(concurrency, "only the requests in flight at the kill are sent twice");
    }

    /// <summary>The indexes the journal holds as succeeded; a torn last line is skipped, as the library does.</summary>
    private static HashSet<int> SucceededIndexes(string path)
    {
        var done = new HashSet<int>();
        foreach (string line in File.ReadLines(path).Skip(1))
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException)
            {
                continue;
            }

            using (document)
            {
                if (document.RootElement.GetProperty("ok").GetBoolean())
                {
                    done.Add(document.RootElement.GetProperty("i").GetInt32());
                }
            }
        }

        return done;
    }
}
