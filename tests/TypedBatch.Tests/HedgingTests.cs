using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests;

/// <summary>The hedge delay from a batch's latencies, the hedge budget, and the race between a slow request and its hedge, on a fake clock.</summary>
public sealed class HedgingTests
{
    private static readonly BatchHedging Options = new() { Floor = TimeSpan.FromMilliseconds(100), MinSamples = 20, LatencyMultiple = 3 };

    [Fact]
    public void The_delay_waits_for_enough_samples_then_is_a_multiple_of_the_p95_or_the_floor()
    {
        var hedger = new Hedger(Options, new FakeTimeProvider());
        for (int i = 1; i < 20; i++)
        {
            hedger.Record(TimeSpan.FromMilliseconds(i * 10), maxTokens: 100);
        }

        hedger.IsReady.Should().BeFalse();
        hedger.TryGetDelay(100, out _).Should().BeFalse("19 samples are not enough");

        hedger.Record(TimeSpan.FromMilliseconds(200), maxTokens: 100);

        hedger.IsReady.Should().BeTrue();
        hedger.Ready.IsCompletedSuccessfully.Should().BeTrue();
        // 20 samples 10..200 ms: the 95th percentile is the 19th, 190 ms; three times that is 570 ms.
        hedger.TryGetDelay(100, out TimeSpan delay).Should().BeTrue();
        delay.Should().Be(TimeSpan.FromMilliseconds(570));
        hedger.TryGetDelay(400, out TimeSpan longer).Should().BeTrue();
        longer.Should().Be(TimeSpan.FromMilliseconds(2280), "a request allowed 4x the output tokens may take 4x as long");
        hedger.TryGetDelay(50, out TimeSpan shorter).Should().BeTrue();
        shorter.Should().Be(delay, "fewer tokens never shorten the delay");

        var fast = new Hedger(Options with { Floor = TimeSpan.FromSeconds(5) }, new FakeTimeProvider());
        for (int i = 0; i < 20; i++)
        {
            fast.Record(TimeSpan.FromMilliseconds(10), 100);
        }

        fast.TryGetDelay(100, out TimeSpan floored).Should().BeTrue();
        floored.Should().Be(TimeSpan.FromSeconds(5), "never sooner than the floor");
    }

    [Fact]
    public void Hedges_stay_within_the_fraction_of_requests_but_one_is_always_allowed()
    {
        var hedger = new Hedger(Options with { MaxHedgedFraction = 0.1 }, new FakeTimeProvider());
        hedger.CallStarted();
        hedger.TryStartHedge().Should().BeTrue("one hedge is always allowed");
        hedger.TryStartHedge().Should().BeFalse();
        for (int i = 0; i < 29; i++)
        {
            hedger.CallStarted();
        }

        hedger.TryStartHedge().Should().BeTrue("30 requests allow 3 hedges");
        hedger.TryStartHedge().Should().BeTrue();
        hedger.TryStartHedge().Should().BeFalse();
        hedger.Hedges.Should().Be(3);
    }

    [Fact]
    public void A_fraction_of_zero_allows_no_hedge()
    {
        var hedger = new Hedger(Options with { MaxHedgedFraction = 0 }, new FakeTimeProvider());
        hedger.CallStarted();
        hedger.TryStartHedge().Should().BeFalse();
    }

