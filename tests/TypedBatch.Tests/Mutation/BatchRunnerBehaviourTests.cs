using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests.Mutation;

/// <summary>
/// The runner on its own, on a fake clock: exact log lines, totals, progress values, worker counts, the quota
/// fail-fast and the cancellation snapshot. Handshakes (task completion sources) order the workers, never real time.
/// </summary>
public sealed class BatchRunnerBehaviourTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private readonly FakeTimeProvider _time = new();
    private readonly CapturingLogger<BatchRunner> _log = new();

    private BatchRunner Runner() => new(_log, _time);

    private static BatchPlan Plan(int workers = 1) => new("test", "prov", "m", workers);

    private static IEnumerable<int> Lazy(int count)
    {
        for (int i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    private static ValueTask<BatchWorkResult<int>> Ok(int value, string? provider = "prov")
        => ValueTask.FromResult(new BatchWorkResult<int>(value * 10, new TokenUsage(10, 5, 15), 1, 0, provider) { Cost = 0.0125m });

    [Fact]
    public async Task The_start_and_summary_lines_say_exactly_what_ran()
    {
        BatchPlan plan = Plan() with { Settings = new CompletionSettings { Temperature = 0.5, MaxTokens = 100 } };

        BatchResult<int> result = await Runner().RunAsync([0, 1, 2], (i, _) =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            return i == 1
                ? throw new ProviderException(BatchErrorKind.Http, "prov", "boom", 500) { Attempts = 2, Usage = new TokenUsage(1, 0, 1), Repairs = 3, Cost = 0.0001m }
                : Ok(i);
        }, plan);

        _log.Messages.Should().Equal(
            "Starting test batch: size 3, workers 1, model m, temperature 0.5, max tokens 100, provider prov",
            "Batch item #1 failed after 2 attempt(s): Http 500: boom",
            "Finished test batch in 3.00s: 2/3 succeeded (66.7 %), 1.00 completions/s, peak concurrency 1; tokens prompt 21, completion 10, total 31; cost $0.0251");
        _log.Lines.Select(l => (l.Level, l.EventId)).Should().Equal((LogLevel.Information, 1), (LogLevel.Debug, 3), (LogLevel.Information, 2));
        result.Elapsed.Should().Be(TimeSpan.FromSeconds(3));
        result.ItemsPerSecond.Should().Be(1);
        result.PeakConcurrency.Should().Be(1);
        result.MinConcurrency.Should().Be(1);
        result.ThrottledResponses.Should().Be(0);
        result.WorkersStarted.Should().Be(1);
        result.FailedCount.Should().Be(1);
        result.Usage.Should().Be(new TokenUsage(21, 10, 31));
        result.Cost.Should().Be(0.0251m, "every item's cost, the failed one's answers included");
        result[1].Cost.Should().Be(0.0001m);
        result.Select(i => i.Value).Should().Equal(0, 0, 20);
        result[1].Attempts.Should().Be(2);
        result[1].Repairs.Should().Be(3);
        result[1].Usage.Should().Be(new TokenUsage(1, 0, 1));
        result[1].Provider.Should().Be("prov");
        result[2].Attempts.Should().Be(1);
        result[2].Provider.Should().Be("prov");
    }

    [Fact]
    public async Task An_empty_lazy_batch_logs_an_unknown_size_full_success_and_no_rate()
    {
        BatchResult<int> result = await Runner().RunAsync(Lazy(0), (i, _) => Ok(i), Plan(4));

        _log.Messages.Should().Equal(
            "Starting test batch: size unknown (lazy), workers 4, model m, temperature default, max tokens default, provider prov",
            "Finished test batch in 0.00s: 0/0 succeeded (100.0 %), 0.00 completions/s, peak concurrency 0; tokens prompt 0, completion 0, total 0; cost $0");
        result.Should().BeEmpty();
        result.WorkersStarted.Should().Be(1);
        result.ItemsPerSecond.Should().Be(0);
    }

    [Fact]
    public async Task A_known_size_is_logged_for_a_lazy_sequence()
    {
        await Runner().RunAsync(Lazy(2), (i, _) => Ok(i), Plan() with { Size = 7, Unit = "things" });

        _log.Messages.First().Should().StartWith("Starting test batch: size 7, workers 1,");
        _log.Messages.Last().Should().Contain("2/2 succeeded (100.0 %), 0.00 things/s");
    }

    [Fact]
    public async Task Nothing_is_logged_below_information()
    {
        var quiet = new CapturingLogger<BatchRunner>(LogLevel.Warning);

        BatchResult<int> result = await new BatchRunner(quiet, _time).RunAsync([0, 1], (i, _) => Ok(i, provider: $"p{i}"), Plan());

        quiet.Lines.Should().BeEmpty();
        result.AllSucceeded.Should().BeTrue();
    }

    [Fact]
    public async Task Items_per_provider_are_logged_in_ordinal_order_only_when_several_answered()
    {
        await Runner().RunAsync([0, 1, 2, 3], (i, _) => Ok(i, provider: i switch { 0 => "b", 1 => "a", 2 => "b", _ => null }), Plan());

        _log.Messages.Should().HaveCount(3);
        _log.Messages.Last().Should().Be("test batch items per provider: a 1, b 2");
        _log.Lines.Last().EventId.Should().Be(6);
    }

    [Fact]
    public async Task A_single_provider_gets_no_per_provider_line()
    {
        BatchResult<int> result = await Runner().RunAsync([0, 1], (i, _) => Ok(i), Plan());

        _log.Messages.Should().HaveCount(2);
        result.CountByProvider().Should().Equal(new Dictionary<string, int> { ["prov"] = 2 });
    }

    [Theory]
    [InlineData(true, 2)]
    [InlineData(false, 4)]
    public async Task A_throttle_is_counted_logged_and_cuts_the_limit_unless_adaptive_is_off(bool adaptive, int limit)
    {
        BatchResult<int> result = await Runner().RunAsync([0], (i, _) =>
        {
            BatchScope.Current!.Concurrency.OnThrottled();
            return Ok(i);
        }, Plan(4) with { AdaptiveConcurrency = adaptive });

        result.ThrottledResponses.Should().Be(1);
        result.MinConcurrency.Should().Be(limit);
        _log.Messages.Should().HaveCount(3);
        _log.Messages.Last().Should().Be($"test batch saw 1 429 response(s): concurrency went down to {limit} and ended at {limit} of 4");
        _log.Lines.Last().EventId.Should().Be(5);
    }

    [Theory]
    [InlineData(60, null)]
    [InlineData(null, 6000)]
    [InlineData(null, null)]
    public async Task The_batch_scope_carries_the_batchs_own_gate_only_when_it_sets_a_limit(int? rpm, int? tpm)
    {
        BatchScope? seen = null;

        await Runner().RunAsync([0], (i, _) =>
        {
            seen = BatchScope.Current;
            return Ok(i);
        }, Plan(3) with { RequestsPerMinute = rpm, TokensPerMinute = tpm });

        seen.Should().NotBeNull();
        seen!.Concurrency.Max.Should().Be(3);
        if (rpm is null && tpm is null)
        {
            seen.Gate.Should().BeNull();
        }
        else
        {
            seen.Gate!.RequestsPerMinute.Should().Be(rpm);
            seen.Gate.TokensPerMinute.Should().Be(tpm);
        }
    }

    [Fact]
    public async Task Progress_reports_exact_counts_and_fake_clock_time_when_items_are_100ms_apart_and_once_at_the_end()
    {
        var reports = new List<BatchProgress>();

        await Runner().RunAsync([0, 1, 2], (i, _) =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            return i == 1 ? throw new ProviderException(BatchErrorKind.Timeout, "prov", "slow") : Ok(i);
        }, Plan() with { Progress = new SyncProgress<BatchProgress>(reports.Add) });

        var one = new TokenUsage(10, 5, 15);
        reports.Should().Equal(
            new BatchProgress(1, 1, 0, 0, TimeSpan.FromSeconds(1)) { ConcurrencyLimit = 1, Usage = one, Cost = 0.0125m, Total = 3 },
            new BatchProgress(2, 1, 1, 0, TimeSpan.FromSeconds(2)) { ConcurrencyLimit = 1, Usage = one, Cost = 0.0125m, Total = 3 },
            new BatchProgress(3, 2, 1, 0, TimeSpan.FromSeconds(3)) { ConcurrencyLimit = 1, Usage = one + one, Cost = 0.025m, Total = 3 },
            new BatchProgress(3, 2, 1, 0, TimeSpan.FromSeconds(3)) { ConcurrencyLimit = 1, Usage = one + one, Cost = 0.025m, Total = 3 });
        reports[0].EstimatedRemaining.Should().Be(TimeSpan.FromSeconds(2), "one item a second, two left");
        reports[2].ItemsPerSecond.Should().Be(1);
    }

    [Fact]
    public async Task Progress_comes_at_most_every_100ms_a_lull_is_caught_up_by_the_timer_and_the_end_is_reported_once()
    {
        var reports = new List<BatchProgress>();

        await Runner().RunAsync(Enumerable.Range(0, 7), (i, _) =>
        {
            // Items 0-2 finish at t=0; item 3's request takes 100 ms, during which the timer reports what items 1 and 2
            // changed; items 3-5 finish at t=100 ms, item 6 at t=150 ms.
            if (i == 3)
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
            }
            else if (i == 6)
            {
                _time.Advance(TimeSpan.FromMilliseconds(50));
            }

            return Ok(i);
        }, Plan() with { Progress = new SyncProgress<BatchProgress>(reports.Add) });

        reports.Select(r => (r.Completed, r.Elapsed.TotalMilliseconds)).Should().Equal(
            [(1, 0), (3, 100), (7, 150)],
            "the first item at once, the timer's catch-up after 100 ms (items 4-6 are within 100 ms of it), then the end");
        reports[^1].Usage.Should().Be(new TokenUsage(70, 35, 105));
    }

    [Fact]
    public async Task Items_100ms_apart_are_each_reported_and_the_end_once_more()
    {
        var reports = new List<BatchProgress>();

        await Runner().RunAsync(Enumerable.Range(0, 3), (i, _) =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            return Ok(i);
        }, Plan() with { Progress = new SyncProgress<BatchProgress>(reports.Add) });

        reports.Select(r => r.Completed).Should().Equal(1, 2, 3, 3);
    }

    [Fact]
    public async Task Progress_counts_the_requests_still_in_flight_and_the_peak_is_kept()
    {
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstReported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = new List<BatchProgress>();
        var progress = new SyncProgress<BatchProgress>(p =>
        {
            lock (reports)
            {
                reports.Add(p);
            }

            firstReported.TrySetResult();
        });

        BatchResult<int> result = await Runner().RunAsync([0, 1], async (i, _) =>
        {
            if (i == 0)
            {
                await secondStarted.Task;
            }
            else
            {
                secondStarted.SetResult();
                await firstReported.Task;
            }

            return await Ok(i);
        }, Plan(2) with { Progress = progress }).WaitAsync(HangGuard);

        reports.Select(r => r.InFlight).Should().Equal(1, 0);
        reports.Select(r => r.ConcurrencyLimit).Should().Equal(2, 2);
        result.PeakConcurrency.Should().Be(2);
        result.WorkersStarted.Should().Be(2);
    }

    [Fact]
    public async Task A_throwing_progress_handler_is_logged_once_per_report_and_the_batch_goes_on()
    {
        var boom = new InvalidOperationException("progress bug");

        BatchResult<int> result = await Runner().RunAsync([0, 1, 2], (i, _) =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            return Ok(i);
        }, Plan() with { Progress = new SyncProgress<BatchProgress>(_ => throw boom) });

        result.AllSucceeded.Should().BeTrue();
        LogLine[] warnings = _log.Lines.Where(l => l.Level == LogLevel.Warning).ToArray();
        warnings.Should().HaveCount(4, "three items 100 ms apart and the end").And.OnlyContain(l => l.Message == "The batch's progress handler threw; the batch goes on" && l.Exception == boom && l.EventId == 7);
    }

    [Theory]
    [InlineData(5, 2, false, 2)]
    [InlineData(5, 10, false, 5)]
    [InlineData(5, 10, true, 6)]
    [InlineData(5, 5, true, 5)]
    [InlineData(1, 1, false, 1)]
    public async Task Workers_are_started_as_inputs_arrive_up_to_the_bound(int count, int bound, bool lazy, int workers)
    {
        int[] list = Enumerable.Range(0, count).ToArray();
        IEnumerable<int> inputs = lazy ? Lazy(count) : list;

        BatchResult<int> result = await Runner().RunAsync(inputs, (i, _) => Ok(i), Plan(bound));

        result.WorkersStarted.Should().Be(workers);
        result.Should().HaveCount(count);
        result.Select(i => i.Index).Should().Equal(list);
    }

    [Fact]
    public async Task The_first_quota_answer_fails_every_later_item_unsent_with_its_details()
    {
        int calls = 0;

        BatchResult<int> result = await Runner().RunAsync([0, 1, 2, 3], (i, _) =>
        {
            Interlocked.Increment(ref calls);
            return i == 1
                ? throw new ProviderException(BatchErrorKind.QuotaExceeded, "prov", "out of credits", 429) { ErrorCode = "insufficient_quota", ErrorType = "billing" }
                : Ok(i);
        }, Plan());

        calls.Should().Be(2, "nothing is sent after the quota answer");
        result[0].Succeeded.Should().BeTrue();
        result[1].Error!.Message.Should().Be("out of credits");
        result[1].Attempts.Should().Be(1);
        foreach (BatchItem<int> item in result.Skip(2))
        {
            item.Attempts.Should().Be(0);
            item.Usage.Should().Be(default(TokenUsage));
            item.Latency.Should().Be(TimeSpan.Zero);
            BatchError error = item.Error!;
            error.Kind.Should().Be(BatchErrorKind.QuotaExceeded);
            error.Message.Should().Be("Not sent: an earlier item of this batch found the account out of quota (out of credits).");
            error.StatusCode.Should().Be(429);
            error.ProviderCode.Should().Be("insufficient_quota");
            error.ErrorType.Should().Be("billing");
            error.Provider.Should().Be("prov");
        }
    }

    [Fact]
    public async Task Failures_other_than_quota_do_not_stop_the_batch()
    {
        int calls = 0;

        BatchResult<int> result = await Runner().RunAsync([0, 1, 2], (i, _) =>
        {
            Interlocked.Increment(ref calls);
            return i == 0 ? throw new ProviderException(BatchErrorKind.RateLimited, "prov", "slow down", 429) : Ok(i);
        }, Plan());

        calls.Should().Be(3);
        result.Select(i => i.Succeeded).Should().Equal(false, true, true);
    }

    [Fact]
    public async Task The_works_own_exceptions_become_the_items_errors()
    {
        var bug = new InvalidOperationException("bug");

        BatchResult<int> result = await Runner().RunAsync<int, int>([0, 1, 2], (i, _) => i switch
        {
            0 => throw new OperationCanceledException("not the batch's token"),
            1 => throw new ArgumentException("bad input"),
            _ => throw bug,
        }, Plan());

        result[0].Error!.Kind.Should().Be(BatchErrorKind.Cancelled);
        result[0].Error!.Message.Should().Be("The operation was cancelled.");
        result[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        result[1].Error!.Message.Should().Be("bad input");
        result[2].Error!.Kind.Should().Be(BatchErrorKind.Unknown);
        result[2].Error!.Message.Should().Be("InvalidOperationException: bug");
        result[2].Error!.Exception.Should().BeSameAs(bug);
        _log.Lines.Where(l => l.EventId == 3).Select(l => l.Message).Should().Equal(
            "Batch item #0 failed after 0 attempt(s): Cancelled: The operation was cancelled.",
            "Batch item #1 failed after 0 attempt(s): InvalidInput: bad input",
            "Batch item #2 failed after 0 attempt(s): Unknown: InvalidOperationException: bug");
        _log.Lines.Single(l => l.EventId == 3 && l.Message.Contains("#2", StringComparison.Ordinal)).Exception.Should().BeSameAs(bug);
    }

    [Fact]
    public async Task A_cancelled_batch_throws_its_snapshot_at_once_and_a_late_item_does_not_change_it()
    {
        using var cts = new CancellationTokenSource();
        // Completed synchronously: SetResult runs the late item's continuation (its sink and count) before it returns.
        var hung = new TaskCompletionSource();
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = new List<BatchProgress>();
        var progress = new SyncProgress<BatchProgress>(p =>
        {
            lock (reports)
            {
                reports.Add(p);
            }

            if (p.Completed == 1)
            {
                cts.Cancel();
            }
        });

        Task<BatchResult<int>> batch = Runner().RunAsync([0, 1], async (i, _) =>
        {
            if (i == 1)
            {
                secondStarted.SetResult();
                await hung.Task; // ignores the token, like a hung server
                return await Ok(i);
            }

            await secondStarted.Task;
            _time.Advance(TimeSpan.FromSeconds(2));
            return await Ok(i);
        }, Plan(2) with { Progress = progress }, cts.Token);

        Func<Task> act = () => batch.WaitAsync(HangGuard);
        BatchCanceledException<int> thrown = (await act.Should().ThrowAsync<BatchCanceledException<int>>()).Which;

        thrown.CancellationToken.Should().Be(cts.Token);
        thrown.Started.Should().Be(2);
        thrown.Completed.Should().Be(1);
        thrown.Message.Should().Be("The batch was cancelled after 1 of the 2 inputs it had started finished. The finished items are in the exception's Partial result; the others are marked Cancelled.");
        BatchResult<int> partial = thrown.Partial;
        partial.Should().HaveCount(2);
        partial[0].Value.Should().Be(0);
        partial[1].Error!.Kind.Should().Be(BatchErrorKind.Cancelled);
        partial[1].Error!.Message.Should().Be("The batch was cancelled before this item finished.");
        partial[1].Attempts.Should().Be(0);
        partial[1].Index.Should().Be(1);
        partial.MinConcurrency.Should().Be(2);
        partial.ThrottledResponses.Should().Be(0);
        partial.Elapsed.Should().Be(TimeSpan.FromSeconds(2));
        partial.PeakConcurrency.Should().Be(2);
        _log.Lines.Where(l => l.Level == LogLevel.Warning).Select(l => (l.EventId, l.Message)).Should().Equal((4, "test batch cancelled after 1 finished items"));
        _log.Messages.Last().Should().StartWith("Finished test batch in 2.00s: 1/1 succeeded (100.0 %), 0.50 completions/s, peak concurrency 2;");

        reports.Select(r => r.Completed).Should().Equal([1, 1], "the first item, then the end");
        hung.SetResult();
        partial[1].Succeeded.Should().BeFalse("a late item must not change what the caller holds");
        partial.FailedCount.Should().Be(1);
        reports.Should().HaveCount(2, "nothing is reported after the batch ended");
    }

    [Fact]
    public async Task A_cancelled_token_throws_before_any_work()
    {
        int calls = 0;
        var cancelled = new CancellationToken(canceled: true);

        Func<Task> batch = () => Runner().RunAsync([0], (i, _) => { calls++; return Ok(i); }, Plan(), cancelled);
        Func<Task> stream = async () =>
        {
            await foreach (BatchItem<int> _ in Runner().RunAsCompletedAsync([0], (i, _) => { calls++; return Ok(i); }, Plan(), cancelled))
            {
            }
        };

        await batch.Should().ThrowAsync<OperationCanceledException>();
        await stream.Should().ThrowAsync<OperationCanceledException>();
        calls.Should().Be(0);
        _log.Lines.Should().BeEmpty();
    }

    [Fact]
    public async Task Arguments_are_checked_and_named()
    {
        Func<int, CancellationToken, ValueTask<BatchWorkResult<int>>> work = (i, _) => Ok(i);

        (await Runner().Awaiting(r => r.RunAsync<int, int>(null!, work, Plan())).Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("inputs");
        (await Runner().Awaiting(r => r.RunAsync<int, int>([0], (Func<int, CancellationToken, ValueTask<BatchWorkResult<int>>>)null!, Plan())).Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("work");
        (await Runner().Awaiting(r => r.RunAsync([0], work, null!)).Should().ThrowAsync<ArgumentNullException>()).Which.ParamName.Should().Be("plan");
        ArgumentOutOfRangeException bound = (await Runner().Awaiting(r => r.RunAsync([0], work, Plan(0))).Should().ThrowAsync<ArgumentOutOfRangeException>()).Which;
        bound.ParamName.Should().Be("plan.MaxConcurrency");
        bound.ActualValue.Should().Be(0);
        bound.Message.Should().StartWith("The number of concurrent requests must be at least 1.");

        Func<Task> stream = async () =>
        {
            await foreach (BatchItem<int> _ in Runner().RunAsCompletedAsync([0], work, Plan(-1)))
            {
            }
        };
        (await stream.Should().ThrowAsync<ArgumentOutOfRangeException>()).Which.ParamName.Should().Be("plan.MaxConcurrency");
    }

    [Fact]
    public async Task As_completed_yields_every_item_and_logs_the_summary_when_done()
    {
        var items = new List<BatchItem<int>>();

        await foreach (BatchItem<int> item in Runner().RunAsCompletedAsync([0, 1, 2], (i, _) =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            return Ok(i);
        }, Plan()))
        {
            items.Add(item);
        }

        items.Select(i => (i.Index, i.Value)).Should().Equal((0, 0), (1, 10), (2, 20));
        _log.Messages.Should().Equal(
            "Starting test batch: size 3, workers 1, model m, temperature default, max tokens default, provider prov",
            "Finished test batch in 3.00s: 3/3 succeeded (100.0 %), 1.00 completions/s, peak concurrency 1; tokens prompt 30, completion 15, total 45; cost $0.0375");
    }

    [Fact]
    public async Task An_as_completed_stream_rethrows_a_failure_of_the_input_sequence()
    {
        static IEnumerable<int> Broken()
        {
            yield return 0;
            throw new InvalidOperationException("the source broke");
        }

        var items = new List<int>();
        Func<Task> act = async () =>
        {
            await foreach (BatchItem<int> item in Runner().RunAsCompletedAsync(Broken(), (i, _) => Ok(i), Plan()))
            {
                items.Add(item.Index);
            }
        };

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("the source broke");
        items.Should().Equal(0);
    }

    [Fact]
    public async Task A_packed_batch_reserves_and_fills_every_item_a_unit_carries()
    {
        EmbeddingChunk[] chunks =
        [
            new(["a", "bb"], 0, [true, true]),
            new(["", "ccc"], 2, [false, true]),
        ];

        BatchResult<EmbeddingVector> result = await Runner().RunPackedAsync(chunks, (chunk, _, _) =>
        {
            EmbeddingVector[] vectors = chunk.Inputs.Where(s => !string.IsNullOrEmpty(s)).Select(s => new EmbeddingVector(new float[] { s!.Length })).ToArray();
            return ValueTask.FromResult(new BatchWorkResult<EmbeddingChunkOutcome>(new EmbeddingChunkOutcome(vectors, null), new TokenUsage(4, 0, 4), 1));
        }, EmbeddingPacker.Packing(), Plan() with { Unit = "embeddings" });

        result.Should().HaveCount(4);
        result.Select(i => i.Succeeded).Should().Equal(true, true, false, true);
        result[3].Value!.Vector.ToArray().Should().Equal(3f);
        result[2].Error!.Message.Should().Be("Input 2 is null or empty; it was not sent.");
        result.Usage.Should().Be(new TokenUsage(8, 0, 8));
        _log.Messages.Last().Should().Contain("3/4 succeeded (75.0 %)").And.Contain("embeddings/s");
    }
}
