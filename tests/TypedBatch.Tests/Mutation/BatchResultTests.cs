namespace TypedBatch.Tests.Mutation;

/// <summary>A result's totals, views and texts, from hand-made items.</summary>
public sealed class BatchResultTests
{
    private static readonly BatchError Boom = new(BatchErrorKind.Http, "boom") { StatusCode = 502, ProviderCode = "bad_gateway", Provider = "b" };

    private static BatchResult<int> Result(TimeSpan elapsed, params BatchItem<int>[] items)
    {
        var buffer = new ResultBuffer<BatchItem<int>>();
        for (int i = 0; i < items.Length; i++)
        {
            buffer.Reserve(i);
            buffer[i] = items[i];
        }

        return new BatchResult<int>(buffer, elapsed, peakConcurrency: 3) { MinConcurrency = 2, ThrottledResponses = 4 };
    }

    private static BatchResult<int> Mixed() => Result(TimeSpan.FromSeconds(2),
        BatchItem.Success(0, 10, new TokenUsage(1, 2, 3, 1, 0), 1, TimeSpan.FromMilliseconds(5), repairs: 1, provider: "a"),
        BatchItem.Failure<int>(1, Boom, new TokenUsage(4, 0, 4), 3, TimeSpan.FromMilliseconds(6)),
        BatchItem.Success(2, 30, new TokenUsage(5, 6, 11, 0, 2), 2, TimeSpan.FromMilliseconds(7), provider: "a"),
        BatchItem.Success(3, 40, default, 1, TimeSpan.Zero));

    [Fact]
    public void Totals_count_every_item_and_sum_every_usage()
    {
        BatchResult<int> result = Mixed();

        result.Count.Should().Be(4);
        result.FailedCount.Should().Be(1);
        result.SucceededCount.Should().Be(3);
        result.AllSucceeded.Should().BeFalse();
        result.Usage.Should().Be(new TokenUsage(10, 8, 18, 1, 2));
        result.Elapsed.Should().Be(TimeSpan.FromSeconds(2));
        result.ItemsPerSecond.Should().Be(2);
        result.PeakConcurrency.Should().Be(3);
        result.MinConcurrency.Should().Be(2);
        result.ThrottledResponses.Should().Be(4);
        result.ToString().Should().Be("BatchResult: 3/4 succeeded in 2.00s");
    }

    [Fact]
    public void An_all_successful_or_empty_result_says_so()
    {
        BatchResult<int> ok = Result(TimeSpan.Zero, BatchItem.Success(0, 1, default, 1, TimeSpan.Zero));
        BatchResult<int> empty = Result(TimeSpan.FromSeconds(1));

        ok.AllSucceeded.Should().BeTrue();
        ok.FailedCount.Should().Be(0);
        ok.ItemsPerSecond.Should().Be(0, "no time elapsed");
        ok.GetValuesOrThrow().Should().Equal(1);
        empty.AllSucceeded.Should().BeTrue();
        empty.Should().BeEmpty();
        empty.ItemsPerSecond.Should().Be(0);
        empty.GetValuesOrThrow().Should().BeEmpty();
        empty.CountByProvider().Should().BeEmpty();
    }