    [Fact]
    public async Task A_hedge_waiting_for_a_slot_gives_way_when_the_request_fails_so_a_full_batch_cannot_deadlock()
    {
        var time = new FakeTimeProvider();
        var hedger = new Hedger(Options with { MaxHedgedFraction = 1 }, time);
        for (int i = 0; i < 20; i++)
        {
            hedger.Record(TimeSpan.FromMilliseconds(100), 100);
        }

        // One slot, held by the item's own worker: the hedge can never get one.
        var concurrency = new AdaptiveConcurrency(1, time);
        await concurrency.EnterAsync(CancellationToken.None);
        var scope = new BatchScope(concurrency, null, null, hedger);
        var provider = new ScriptedProvider();
        var hedging = new HedgingChatProvider(provider);

        Task<ChatCompletion> call = Within(scope, () => hedging.CompleteAsync(Request(100)));
        time.Advance(TimeSpan.FromMilliseconds(300));
        provider.Calls[0].Fail(new ProviderException(BatchErrorKind.Http, "fake", "server error", 500));
        Func<Task> act = () => call.WaitAsync(TimeSpan.FromSeconds(10));

        (await act.Should().ThrowAsync<ProviderException>()).Which.StatusCode.Should().Be(500, "the request's own error, not a hang");
        provider.Calls.Should().HaveCount(1, "the hedge never got a slot, so it was not sent");
        hedger.Hedges.Should().Be(0, "a hedge that was not sent is not counted");
        concurrency.Exit();
        await concurrency.EnterAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(1)); // no slot was leaked
    }

    [Fact]
    public async Task A_request_slower_than_the_delay_gets_one_hedge_and_the_first_answer_wins()
    {
        var time = new FakeTimeProvider();
        (Hedger hedger, BatchScope scope) = ReadyScope(time);
        var provider = new ScriptedProvider();
        var hedging = new HedgingChatProvider(provider);

        Task<ChatCompletion> call = Within(scope, () => hedging.CompleteAsync(Request(maxTokens: 100)));
        provider.Calls.Should().HaveCount(1);
        time.Advance(TimeSpan.FromMilliseconds(299));
        provider.Calls.Should().HaveCount(1, "the delay (3 x 100 ms) has not passed");

        time.Advance(TimeSpan.FromMilliseconds(1));
        await provider.WaitForCallsAsync(2);
        provider.Calls[1].Answer(new ChatCompletion { Content = "hedge", Usage = new TokenUsage(10, 5, 15), Cost = 1m });
        ChatCompletion answer = await call;

        answer.Content.Should().Be("hedge");
        answer.Hedged.Should().BeTrue();
        answer.Usage.TotalTokens.Should().Be(15, "the slow request was cancelled before it answered");
        provider.Calls[0].Token.IsCancellationRequested.Should().BeTrue("the loser is cancelled");
        hedger.Hedges.Should().Be(1);
        hedger.Wins.Should().Be(1);
        scope.Concurrency.Limit.Should().Be(4);
    }

    [Fact]
    public async Task When_the_request_fails_after_its_hedge_was_sent_the_hedge_answers_and_when_both_fail_the_first_error_stands()
    {
        var time = new FakeTimeProvider();
        (_, BatchScope scope) = ReadyScope(time);
        var provider = new ScriptedProvider();
        var hedging = new HedgingChatProvider(provider);

        Task<ChatCompletion> rescued = Within(scope, () => hedging.CompleteAsync(Request(100)));
        time.Advance(TimeSpan.FromMilliseconds(300));
        await provider.WaitForCallsAsync(2);
        provider.Calls[0].Fail(new ProviderException(BatchErrorKind.Http, "fake", "first failed", 500));
        provider.Calls[1].Answer(new ChatCompletion { Content = "hedge" });
        (await rescued).Content.Should().Be("hedge");

        Task<ChatCompletion> failed = Within(scope, () => hedging.CompleteAsync(Request(100)));
        time.Advance(TimeSpan.FromMilliseconds(300));
        await provider.WaitForCallsAsync(4);
        provider.Calls[3].Fail(new ProviderException(BatchErrorKind.Http, "fake", "hedge failed", 502));
        provider.Calls[2].Fail(new ProviderException(BatchErrorKind.Timeout, "fake", "first timed out"));
        Func<Task> act = () => failed;
        (await act.Should().ThrowAsync<ProviderException>()).Which.Kind.Should().Be(BatchErrorKind.Timeout, "the item fails as the request it sent first");
    }

    [Fact]
    public async Task An_answer_before_the_delay_sends_no_hedge_and_both_answers_count_when_they_arrive_together()
    {
        var time = new FakeTimeProvider();
        (Hedger hedger, BatchScope scope) = ReadyScope(time);
        var provider = new ScriptedProvider();
        var hedging = new HedgingChatProvider(provider);

        Task<ChatCompletion> quick = Within(scope, () => hedging.CompleteAsync(Request(100)));
        time.Advance(TimeSpan.FromMilliseconds(250));
        provider.Calls[0].Answer(new ChatCompletion { Content = "quick" });
        (await quick).Hedged.Should().BeFalse();
        time.Advance(TimeSpan.FromSeconds(1));
        provider.Calls.Should().HaveCount(1);

        // The hedge answers at once, and by then the slow request has answered too: both were spent, both count.
        provider.OnCall = index =>
        {
            if (index != 2)
            {
                return null;
            }

            provider.Calls[1].Answer(new ChatCompletion { Content = "slow", Usage = new TokenUsage(1, 1, 2), Cost = 1m });
            return new ChatCompletion { Content = "hedge", Usage = new TokenUsage(10, 5, 15), Cost = 2m };
        };
        Task<ChatCompletion> both = Within(scope, () => hedging.CompleteAsync(Request(100)));
        time.Advance(TimeSpan.FromMilliseconds(300));
        ChatCompletion answer = await both;

        provider.Calls.Should().HaveCount(3);
        answer.Hedged.Should().BeTrue();
        answer.Content.Should().Be("slow", "of two answers already in, the request's own is taken");
        answer.Usage.TotalTokens.Should().Be(17);
        answer.Cost.Should().Be(3m);
        hedger.Wins.Should().Be(0);
        hedger.Hedges.Should().Be(1);
    }

    [Theory]
    [InlineData(nameof(BatchHedging.LatencyMultiple))]
    [InlineData(nameof(BatchHedging.Floor))]
    [InlineData(nameof(BatchHedging.MinSamples))]
    [InlineData(nameof(BatchHedging.MaxHedgedFraction))]
    public void Out_of_range_hedging_options_are_refused_by_name(string member)
    {
        BatchHedging bad = member switch
        {
            nameof(BatchHedging.LatencyMultiple) => new() { LatencyMultiple = 0.5 },
            nameof(BatchHedging.Floor) => new() { Floor = TimeSpan.FromSeconds(-1) },
            nameof(BatchHedging.MinSamples) => new() { MinSamples = 0 },
            _ => new() { MaxHedgedFraction = 1.5 },
        };

        Action act = () => new BatchOptions { Hedging = bad }.Validate();

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be($"options.Hedging.{member}");
    }

    private static (Hedger Hedger, BatchScope Scope) ReadyScope(TimeProvider time)
    {
        var hedger = new Hedger(Options with { MaxHedgedFraction = 1 }, time);
        for (int i = 0; i < 20; i++)
        {
            hedger.Record(TimeSpan.FromMilliseconds(100), 100);
        }

        return (hedger, new BatchScope(new AdaptiveConcurrency(4, time), null, null, hedger));
    }

    private static ChatRequest Request(int maxTokens) => new([PromptMessage.User("hi")], new CompletionSettings { Model = "m", MaxTokens = maxTokens });

    /// <summary>Starts the call inside the batch's scope, as a worker does.</summary>
    private static Task<ChatCompletion> Within(BatchScope scope, Func<Task<ChatCompletion>> call)
    {
        BatchScope.Current = scope;
        try
        {
            return call();
        }
        finally
        {
            BatchScope.Current = null;
        }
    }

    /// <summary>A provider whose every call waits until the test answers or fails it.</summary>
    private sealed class ScriptedProvider : IChatProvider
    {
        private readonly ConcurrentQueue<Call> _calls = new();

        public string Name => "scripted";

        public IReadOnlyList<Call> Calls => [.. _calls];

        /// <summary>Runs as call n (from 0) arrives; an answer it returns answers that call at once.</summary>
        public Func<int, ChatCompletion?>? OnCall { get; set; }

        public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        {
            var call = new Call(cancellationToken);
            _calls.Enqueue(call);
            if (OnCall?.Invoke(_calls.Count - 1) is { } answer)
            {
                call.Answer(answer);
            }

            return call.Task;
        }

        public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public async Task WaitForCallsAsync(int count)
        {
            for (int i = 0; i < 500 && _calls.Count < count; i++)
            {
                await Task.Delay(10);
            }

            _calls.Should().HaveCount(count);
        }

        internal sealed class Call
        {
            private readonly TaskCompletionSource<ChatCompletion> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public Call(CancellationToken token)
            {
                Token = token;
                token.Register(() => _answer.TrySetCanceled(token));
            }

            public CancellationToken Token { get; }

            public Task<ChatCompletion> Task => _answer.Task;

            public void Answer(ChatCompletion completion) => _answer.TrySetResult(completion);

            public void Fail(Exception error) => _answer.TrySetException(error);
        }
    }
}
