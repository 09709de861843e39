using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;
using Xunit.Abstractions;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>Issue 9, finding 11: a cancelled batch hands back the work that finished, at once.</summary>
public sealed class CancellationPartialTests(ITestOutputHelper output)
{
    private const int Answered = 100;
    private const int Workers = 16;

    /// <summary>Only keeps a broken build from hanging the run; no assertion depends on how long anything took.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    /// <summary>The first 100 inputs are answered; every later one hangs until the client goes away.</summary>
    private static IEnumerable<IReadOnlyList<PromptMessage>> LazyInputs(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return i < Answered ? Conversation(i) : [PromptMessage.User($"item {i} [[hang]]")];
        }
    }

    [Fact]
    public async Task A_cancelled_batch_throws_at_once_with_the_finished_items_and_the_started_ones_cancelled()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        using var cts = new CancellationTokenSource();
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new BatchOptions
        {
            MaxConcurrency = Workers,
            Progress = new SyncProgress(p =>
            {
                if (p.Completed >= Answered)
                {
                    answered.TrySetResult();
                }
            }),
        };

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(LazyInputs(10_000), options, cts.Token);
        await answered.Task.WaitAsync(HangGuard);
        await WaitUntilAsync(() => emulator.GetStats().ChatRequestsReceived >= Answered + Workers); // the hung ones are in flight

        // The hung requests never finish while the client lives, so the batch throwing at all proves they did not hold
        // the caller; the emulator's counter shows none of them was answered. The WaitAsync is only a hang guard.
        await cts.CancelAsync();
        Func<Task> act = () => batch.WaitAsync(HangGuard);
        BatchCanceledException<ChatCompletion> thrown = (await act.Should().ThrowAsync<BatchCanceledException<ChatCompletion>>()).Which;
        output.WriteLine($"started {thrown.Started}, completed {thrown.Completed}");

        emulator.GetStats().ChatRequestsReceived.Should().BeGreaterThanOrEqualTo(Answered + Workers, "the hung requests were sent and are still open");
        thrown.Should().BeAssignableTo<OperationCanceledException>();
        thrown.CancellationToken.Should().Be(cts.Token);
        BatchResult<ChatCompletion> partial = thrown.Partial;
        partial.Count.Should().Be(thrown.Started).And.BeInRange(Answered + Workers, Answered + Workers + 1, "every taken input once, none that was never taken");
        thrown.Completed.Should().Be(Answered);
        partial.Select(i => i.Index).Should().Equal(Enumerable.Range(0, partial.Count));
        partial.Take(Answered).Should().OnlyContain(i => i.Succeeded);
        partial[7].Value!.Content.Should().Be("Re: item 7");
        partial.Skip(Answered).Should().OnlyContain(i => !i.Succeeded && i.Error!.Kind == BatchErrorKind.Cancelled);
        partial.SucceededCount.Should().Be(Answered);
    }

    [Fact]
    public async Task A_cancelled_generated_embedding_batch_keeps_its_mapped_values()
    {
        const int Embedded = 10;
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => o.EmbeddingInputsPerRequest = 1);
        ITutor tutor = client.For<ITutor>();
        using var cts = new CancellationTokenSource();
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new BatchOptions
        {
            MaxConcurrency = 4,
            Progress = new SyncProgress(p =>
            {
                if (p.Completed >= Embedded)
                {
                    answered.TrySetResult();
                }
            }),
        };
        IEnumerable<string> texts = Enumerable.Range(0, 1000).Select(i => i < Embedded ? $"text {i}" : $"text {i} [[hang]]");

        Task<BatchResult<float[]>> batch = tutor.EmbedFloatsBatchAsync(texts, options, cts.Token);
        await answered.Task.WaitAsync(HangGuard);
        await WaitUntilAsync(() => emulator.GetStats().EmbeddingRequestsReceived >= Embedded + 4);
        await cts.CancelAsync();
        Func<Task> act = () => batch.WaitAsync(HangGuard);

        BatchCanceledException<float[]> thrown = (await act.Should().ThrowAsync<BatchCanceledException<float[]>>()).Which;
        thrown.Completed.Should().Be(Embedded);
        thrown.Partial.Take(Embedded).Should().OnlyContain(i => i.Succeeded && i.Value!.Length > 0);
        thrown.Partial.Skip(Embedded).Should().NotBeEmpty().And.OnlyContain(i => i.Error!.Kind == BatchErrorKind.Cancelled);
    }

    [Fact]
    public async Task A_cancelled_as_completed_stream_throws_a_plain_operation_canceled_exception()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        using var cts = new CancellationTokenSource();
        int seen = 0;

        Func<Task> act = async () =>
        {
            await foreach (BatchItem<ChatCompletion> item in client.CreateChatCompletionsAsCompletedAsync(LazyInputs(10_000), new BatchOptions { MaxConcurrency = Workers }, cts.Token))
            {
                item.Succeeded.Should().BeTrue();
                if (++seen == Answered)
                {
                    await cts.CancelAsync();
                }
            }
        };

        (await act.Should().ThrowAsync<OperationCanceledException>()).Which.Should().NotBeAssignableTo<BatchCanceledException>("every finished item was already yielded");
        seen.Should().Be(Answered);
    }

    /// <summary>Polls a counter; the bound on polls is a hang guard, not a time limit on the behaviour.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 12_000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        condition().Should().BeTrue();
    }

    /// <summary>Reports on the worker's own thread, so the test sees each count as it happens.</summary>
    private sealed class SyncProgress(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
