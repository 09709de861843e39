using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// Over real HTTP, from the server's side: a burst of 429s cuts how many requests reach the emulator at once, and
/// cancelling a batch mid-hang or mid-Retry-After is honoured at once and sends nothing more. Real time only makes
/// requests travel; pass or fail is decided by the emulator's counters. The cut test fails when
/// AdaptiveConcurrency.EnterAsync compares against Max instead of the cut limit (checked locally).
/// </summary>
public sealed class ConcurrencyCutOverHttpTests
{
    private const int Workers = 10;
    private const int Burst = 10;

    [Fact]
    public async Task After_a_burst_of_429s_the_emulator_never_sees_more_requests_at_once_than_the_cut_limit()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        using var cts = new CancellationTokenSource();

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(BurstThenHang(), new BatchOptions { MaxConcurrency = Workers }, cts.Token);

        // Every burst item was answered (429, then 200 on its retry): from here on only hanging requests arrive.
        await WaitUntilAsync(() => emulator.GetStats().ChatRequestsServed == Burst, emulator);
        emulator.ResetStats(); // the peak now counts from the requests still in flight
        await Task.Delay(300); // time for any request the cut should have held back to arrive too

        // The cut takes 10 to 7 (once per cooldown); the ten successes of the burst's retries grow it by about 1/7
        // each, to at most 8. The hanging requests never succeed, so it grows no further.
        EmulatorStats after = emulator.GetStats();
        await cts.CancelAsync();
        after.MaxConcurrentRequests.Should().BeInRange(1, 8, "the cut limit holds requests back after the burst");

        Func<Task> cancelled = () => batch.WaitAsync(TimeSpan.FromMinutes(1)); // hang guard only
        await cancelled.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Without_adaptive_concurrency_the_peak_returns_to_max_concurrency_after_the_burst()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        using var cts = new CancellationTokenSource();

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(
            BurstThenHang(), new BatchOptions { MaxConcurrency = Workers, AdaptiveConcurrency = false }, cts.Token);

        await WaitUntilAsync(() => emulator.GetStats().ChatRequestsServed == Burst, emulator);
        emulator.ResetStats();
        await WaitUntilAsync(() => emulator.GetStats().MaxConcurrentRequests == Workers, emulator); // fails if held back

        await cts.CancelAsync();
        Func<Task> cancelled = () => batch.WaitAsync(TimeSpan.FromMinutes(1));
        await cancelled.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Cancelling_mid_hang_ends_the_batch_at_once_and_sends_nothing_more()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        using var cts = new CancellationTokenSource();
        var seen = new List<BatchItem<ChatCompletion>>();

        Task stream = ConsumeAsync(client.CreateChatCompletionsAsCompletedAsync(Hanging(40), new BatchOptions { MaxConcurrency = 4 }, cts.Token), seen);
        await WaitUntilAsync(() => emulator.GetStats().ChatRequestsReceived == 4, emulator);
        await cts.CancelAsync();

        // The server would answer in 60 s: the stream can only end now by honouring the token.
        Func<Task> act = () => stream.WaitAsync(TimeSpan.FromMinutes(1));
        (await act.Should().ThrowAsync<OperationCanceledException>()).Which.Should().NotBeOfType<TimeoutException>();
        seen.Should().BeEmpty("no hanging item is reported, least of all as a timeout");
        long received = emulator.GetStats().ChatRequestsReceived;
        await Task.Delay(200);
        emulator.GetStats().ChatRequestsReceived.Should().Be(received, "no request is sent after cancellation").And.Be(4);
    }

    [Fact]
    public async Task Cancelling_during_a_retry_after_wait_ends_the_batch_at_once_and_sends_no_retry()
    {
        // A 30 s Retry-After: had the wait not ended with the token, the batch would end only after the retries went
        // out, and the emulator would count them.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        using var cts = new CancellationTokenSource();

        Task<BatchResult<ChatCompletion>> batch = client.CreateChatCompletionsBatchAsync(
            [[PromptMessage.User("wait [[fail:429:1]] [[retry-after:30]]")]], cancellationToken: cts.Token);
        await WaitUntilAsync(() => emulator.GetStats().ChatRequestsFailed == 1, emulator);
        await Task.Delay(100); // let the 429s reach the client and its retry wait begin
        await cts.CancelAsync();

        Func<Task> act = () => batch.WaitAsync(TimeSpan.FromMinutes(1)); // hang guard only
        (await act.Should().ThrowAsync<OperationCanceledException>()).Which.CancellationToken.Should().Be(cts.Token);
        long received = emulator.GetStats().ChatRequestsReceived;
        await Task.Delay(200);
        emulator.GetStats().ChatRequestsReceived.Should().Be(received).And.Be(1, "the batch ended before the retry was due, and it was never sent");
    }

    private static IEnumerable<IReadOnlyList<PromptMessage>> BurstThenHang()
    {
        for (int i = 0; i < Burst; i++)
        {
            yield return [PromptMessage.User($"burst {i} [[fail:429:1]] [[retry-after-ms:50]]")];
        }

        foreach (IReadOnlyList<PromptMessage> hanging in Hanging(30))
        {
            yield return hanging;
        }
    }

    private static IEnumerable<IReadOnlyList<PromptMessage>> Hanging(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return [PromptMessage.User($"hang {i} [[delay:60000]]")];
        }
    }

    private static async Task ConsumeAsync(IAsyncEnumerable<BatchItem<ChatCompletion>> items, List<BatchItem<ChatCompletion>> seen)
    {
        await foreach (BatchItem<ChatCompletion> item in items)
        {
            seen.Add(item);
        }
    }

    // Polls a server counter; the limit only keeps a broken run from hanging, it never decides a passing one.
    private static async Task WaitUntilAsync(Func<bool> condition, EmulatorServer? emulator = null)
    {
        for (int i = 0; !condition(); i++)
        {
            if (i == 1000)
            {
                throw new TimeoutException("The emulator never got there: " + emulator?.GetStats());
            }

            await Task.Delay(10);
        }
    }
}