    [Fact]
    public void Views_keep_input_order()
    {
        BatchResult<int> result = Mixed();

        result.Select(i => i.Index).Should().Equal(0, 1, 2, 3);
        ((System.Collections.IEnumerable)result).Cast<BatchItem<int>>().Select(i => i.Index).Should().Equal(0, 1, 2, 3);
        result.Failures.Select(i => i.Index).Should().Equal(1);
        result.CountByProvider().Should().Equal(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 });
        result[2].Value.Should().Be(30);
    }

    [Fact]
    public void GetValuesOrThrow_names_the_failures_and_at_most_five_errors()
    {
        var err = new BatchError(BatchErrorKind.Timeout, "slow");
        BatchItem<int>[] items = Enumerable.Range(0, 8)
            .Select(i => i == 0 ? BatchItem.Success(0, 0, default, 1, TimeSpan.Zero) : BatchItem.Failure<int>(i, err, default, 1, TimeSpan.Zero))
            .ToArray();

        Action act = () => Result(TimeSpan.Zero, items).GetValuesOrThrow();

        BatchFailedException thrown = act.Should().Throw<BatchFailedException>().Which;
        thrown.Message.Should().Be("7 of 8 batch items failed; failed indexes: 1, 2, 3, 4, 5, 6, 7. First errors: #1: Timeout: slow; #2: Timeout: slow; #3: Timeout: slow; #4: Timeout: slow; #5: Timeout: slow; Inspect the BatchResult's items for every error, or rerun the failed inputs.");
        thrown.Total.Should().Be(8);
        thrown.FailedIndexes.Should().Equal(1, 2, 3, 4, 5, 6, 7);
        thrown.Errors.Should().HaveCount(7).And.OnlyContain(e => e == err);
        Mixed().Invoking(r => r.GetValuesOrThrow()).Should().Throw<BatchFailedException>()
            .WithMessage("1 of 4 batch items failed; failed indexes: 1. First errors: #1: Http 502 (bad_gateway): boom; Inspect*");
    }

    [Fact]
    public void MapValues_maps_successes_and_keeps_everything_else()
    {
        BatchResult<string> mapped = Mixed().MapValues(v => $"v{v}");

        mapped.Select(i => i.Value).Should().Equal("v10", null, "v30", "v40");
        mapped[1].Error.Should().BeSameAs(Boom);
        mapped.Select(i => i.Attempts).Should().Equal(1, 3, 2, 1);
        mapped[0].Repairs.Should().Be(1);
        mapped[0].Provider.Should().Be("a");
        mapped[1].Provider.Should().Be("b");
        mapped[2].Latency.Should().Be(TimeSpan.FromMilliseconds(7));
        mapped.Usage.Should().Be(new TokenUsage(10, 8, 18, 1, 2));
        mapped.Elapsed.Should().Be(TimeSpan.FromSeconds(2));
        mapped.PeakConcurrency.Should().Be(3);
        mapped.MinConcurrency.Should().Be(2);
        mapped.ThrottledResponses.Should().Be(4);
        Mixed().Invoking(r => r.MapValues<string>(null!)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Items_describe_themselves()
    {
        var ok = BatchItem.Success(3, 42, default, 1, TimeSpan.Zero);
        var failed = BatchItem.Failure<int>(4, Boom, default, 2, TimeSpan.Zero, repairs: 1);

        ok.ToString().Should().Be("#3: 42");
        failed.ToString().Should().Be("#4 failed: Http 502 (bad_gateway): boom");
        failed.Provider.Should().Be("b", "a failure names the provider of its error");
        failed.Repairs.Should().Be(1);
        ok.GetValueOrThrow().Should().Be(42);
        BatchItemFailedException thrown = failed.Invoking(i => i.GetValueOrThrow()).Should().Throw<BatchItemFailedException>().Which;
        thrown.Message.Should().Be("Batch item #4 failed: Http 502 (bad_gateway): boom. Check BatchItem.Succeeded before reading the value.");
        thrown.Error.Should().BeSameAs(Boom);
        failed.MapValue(v => v + 1).Error.Should().BeSameAs(Boom);
        ok.MapValue(v => v + 1).Value.Should().Be(43);
        FluentActions.Invoking(() => BatchItem.Failure<int>(0, null!, default, 0, TimeSpan.Zero)).Should().Throw<ArgumentNullException>();
    }

    [Fact]
    public void Errors_map_exceptions_and_describe_themselves()
    {
        var provider = new ProviderException(BatchErrorKind.RateLimited, "openai", "slow down", 429) { ErrorCode = "rate_limit_exceeded", ErrorType = "requests", RequestId = "req-1", RawOutput = "raw" };
        var bug = new FormatException("bad");

        BatchError.FromException(provider).Should().BeEquivalentTo(new BatchError(BatchErrorKind.RateLimited, "slow down")
        {
            StatusCode = 429,
            ProviderCode = "rate_limit_exceeded",
            ErrorType = "requests",
            RequestId = "req-1",
            Provider = "openai",
            RawOutput = "raw",
        });
        BatchError.FromException(new ArgumentNullException("x")).Kind.Should().Be(BatchErrorKind.InvalidInput);
        BatchError.FromException(new TaskCanceledException()).Should().Be(new BatchError(BatchErrorKind.Cancelled, "The operation was cancelled."));
        var unknown = BatchError.FromException(bug);
        unknown.Kind.Should().Be(BatchErrorKind.Unknown);
        unknown.Message.Should().Be("FormatException: bad");
        unknown.Exception.Should().BeSameAs(bug);
        FluentActions.Invoking(() => BatchError.FromException(null!)).Should().Throw<ArgumentNullException>();
        new BatchError(BatchErrorKind.Timeout, null!).Message.Should().BeEmpty();
        new BatchError(BatchErrorKind.Timeout, "t").ToString().Should().Be("Timeout: t");
        new BatchError(BatchErrorKind.Http, "h") { StatusCode = 500 }.ToString().Should().Be("Http 500: h");
        new BatchError(BatchErrorKind.Http, "h") { ProviderCode = "c" }.ToString().Should().Be("Http (c): h");
    }

    [Fact]
    public void The_buffer_grows_past_its_first_chunks_and_checks_its_bounds()
    {
        var buffer = new ResultBuffer<int>();
        const int Count = (4 * 4096) + 5;
        for (int i = 0; i < Count; i++)
        {
            buffer.Reserve(i);
            buffer[i] = i * 2;
        }

        buffer.Count.Should().Be(Count);
        buffer[0].Should().Be(0);
        buffer[4095].Should().Be(8190);
        buffer[4096].Should().Be(8192);
        buffer[Count - 1].Should().Be((Count - 1) * 2);
        FluentActions.Invoking(() => buffer[-1]).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => buffer[Count]).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void A_cancelled_batch_exception_maps_its_partial_values()
    {
        using var cts = new CancellationTokenSource();
        var inner = new TimeoutException("inner");
        var thrown = new BatchCanceledException<int>(Result(TimeSpan.FromSeconds(1), BatchItem.Success(0, 5, default, 1, TimeSpan.Zero), BatchItem.Failure<int>(1, Boom, default, 0, TimeSpan.Zero)), 1, inner, cts.Token);

        BatchCanceledException<string> mapped = thrown.MapValues(v => $"#{v}");

        mapped.Partial.Select(i => i.Value).Should().Equal("#5", null);
        mapped.Started.Should().Be(2);
        mapped.Completed.Should().Be(1);
        mapped.InnerException.Should().BeSameAs(inner);
        mapped.CancellationToken.Should().Be(cts.Token);
        mapped.Message.Should().StartWith("The batch was cancelled after 1 of the 2 inputs it had started finished.");
    }
}
