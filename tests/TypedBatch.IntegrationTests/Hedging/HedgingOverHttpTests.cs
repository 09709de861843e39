using System.Diagnostics;
using TypedBatch.Emulator;
using Xunit.Abstractions;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests.Hedging;

/// <summary>
/// Stragglers over real HTTP: the emulator accepts a seeded share of requests and never answers them (a fresh draw per
/// receipt, so a hedge of a hung request is answered unless it draws a hang too). A hedge per hung request, and no
/// other, is what the emulator's counters must show.
/// </summary>
public sealed class HedgingOverHttpTests(ITestOutputHelper output)
{
    private const int Items = 1_000;
    private static readonly TimeSpan Floor = TimeSpan.FromSeconds(1);

    private static EmulatorOptions Server(double hangRate) => new()
    {
        Latency = TimeSpan.FromMilliseconds(20),
        LatencyJitter = TimeSpan.FromMilliseconds(20),
        HangRate = hangRate,
        FaultSeed = 7,
    };

    private static List<IReadOnlyList<PromptMessage>> Batch() => [.. Enumerable.Range(0, Items).Select(Conversation)];

    private static BatchOptions Options(BatchHedging? hedging = null) => new() { MaxConcurrency = 32, Hedging = hedging ?? new BatchHedging { Floor = Floor } };

    [Fact]
    public async Task A_batch_where_one_percent_of_requests_hang_finishes_near_its_no_hang_time_with_every_item()
    {
        TimeSpan baseline;
        await using (EmulatorServer calm = await EmulatorServer.StartAsync(Server(hangRate: 0)))
        await using (TypedBatchClient client = Create(calm))
        {
            var watch = Stopwatch.StartNew();
            BatchResult<ChatCompletion> clean = await client.CreateChatCompletionsBatchAsync(Batch(), Options());
            baseline = watch.Elapsed;
            clean.AllSucceeded.Should().BeTrue();
            clean.HedgedCount.Should().Be(0, "nothing hung");
        }

        await using EmulatorServer emulator = await EmulatorServer.StartAsync(Server(hangRate: 0.01));
        var logs = new ListLoggerProvider();
        using Microsoft.Extensions.Logging.ILoggerFactory loggerFactory = logs.CreateFactory();
        // Without hedging each hung request would hold its item for the attempt timeout.
        await using TypedBatchClient hedged = Create(emulator, o => o.AttemptTimeout = TimeSpan.FromMinutes(2), loggerFactory);
        var stopwatch = Stopwatch.StartNew();

        BatchResult<ChatCompletion> result = await hedged.CreateChatCompletionsBatchAsync(Batch(), Options());

        TimeSpan elapsed = stopwatch.Elapsed;
        output.WriteLine($"no hangs: {baseline.TotalSeconds:F2} s; 1 % hanging: {elapsed.TotalSeconds:F2} s, {result.HedgedCount} hedged ({elapsed / baseline:F2}x)");
        result.Should().HaveCount(Items);
        result.AllSucceeded.Should().BeTrue("a hung request's hedge answers it");
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, Items));
        result.Select(item => item.Value!.Content).Should().Equal(Enumerable.Range(0, Items).Select(i => $"Re: item {i}"));

        EmulatorStats stats = emulator.GetStats();
        long hung = stats.InjectedFaults.Hang;
        hung.Should().BeInRange(3, 30, "a 1 % seeded rate over 1,000 requests");
        result.HedgedCount.Should().Be((int)hung, "every hung request, and no other, was hedged");
        result.Where(item => item.Hedged).Should().OnlyContain(item => item.Usage.TotalTokens > 0 && item.Attempts == 1);
        stats.ChatRequestsReceived.Should().Be(Items + hung, "one hedge per hung request");
        logs.Lines.Should().Contain(l => l.Contains($"chat batch: {hung} slow request(s) hedged, {hung} answered first by the hedge", StringComparison.Ordinal));

        // The bound: at most twice the no-hang time plus the hedge floor (a few seconds of slack for a shared machine).
        elapsed.Should().BeLessThan(baseline * 2 + Floor + TimeSpan.FromSeconds(5), $"the batch without hangs took {baseline.TotalSeconds:F2} s");
    }

    [Fact]
    public async Task A_streamed_batch_hedges_streams_that_hand_out_nothing_but_not_streams_already_under_way()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(Server(hangRate: 0.01));
        await using TypedBatchClient client = Create(emulator, o => o.AttemptTimeout = TimeSpan.FromMinutes(2));
        // The last ten drip their four chunks 400 ms apart: 1.6 s in all, past the 1 s floor, but their first piece
        // comes at 400 ms, so they are not hedged (a drip re-drawn as a hang would be, so they are all drips here).
        List<IReadOnlyList<PromptMessage>> batch = Batch();
        for (int i = Items - 10; i < Items; i++)
        {
            batch[i] = [PromptMessage.System("You are terse."), PromptMessage.User($"slow item {i} [[drip-stream:400]]")];
        }

        string?[] texts = new string?[Items];
        var finals = new BatchItem<string>?[Items];
        await foreach (BatchDelta delta in client.StreamChatCompletionsBatchAsync(batch, Options()))
        {
            if (delta.Item is { } item)
            {
                finals[delta.Index] = item;
            }
            else
            {
                texts[delta.Index] += delta.Text;
            }
        }

        EmulatorStats stats = emulator.GetStats();
        long hung = stats.InjectedFaults.Hang;
        hung.Should().BeGreaterThan(0);
        finals.Should().OnlyContain(item => item != null && item.Value.Succeeded, "a hung stream's hedge answers it");
        finals.Select((item, i) => item!.Value.Value == texts[i]).Should().OnlyContain(same => same);
        finals.Count(item => item!.Value.Hedged).Should().Be((int)hung, "every hung stream, and no other, was hedged");
        finals.Skip(Items - 10).Should().OnlyContain(item => !item!.Value.Hedged, "a stream under way is never hedged");
        stats.ChatRequestsReceived.Should().Be(Items + hung);
    }

    [Fact]
    public async Task Uniform_latencies_get_no_hedge_even_without_a_floor()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(Server(hangRate: 0));
        await using TypedBatchClient client = Create(emulator);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Batch(), Options(new BatchHedging { Floor = TimeSpan.Zero }));

        result.AllSucceeded.Should().BeTrue();
        result.HedgedCount.Should().Be(0, "no request took three times the p95 of 20-40 ms answers");
        emulator.GetStats().ChatRequestsReceived.Should().Be(Items);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_request_that_hangs_every_time_fails_its_item_at_the_attempt_timeout_hedged_or_not(bool hedging)
    {
        // A marker in the text hangs every receipt: a hedge hangs too, and the item fails when its first request times out.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(Server(hangRate: 0));
        await using TypedBatchClient client = Create(emulator, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(4);
            o.MaxRetries = 0;
        });
        var batch = Batch().Take(100).ToList();
        batch[99] = [PromptMessage.User("the last one [[hang]]")];

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(batch, Options(hedging ? null : BatchHedging.Disabled with { Floor = TimeSpan.Zero }));

        result.Take(99).Should().OnlyContain(item => item.Succeeded);
        result[99].Error!.Kind.Should().Be(BatchErrorKind.Timeout, "the item fails as the request it sent first");
        result.HedgedCount.Should().Be(0, "a failed item has no answer to mark");
        int hedges = hedging ? 1 : 0;
        emulator.GetStats().ChatRequestsReceived.Should().Be(100 + hedges, "one hedge when hedging, for the hung request only");
        emulator.GetStats().InjectedFaults.Hang.Should().Be(1 + hedges);
    }
}
