using System.Net;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Http;
using TypedBatch.Limits;

namespace TypedBatch.Tests.Mutation;

/// <summary>
/// The rate-limit handlers in process: an <see cref="HttpMessageInvoker"/> over admission, attempt and a stub server
/// that answers what each test says. A fake clock that only the test moves decides every wait.
/// </summary>
public sealed class RateLimitHandlerTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly RateLimitRegistry _registry;
    private int _served;

    public RateLimitHandlerTests() => _registry = new RateLimitRegistry(_time);

    /// <summary>What the stub server answers; 200 with no headers by default.</summary>
    private Func<HttpRequestMessage, Task<HttpResponseMessage>> Answer { get; set; } = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));

    private ProviderLimits Limits(int? rpm = null, int? tpm = null, Func<string, bool>? isQuota = null, int maxRetryAfterSeconds = 5)
        => new(_registry, "acct", rpm, tpm, TimeSpan.FromSeconds(maxRetryAfterSeconds), isQuota);

    /// <summary>Admission around attempt around the stub, as a call's first attempt goes; and attempt alone, as a retry goes.</summary>
    private (HttpMessageInvoker First, HttpMessageInvoker Retry) Pipeline(ProviderLimits limits)
    {
        var stub = new StubHandler(request =>
        {
            Interlocked.Increment(ref _served);
            return Answer(request);
        });
        var attempt = new RateLimitHandlers.Attempt(limits) { InnerHandler = stub };
        var admission = new RateLimitHandlers.Admission(limits) { InnerHandler = attempt };
        return (new HttpMessageInvoker(admission, disposeHandler: false), new HttpMessageInvoker(attempt, disposeHandler: false));
    }

    private static HttpRequestMessage Request(CallContext? call)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "http://stub.test/v1/chat/completions");
        if (call is not null)
        {
            request.Options.Set(CallContext.Key, call);
        }

        return request;
    }

    private static CallContext Call(int promptEstimate = 0, int? maxOutput = null) => new() { Model = "m", PromptEstimate = promptEstimate, MaxOutputTokens = maxOutput };

    private static HttpResponseMessage Response(HttpStatusCode status, string body = "{}", params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(body) };
        foreach ((string name, string value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    [Fact]
    public void A_request_without_a_call_context_passes_both_handlers_uncharged()
    {
        (HttpMessageInvoker first, HttpMessageInvoker retry) = Pipeline(Limits(rpm: 60));

        for (int i = 0; i < 3; i++)
        {
            first.SendAsync(Request(null), default).IsCompleted.Should().BeTrue();
            retry.SendAsync(Request(null), default).IsCompleted.Should().BeTrue();
        }

        _served.Should().Be(6);
    }

    [Fact]
    public async Task The_first_attempt_is_charged_once_at_admission_and_a_retry_again()
    {
        (HttpMessageInvoker first, HttpMessageInvoker retry) = Pipeline(Limits(rpm: 60)); // one a second, burst of one
        CallContext call = Call();
        HttpRequestMessage request = Request(call);

        first.SendAsync(request, default).IsCompleted.Should().BeTrue("admission took the one request of the burst; the attempt does not take another");
        call.Admitted.Should().BeTrue();
        call.Attempts.Should().Be(1);

        Task<HttpResponseMessage> again = retry.SendAsync(request, default);
        again.IsCompleted.Should().BeFalse("a retry waits for its own budget");
        _time.Advance(TimeSpan.FromMilliseconds(999));
        again.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        (await again.WaitAsync(HangGuard)).StatusCode.Should().Be(HttpStatusCode.OK);
        call.Attempts.Should().Be(2);
        _served.Should().Be(2);
    }

    [Fact]
    public async Task A_first_attempt_that_skipped_admission_is_charged_by_the_attempt_handler()
    {
        (_, HttpMessageInvoker attemptOnly) = Pipeline(Limits(rpm: 60));

        attemptOnly.SendAsync(Request(Call()), default).IsCompleted.Should().BeTrue();
        Task<HttpResponseMessage> second = attemptOnly.SendAsync(Request(Call()), default);

        second.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromSeconds(1));
        await second.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task The_reservation_is_the_corrected_prompt_estimate_plus_the_output_and_is_charged_in_tokens()
    {
        ProviderLimits limits = Limits(tpm: 6000); // 100 tokens a second, burst of 50
        (HttpMessageInvoker first, _) = Pipeline(limits);
        CallContext call = Call(promptEstimate: 100, maxOutput: 50);

        first.SendAsync(Request(call), default).IsCompleted.Should().BeTrue("a full bucket lets a large request through");
        call.Reservation.Should().Be(150);

        Task<HttpResponseMessage> next = first.SendAsync(Request(Call(promptEstimate: 100, maxOutput: 50)), default);
        _time.Advance(TimeSpan.FromMilliseconds(1499));
        next.IsCompleted.Should().BeFalse("the first left 100 tokens of debt; 150 more take 1.5 s to cover the burst");
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await next.WaitAsync(HangGuard);
    }

    [Fact]
    public void Learned_usage_corrects_later_reservations_and_a_set_reservation_is_kept()
    {
        ProviderLimits limits = Limits();
        (HttpMessageInvoker first, _) = Pipeline(limits);
        RateLimitHandlers.LearnUsage(limits, Call(promptEstimate: 100), promptTokens: 1); // the ratio is clamped to 0.25
        RateLimitHandlers.LearnUsage(null, Call(promptEstimate: 100), promptTokens: 1);

        CallContext corrected = Call(promptEstimate: 100, maxOutput: 50);
        CallContext preset = Call(promptEstimate: 100, maxOutput: 50);
        preset.Reservation = 7;
        first.SendAsync(Request(corrected), default);
        first.SendAsync(Request(preset), default);

        limits.GateFor("m").PromptCorrection.Should().BeApproximately(0.925, 1e-9);
        corrected.Reservation.Should().Be(93 + 50);
        preset.Reservation.Should().Be(7);
    }

    [Theory]
    [InlineData(60, 6000)]
    [InlineData(6000, 60)]
    public async Task Each_attempt_waits_at_the_batchs_own_gate_and_at_the_accounts(int batchRpm, int sharedRpm)
    {
        (HttpMessageInvoker first, _) = Pipeline(Limits(rpm: sharedRpm));
        BatchScope.Current = new BatchScope(new AdaptiveConcurrency(4, _time), new RateLimitGate(batchRpm, null, _time));
        try
        {
            first.SendAsync(Request(Call()), default).IsCompleted.Should().BeTrue();
            Task<HttpResponseMessage> second = first.SendAsync(Request(Call()), default);

            second.IsCompleted.Should().BeFalse("the narrower of the two gates binds");
            _time.Advance(TimeSpan.FromMilliseconds(999));
            second.IsCompleted.Should().BeFalse();
            _time.Advance(TimeSpan.FromMilliseconds(1));
            await second.WaitAsync(HangGuard);
        }
        finally
        {
            BatchScope.Current = null;
        }
    }

    [Fact]
    public async Task The_request_id_of_the_last_answer_is_kept()
    {
        (HttpMessageInvoker first, HttpMessageInvoker retry) = Pipeline(Limits());
        CallContext call = Call();
        HttpRequestMessage request = Request(call);

        Answer = _ => Task.FromResult(Response(HttpStatusCode.OK, "{}", ("x-request-id", "req-42"), ("x-request-id", "req-43")));
        await first.SendAsync(request, default);
        call.RequestId.Should().Be("req-42");

        Answer = _ => Task.FromResult(Response(HttpStatusCode.OK));
        await retry.SendAsync(request, default);
        call.RequestId.Should().BeNull();
    }

    [Fact]
    public async Task A_success_grows_the_cut_concurrency_and_clears_the_quota_verdict()
    {
        (HttpMessageInvoker first, _) = Pipeline(Limits());
        var concurrency = new AdaptiveConcurrency(2, _time);
        concurrency.OnThrottled();
        BatchScope.Current = new BatchScope(concurrency, null);
        CallContext call = Call();
        call.QuotaExceeded = true;
        try
        {
            await first.SendAsync(Request(call), default);
        }
        finally
        {
            BatchScope.Current = null;
        }

        concurrency.Limit.Should().Be(2);
        concurrency.Throttles.Should().Be(1);
        call.QuotaExceeded.Should().BeNull();
    }

    [Fact]
    public async Task A_server_error_neither_grows_nor_cuts_the_concurrency()
    {
        (HttpMessageInvoker first, _) = Pipeline(Limits());
        var concurrency = new AdaptiveConcurrency(2, _time);
        concurrency.OnThrottled();
        BatchScope.Current = new BatchScope(concurrency, null);
        Answer = _ => Task.FromResult(Response(HttpStatusCode.InternalServerError, "{}", ("retry-after-ms", "2000")));
        try
        {
            await first.SendAsync(Request(Call()), default);
        }
        finally
        {
            BatchScope.Current = null;
        }

        concurrency.Limit.Should().Be(1);
        concurrency.Throttles.Should().Be(1);
        first.SendAsync(Request(Call()), default).IsCompleted.Should().BeTrue("only a 429's hint pauses the gate");
    }

    [Fact]
    public async Task A_quota_429_neither_pauses_nor_cuts_nor_teaches_limits_and_its_body_stays_readable()
    {
        const string Body = """{"error":{"code":"insufficient_quota"}}""";
        ProviderLimits limits = Limits(isQuota: body => body.Contains("insufficient_quota", StringComparison.Ordinal));
        (HttpMessageInvoker first, _) = Pipeline(limits);
        var concurrency = new AdaptiveConcurrency(4, _time);
        BatchScope.Current = new BatchScope(concurrency, null);
        Answer = _ => Task.FromResult(Response(HttpStatusCode.TooManyRequests, Body, ("retry-after-ms", "20000"), ("x-ratelimit-limit-requests", "60"), ("x-ratelimit-remaining-requests", "0")));
        CallContext call = Call();
        HttpResponseMessage response;
        try
        {
            response = await first.SendAsync(Request(call), default);
        }
        finally
        {
            BatchScope.Current = null;
        }

        call.QuotaExceeded.Should().BeTrue();
        (await response.Content.ReadAsStringAsync()).Should().Be(Body);
        concurrency.Throttles.Should().Be(0);
        concurrency.Limit.Should().Be(4);
        limits.GateFor("m").RequestsPerMinute.Should().BeNull();
        Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        first.SendAsync(Request(Call()), default).IsCompleted.Should().BeTrue("the account's gate was not paused");
    }

    [Theory]
    [InlineData("2000", 5, 2000)]
    [InlineData("5000", 5, 5000)]
    [InlineData("60000", 5, 1000)]
    public async Task A_rate_limit_429_pauses_everyone_for_its_hint_or_a_second_when_the_hint_is_too_long(string hintMs, int maxRetryAfterSeconds, int pauseMs)
    {
        (HttpMessageInvoker first, _) = Pipeline(Limits(isQuota: _ => false, maxRetryAfterSeconds: maxRetryAfterSeconds));
        var concurrency = new AdaptiveConcurrency(4, _time);
        BatchScope.Current = new BatchScope(concurrency, null);
        Answer = _ => Task.FromResult(Response(HttpStatusCode.TooManyRequests, "{}", ("retry-after-ms", hintMs)));
        CallContext call = Call();
        try
        {
            await first.SendAsync(Request(call), default);
        }
        finally
        {
            BatchScope.Current = null;
        }

        call.QuotaExceeded.Should().BeFalse();
        concurrency.Throttles.Should().Be(1);
        concurrency.Limit.Should().Be(2);
        Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        Task<HttpResponseMessage> next = first.SendAsync(Request(Call()), default);
        _time.Advance(TimeSpan.FromMilliseconds(pauseMs - 1));
        next.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await next.WaitAsync(HangGuard);
    }

    [Fact]
    public async Task A_429_with_only_rate_limit_headers_pauses_a_second_and_one_with_nothing_does_not_pause()
    {
        (HttpMessageInvoker first, _) = Pipeline(Limits());
        Answer = _ => Task.FromResult(Response(HttpStatusCode.TooManyRequests, "{}", ("x-ratelimit-remaining-tokens", "5")));
        await first.SendAsync(Request(Call()), default);

        Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        Task<HttpResponseMessage> paused = first.SendAsync(Request(Call()), default);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        paused.IsCompleted.Should().BeFalse();
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await paused.WaitAsync(HangGuard);

        Answer = _ => Task.FromResult(Response(HttpStatusCode.TooManyRequests));
        await first.SendAsync(Request(Call()), default);
        Answer = _ => Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        first.SendAsync(Request(Call()), default).IsCompleted.Should().BeTrue("a bare 429 says nothing to wait for");
    }

    [Fact]
    public async Task The_first_answers_limits_are_learned()
    {
        ProviderLimits limits = Limits();
        (HttpMessageInvoker first, _) = Pipeline(limits);
        Answer = _ => Task.FromResult(Response(HttpStatusCode.OK, "{}", ("x-ratelimit-limit-requests", "60"), ("x-ratelimit-remaining-requests", "0")));

        await first.SendAsync(Request(Call()), default);

        limits.GateFor("m").RequestsPerMinute.Should().Be(60);
        first.SendAsync(Request(Call()), default).IsCompleted.Should().BeFalse("the server said nothing is left");
    }

    public static TheoryData<string> FirstAnswerEndings => new() { "quota", "throws", "unreadable" };

    [Theory]
    [MemberData(nameof(FirstAnswerEndings))]
    public async Task However_the_first_attempt_ends_the_requests_held_behind_it_go_on(string ending)
    {
        var firstInFlight = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finishFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (HttpMessageInvoker first, _) = Pipeline(Limits(isQuota: _ => true));
        int answered = 0;
        Answer = async _ =>
        {
            if (Interlocked.Increment(ref answered) > 1)
            {
                return new HttpResponseMessage(HttpStatusCode.OK);
            }

            firstInFlight.SetResult();
            await finishFirst.Task;
            return ending switch
            {
                "quota" => Response(HttpStatusCode.TooManyRequests),
                "throws" => throw new HttpRequestException("connection reset"),
                _ => new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Content = new FailingContent() },
            };
        };

        Task<HttpResponseMessage> probe = first.SendAsync(Request(Call()), default);
        await firstInFlight.Task.WaitAsync(HangGuard);
        Task<HttpResponseMessage> held = first.SendAsync(Request(Call()), default);
        await Task.Delay(20); // lets a wrongly released request through; the assertion holds however long this takes
        held.IsCompleted.Should().BeFalse("no limit is known yet: the others wait for the first answer");
        _served.Should().Be(1);

        finishFirst.SetResult();

        (await held.WaitAsync(HangGuard)).StatusCode.Should().Be(HttpStatusCode.OK);
        switch (ending)
        {
            case "quota":
                (await probe.WaitAsync(HangGuard)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
                break;
            case "throws":
                await FluentActions.Awaiting(() => probe.WaitAsync(HangGuard)).Should().ThrowAsync<HttpRequestException>().WithMessage("connection reset");
                break;
            default:
                await FluentActions.Awaiting(() => probe.WaitAsync(HangGuard)).Should().ThrowAsync<HttpRequestException>().WithInnerException(typeof(IOException));
                break;
        }
    }

    private sealed class StubHandler(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => answer(request);
    }

    private sealed class FailingContent : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => throw new IOException("body lost");

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
