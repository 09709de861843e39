using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>The emulator's rate limits, quota errors, retry-hint markers, seeded faults and their counters, over raw HTTP.</summary>
public sealed class EmulatorLimitsTests
{
    private const string QuotaMessage = "You exceeded your current quota, please check your plan and billing details.";

    [Fact]
    public async Task Requests_per_minute_allow_a_one_second_burst_then_429_with_exact_retry_hints_and_refill_continuously()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { RequestsPerMinute = 120, TimeProvider = time });
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage first = await ChatAsync(http, "one"))
        {
            first.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(first, "x-ratelimit-limit-requests").Should().Be("120");
            Header(first, "x-ratelimit-remaining-requests").Should().Be("1");
            first.Headers.Contains("x-ratelimit-limit-tokens").Should().BeFalse("tokens are unlimited: no made-up limit is sent");
        }

        using (HttpResponseMessage second = await ChatAsync(http, "two"))
        {
            second.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(second, "x-ratelimit-remaining-requests").Should().Be("0");
        }

        using (HttpResponseMessage third = await ChatAsync(http, "three"))
        {
            third.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            Header(third, "retry-after-ms").Should().Be("500");
            Header(third, "Retry-After").Should().Be("1");
            Header(third, "x-ratelimit-remaining-requests").Should().Be("0");
            Header(third, "x-ratelimit-reset-requests").Should().Be("1s");
            JsonNode error = await ErrorOf(third);
            error["type"]!.GetValue<string>().Should().Be("requests");
            error["code"]!.GetValue<string>().Should().Be("rate_limit_exceeded");
            error["param"].Should().BeNull();
            error["message"]!.GetValue<string>().Should()
                .StartWith("Rate limit reached for gpt-4o-mini").And.Contain("requests per min (RPM): Limit 120").And.Contain("Please try again in 500ms.");
        }

        time.Advance(TimeSpan.FromMilliseconds(499));
        using (HttpResponseMessage early = await ChatAsync(http, "four"))
        {
            early.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "a rejected request takes nothing, and 499 ms refill 0.998 of a request");
            Header(early, "retry-after-ms").Should().Be("1");
            Header(early, "Retry-After").Should().Be("1", "Retry-After is at least one second");
        }

        time.Advance(TimeSpan.FromMilliseconds(1));
        using (HttpResponseMessage refilled = await ChatAsync(http, "four"))
        {
            refilled.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(refilled, "x-ratelimit-remaining-requests").Should().Be("0");
        }

        using (HttpResponseMessage again = await ChatAsync(http, "five"))
        {
            again.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        }

        EmulatorStats stats = emulator.GetStats();
        stats.RejectedRateLimited.Should().Be(3);
        stats.Accepted.Should().Be(3);
        stats.ChatRequestsServed.Should().Be(3);
        stats.ChatRequestsFailed.Should().Be(3);
    }

    [Fact]
    public async Task Tokens_per_minute_reserve_the_prompt_plus_max_tokens_and_refuse_without_taking()
    {
        var time = new FakeTimeProvider();

        // 6000 TPM: 100 tokens a second, and a bucket of 100. "hi" is 7 prompt tokens; with max_tokens 43 a request reserves 50.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TokensPerMinute = 6000, TimeProvider = time });
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage first = await ChatAsync(http, "hi", maxTokens: 43))
        {
            first.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(first, "x-ratelimit-limit-tokens").Should().Be("6000");
            Header(first, "x-ratelimit-remaining-tokens").Should().Be("50");
            Header(first, "x-ratelimit-reset-tokens").Should().Be("500ms");
            first.Headers.Contains("x-ratelimit-limit-requests").Should().BeFalse("requests are unlimited");
        }

        using (HttpResponseMessage second = await ChatAsync(http, "hi", maxTokens: 43, field: "max_completion_tokens"))
        {
            second.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(second, "x-ratelimit-remaining-tokens").Should().Be("0");
        }

        using (HttpResponseMessage third = await ChatAsync(http, "hi", maxTokens: 43))
        {
            third.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            Header(third, "retry-after-ms").Should().Be("500");
            Header(third, "Retry-After").Should().Be("1");
            Header(third, "x-ratelimit-remaining-tokens").Should().Be("0");
            JsonNode error = await ErrorOf(third);
            error["type"]!.GetValue<string>().Should().Be("tokens");
            error["code"]!.GetValue<string>().Should().Be("rate_limit_exceeded");
            error["message"]!.GetValue<string>().Should().Contain("tokens per min (TPM): Limit 6000, Requested 50").And.Contain("Please try again in 500ms.");
        }

        time.Advance(TimeSpan.FromMilliseconds(500));
        using (HttpResponseMessage refilled = await ChatAsync(http, "hi", maxTokens: 43))
        {
            refilled.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        // Without a token limit the reservation is the prompt plus 16.
        time.Advance(TimeSpan.FromSeconds(1));
        using (HttpResponseMessage defaulted = await ChatAsync(http, "hi"))
        {
            Header(defaulted, "x-ratelimit-remaining-tokens").Should().Be("77");
        }

        // Embeddings reserve their input tokens: 400 characters are 100 tokens.
        time.Advance(TimeSpan.FromSeconds(1));
        using (HttpResponseMessage embeddings = await EmbeddingsAsync(http, new string('a', 400)))
        {
            embeddings.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(embeddings, "x-ratelimit-remaining-tokens").Should().Be("0");
        }

        // More than the whole per-minute limit can never pass: no retry hint, and x-should-retry: false.
        time.Advance(TimeSpan.FromSeconds(1));
        using (HttpResponseMessage tooLarge = await ChatAsync(http, "hi", maxTokens: 7000))
        {
            tooLarge.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            tooLarge.Headers.Contains("Retry-After").Should().BeFalse();
            tooLarge.Headers.Contains("retry-after-ms").Should().BeFalse();
            Header(tooLarge, "x-should-retry").Should().Be("false");
            (await ErrorOf(tooLarge))["message"]!.GetValue<string>().Should().StartWith("Request too large for gpt-4o-mini");
        }
    }

    [Fact]
    public async Task Reset_headers_are_go_durations_and_remaining_counts_go_down()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            RequestsPerMinute = 1,
            TokensPerMinute = 600_000,
            TimeProvider = time,
        });
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage first = await ChatAsync(http, "hi", maxTokens: 43))
        {
            first.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(first, "x-ratelimit-remaining-requests").Should().Be("0");
            Header(first, "x-ratelimit-reset-requests").Should().Be("1m0s");
            Header(first, "x-ratelimit-remaining-tokens").Should().Be("9950");
            Header(first, "x-ratelimit-reset-tokens").Should().Be("5ms");
        }

        time.Advance(TimeSpan.FromMilliseconds(18_800));
        using (HttpResponseMessage refused = await ChatAsync(http, "hi", maxTokens: 43))
        {
            refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            Header(refused, "x-ratelimit-reset-requests").Should().Be("41.2s");
            Header(refused, "retry-after-ms").Should().Be("41200");
            Header(refused, "Retry-After").Should().Be("42", "whole seconds, rounded up");
            Header(refused, "x-ratelimit-remaining-tokens").Should().Be("10000", "the refused request took nothing");
            (await ErrorOf(refused))["message"]!.GetValue<string>().Should().Contain("Please try again in 41.2s.");
        }

        time.Advance(TimeSpan.FromMilliseconds(41_200));
        var remaining = new List<long>();
        emulator.Options.RequestsPerMinute = 600; // a changed limit starts a full bucket of 10
        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage response = await ChatAsync(http, $"item {i}");
            remaining.Add(long.Parse(Header(response, "x-ratelimit-remaining-requests"), System.Globalization.CultureInfo.InvariantCulture));
            Header(response, "x-ratelimit-reset-requests").Should().Be($"{(i + 1) * 100}ms");
        }

        remaining.Should().Equal(9, 8, 7);
    }

    [Fact]
    public async Task A_request_larger_than_the_bucket_passes_once_it_is_full_and_leaves_it_in_debt()
    {
        var time = new FakeTimeProvider();

        // 60 TPM: a bucket of one token refilled at one a second; a 50-token request still passes, then 50 s of debt.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TokensPerMinute = 60, TimeProvider = time });
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage big = await ChatAsync(http, "hi", maxTokens: 43))
        {
            big.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(big, "x-ratelimit-remaining-tokens").Should().Be("0");
            Header(big, "x-ratelimit-reset-tokens").Should().Be("50s");
        }

        using HttpResponseMessage next = await ChatAsync(http, "hi", maxTokens: 43);
        next.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        Header(next, "retry-after-ms").Should().Be("50000");
    }

    [Fact]
    public async Task Quota_marker_and_option_answer_429_insufficient_quota_without_retry_after()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage response = await ChatAsync(http, "hello [[quota]]"))
        {
            await ShouldBeQuotaError(response);
        }

        using (HttpResponseMessage ok = await ChatAsync(http, "hello"))
        {
            ok.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        emulator.Options.QuotaExhausted = true;
        using (HttpResponseMessage chat = await ChatAsync(http, "hello"))
        {
            await ShouldBeQuotaError(chat);
        }

        using (HttpResponseMessage embeddings = await EmbeddingsAsync(http, "hello"))
        {
            await ShouldBeQuotaError(embeddings);
        }

        EmulatorStats stats = emulator.GetStats();
        stats.RejectedQuota.Should().Be(3);
        stats.Accepted.Should().Be(1);
    }

    [Fact]
    public async Task X_should_retry_marker_is_added_to_any_error_but_not_to_a_success()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage failed = await ChatAsync(http, "a [[fail:500:1]] [[x-should-retry:false]]"))
        {
            failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            Header(failed, "x-should-retry").Should().Be("false");
        }

        using (HttpResponseMessage retried = await ChatAsync(http, "a [[fail:500:1]] [[x-should-retry:false]]"))
        {
            retried.StatusCode.Should().Be(HttpStatusCode.OK);
            retried.Headers.Contains("x-should-retry").Should().BeFalse();
        }

        using (HttpResponseMessage quota = await ChatAsync(http, "b [[quota]] [[x-should-retry:false]]"))
        {
            quota.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            Header(quota, "x-should-retry").Should().Be("false");
        }

        using (HttpResponseMessage overloaded = await ChatAsync(http, "c [[fail:503]] [[x-should-retry:true]]"))
        {
            Header(overloaded, "x-should-retry").Should().Be("true");
        }
    }

    [Fact]
    public async Task Retry_after_markers_replace_the_retry_hints_of_an_injected_error()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2030, 1, 2, 3, 4, 5, 250, TimeSpan.Zero));
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { TimeProvider = time });
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage plain = await ChatAsync(http, "a [[fail:429:1]]"))
        {
            Header(plain, "Retry-After").Should().Be("1");
            Header(plain, "retry-after-ms").Should().Be("1000");
        }

        using (HttpResponseMessage seconds = await ChatAsync(http, "b [[fail:429:1]] [[retry-after:5]]"))
        {
            seconds.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            Header(seconds, "Retry-After").Should().Be("5");
            seconds.Headers.Contains("retry-after-ms").Should().BeFalse("a marker's hints replace the defaults");
        }

        using (HttpResponseMessage milliseconds = await ChatAsync(http, "c [[fail:429:1]] [[retry-after-ms:1500]]"))
        {
            Header(milliseconds, "retry-after-ms").Should().Be("1500");
            milliseconds.Headers.Contains("Retry-After").Should().BeFalse();
        }

        using (HttpResponseMessage date = await ChatAsync(http, "d [[fail:503:1]] [[retry-after-date:3]]"))
        {
            date.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            date.Headers.RetryAfter!.Date.Should().Be(new DateTimeOffset(2030, 1, 2, 3, 4, 9, TimeSpan.Zero), "at least 3 s ahead, in whole seconds");
            Header(date, "Retry-After").Should().Be("Wed, 02 Jan 2030 03:04:09 GMT");
        }

        using (HttpResponseMessage both = await ChatAsync(http, "e [[fail:429:1]] [[retry-after:2]] [[retry-after-ms:1500]]"))
        {
            Header(both, "Retry-After").Should().Be("2");
            Header(both, "retry-after-ms").Should().Be("1500");
        }
    }

    [Fact]
    public async Task Seeded_500s_hit_about_the_rate_and_the_same_requests_on_the_same_seed_again()
    {
        const int Count = 500;
        var contents = Enumerable.Range(0, Count).Select(i => $"seeded item {i}").ToList();

        HashSet<string> firstRun = await FailedContentsAsync(contents);
        firstRun.Count.Should().BeInRange(Count * 12 / 100, Count * 28 / 100);

        // A fresh emulator with the same seed fails exactly the same requests, whatever the order.
        var reversed = contents.AsEnumerable().Reverse().ToList();
        HashSet<string> secondRun = await FailedContentsAsync(reversed);
        secondRun.Should().BeEquivalentTo(firstRun);

        // Another seed fails other requests.
        HashSet<string> otherSeed = await FailedContentsAsync(contents, seed: 8);
        otherSeed.Should().NotBeEquivalentTo(firstRun);
    }

    [Fact]
    public async Task A_retry_of_a_seeded_fault_gets_a_fresh_draw()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { FaultSeed = 7, Error500Rate = 0.5 });
        using HttpClient http = Http(emulator);
        var pending = Enumerable.Range(0, 40).Select(i => $"retry item {i}").ToList();
        for (int attempt = 0; attempt < 30 && pending.Count > 0; attempt++)
        {
            var stillFailing = new List<string>();
            foreach (string? content in pending)
            {
                using HttpResponseMessage response = await ChatAsync(http, content);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
                    stillFailing.Add(content);
                }
            }

            pending = stillFailing;
        }

        pending.Should().BeEmpty("each retry draws again, so every request eventually passes");
        EmulatorStats stats = emulator.GetStats();
        stats.Accepted.Should().Be(40);
        stats.ByFingerprint.Values.Should().OnlyContain(f => f.Accepted == 1 && f.Served == 1);
        stats.Received.Should().Be(40 + stats.InjectedFaults.Error500);
    }

    [Fact]
    public async Task Seeded_503s_are_server_is_overloaded_with_a_short_retry_after_ms_only()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Error503Rate = 1 });
        using HttpClient http = Http(emulator);

        using HttpResponseMessage response = await ChatAsync(http, "hello");
        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        Header(response, "retry-after-ms").Should().Be("50");
        response.Headers.Contains("Retry-After").Should().BeFalse();
        (await ErrorOf(response))["code"]!.GetValue<string>().Should().Be("server_is_overloaded");
        emulator.GetStats().InjectedFaults.Error503.Should().Be(1);
    }

    [Fact]
    public async Task A_seeded_reset_aborts_the_connection()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { ResetRate = 1 });
        using HttpClient http = Http(emulator);

        Func<Task<HttpResponseMessage>> send = () => ChatAsync(http, "hello");
        await send.Should().ThrowAsync<HttpRequestException>();

        EmulatorStats stats = emulator.GetStats();
        stats.InjectedFaults.Reset.Should().Be(1);
        stats.ChatRequestsServed.Should().Be(0);
        stats.ChatRequestsFailed.Should().Be(0, "an aborted connection is no answer");
    }

    [Fact]
    public async Task A_seeded_malformed_answer_is_a_200_that_does_not_parse()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { MalformedRate = 1 });
        using HttpClient http = Http(emulator);

        foreach (HttpResponseMessage? response in new[] { await ChatAsync(http, "hello"), await EmbeddingsAsync(http, "hello") })
        {
            using (response)
            {
                response.StatusCode.Should().Be(HttpStatusCode.OK);
                string body = await response.Content.ReadAsStringAsync();
                body.Should().NotBeEmpty();
                Func<JsonDocument> parse = () => JsonDocument.Parse(body);
                parse.Should().Throw<JsonException>();
            }
        }

        EmulatorStats stats = emulator.GetStats();
        stats.InjectedFaults.Malformed.Should().Be(2);
        stats.ChatRequestsServed.Should().Be(1);
        stats.EmbeddingRequestsServed.Should().Be(1);
        stats.Accepted.Should().Be(0, "a malformed answer is an injected fault");
    }

    [Fact]
    public async Task A_seeded_stall_delays_the_answer_by_the_stall_duration()
    {
        // The stall runs on the emulator's fake clock: the answer can only come once the test moves it.
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StallRate = 1, StallDuration = TimeSpan.FromMilliseconds(200), TimeProvider = time });
        using HttpClient http = Http(emulator);

        Task<HttpResponseMessage> sending = ChatAsync(http, "hello");
        await WaitUntilAsync(() => emulator.GetStats().InjectedFaults.Stall == 1);
        time.Advance(TimeSpan.FromMilliseconds(199));
        await Task.Delay(200); // real time for a wrongly early answer to arrive
        sending.IsCompleted.Should().BeFalse("199 ms of the 200 ms stall have passed");

        time.Advance(TimeSpan.FromMilliseconds(1));
        using HttpResponseMessage response = await sending.WaitAsync(TimeSpan.FromMinutes(1)); // hang guard only
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        body["choices"]![0]!["message"]!["content"]!.GetValue<string>().Should().Be("Re: hello");
    }

    [Fact]
    public async Task A_stall_ends_when_the_client_goes_away()
    {
        // A five-minute stall on a fake clock that never moves: it can only end because the client went away. The
        // emulator's peak after ResetStats is the number of requests still in flight, so 0 means the stall ended.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { StallRate = 1, StallDuration = TimeSpan.FromMinutes(5), TimeProvider = new FakeTimeProvider() });
        using HttpClient http = Http(emulator);
        using var cancel = new CancellationTokenSource();
        Task<HttpResponseMessage> sending = ChatAsync(http, "hello", cancellationToken: cancel.Token);
        await WaitUntilAsync(() => emulator.GetStats().InjectedFaults.Stall == 1);

        await cancel.CancelAsync();
        Func<Task> send = () => sending;
        await send.Should().ThrowAsync<OperationCanceledException>();
        await WaitUntilAsync(() =>
        {
            emulator.ResetStats();
            return emulator.GetStats().MaxConcurrentRequests == 0;
        });

        emulator.GetStats().ChatRequestsServed.Should().Be(0);
    }

    // Polls a server counter; the limit only keeps a broken run from hanging.
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; !condition(); i++)
        {
            if (i == 1000)
            {
                throw new TimeoutException("The emulator never got there.");
            }

            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Counters_add_up_over_a_mixed_run()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            RequestsPerMinute = 1200, // a bucket of 20 that the fake clock never refills
            TimeProvider = time,
            FaultSeed = 3,
            Error500Rate = 0.1,
            Error503Rate = 0.1,
            MalformedRate = 0.1,
        });
        using HttpClient http = Http(emulator);

        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage quota = await ChatAsync(http, $"quota {i} [[quota]]");
            quota.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        }

        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage invalid = await http.PostAsync("chat/completions", new StringContent("{\"model\":\"gpt-4o-mini\"}", Encoding.UTF8, "application/json"));
            invalid.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        }

        for (int i = 0; i < 2; i++)
        {
            using HttpResponseMessage scripted = await ChatAsync(http, $"scripted {i} [[fail:502]]");
            scripted.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        }

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 40; i++)
        {
            using HttpResponseMessage response = i % 10 == 0 ? await EmbeddingsAsync(http, $"mixed {i}") : await ChatAsync(http, $"mixed {i}");
            statuses.Add(response.StatusCode);
        }

        EmulatorStats stats = emulator.GetStats();
        stats.Received.Should().Be(50);
        stats.Received.Should().Be(stats.ChatRequestsReceived + stats.EmbeddingRequestsReceived);
        stats.RejectedQuota.Should().Be(5);
        stats.RejectedInvalid.Should().Be(3);
        stats.InjectedFaults.Scripted.Should().Be(2);
        stats.RejectedRateLimited.Should().Be(22, "quota and invalid requests take nothing; the 2 scripted failures and 18 others emptied the bucket of 20");
        stats.Accepted.Should().BePositive();
        (stats.InjectedFaults.Error500 + stats.InjectedFaults.Error503 + stats.InjectedFaults.Malformed).Should().BePositive();
        stats.Received.Should().Be(
            stats.Accepted + stats.RejectedInvalid + stats.RejectedQuota + stats.RejectedRateLimited + stats.InjectedFaults.Total);
        stats.ByFingerprint.Values.Sum(f => f.Accepted).Should().Be(stats.Accepted);
        statuses.Count(s => s == HttpStatusCode.TooManyRequests).Should().Be(22);
        (stats.ChatRequestsServed + stats.EmbeddingRequestsServed).Should().Be(stats.Accepted + stats.InjectedFaults.Malformed);
    }

    [Theory]
    [InlineData("--rpm", "-1", "'--rpm'")]
    [InlineData("--tpm", "x", "'--tpm'")]
    [InlineData("--error500-rate", "1.5", "'--error500-rate'")]
    [InlineData("--stall-rate", "abc", "'--stall-rate'")]
    [InlineData("--stall-ms", "-3", "'--stall-ms'")]
    [InlineData("--error503-rate", "0.6 --malformed-rate 0.5", "must add up to at most 1")]
    public async Task Command_line_validation_names_the_argument(string name, string value, string expected)
    {
        var arguments = new List<string> { typeof(EmulatorServer).Assembly.Location, name };
        arguments.AddRange(value.Split(' '));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(2);
        error.Should().Contain(expected);
    }

    private static async Task<HashSet<string>> FailedContentsAsync(IReadOnlyList<string> contents, int seed = 7)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { FaultSeed = seed, Error500Rate = 0.2 });
        using HttpClient http = Http(emulator);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (string content in contents)
        {
            using HttpResponseMessage response = await ChatAsync(http, content);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
                failed.Add(content);
            }
        }

        emulator.GetStats().InjectedFaults.Error500.Should().Be(failed.Count);
        return failed;
    }

    private static async Task ShouldBeQuotaError(HttpResponseMessage response)
    {
        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        response.Headers.Contains("Retry-After").Should().BeFalse();
        response.Headers.Contains("retry-after-ms").Should().BeFalse();
        JsonNode error = await ErrorOf(response);
        error["code"]!.GetValue<string>().Should().Be("insufficient_quota");
        error["type"]!.GetValue<string>().Should().Be("insufficient_quota");
        error["message"]!.GetValue<string>().Should().Be(QuotaMessage);
    }

    private static HttpClient Http(EmulatorServer emulator) => new() { BaseAddress = emulator.BaseUrl };

    private static Task<HttpResponseMessage> ChatAsync(
        HttpClient http, string content, int? maxTokens = null, string field = "max_tokens", CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["model"] = "gpt-4o-mini",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        if (maxTokens is int max)
        {
            body[field] = max;
        }

        return http.PostAsync("chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken);
    }

    private static Task<HttpResponseMessage> EmbeddingsAsync(HttpClient http, string input)
    {
        var body = new JsonObject { ["model"] = "text-embedding-3-small", ["input"] = input };
        return http.PostAsync("embeddings", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : throw new InvalidOperationException($"No header {name}.");

    private static async Task<JsonNode> ErrorOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
}
