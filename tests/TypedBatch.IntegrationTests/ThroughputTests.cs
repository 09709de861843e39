using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>Rate limits, retries, adaptive concurrency and fallback, over real HTTP against the emulator.</summary>
public sealed class ThroughputTests
{
    [Fact]
    public async Task Two_thousand_requests_with_20_percent_faults_give_one_ordered_result_each_and_no_double_acceptance()
    {
        const int Count = 2000;
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions
        {
            FaultSeed = 11,
            Error500Rate = 0.06,
            Error503Rate = 0.06,
            ResetRate = 0.03,
            MalformedRate = 0.04,
            StallRate = 0.005,
            StallDuration = TimeSpan.FromSeconds(12),
        });
        await using TypedBatchClient client = Create(emulator, o =>
        {
            o.MaxRetries = 8;
            o.AttemptTimeout = TimeSpan.FromSeconds(4);
            o.TotalTimeout = TimeSpan.FromSeconds(60);
        });
        var conversations = Enumerable.Range(0, Count).Select(Conversation).ToList();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations, maxWorkers: 32);

        result.Should().HaveCount(Count);
        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        EmulatorStats stats = emulator.GetStats();
        stats.InjectedFaults.Total.Should().BeInRange(Count / 10, Count / 2, "about a fifth of first attempts, and of retries, are faulted");
        for (int i = 0; i < Count; i++)
        {
            result[i].Index.Should().Be(i);
            result[i].Value!.Content.Should().Be($"Re: item {i}");
            FingerprintStats perItem = stats.ByFingerprint[FingerprintOf("gpt-4o-mini", conversations[i])];
            perItem.Accepted.Should().Be(1, "the model ran once for each item: faults are retried, answers are never asked for twice");
            perItem.Received.Should().Be(result[i].Attempts, "every attempt the client counted reached the server");
        }

        stats.Accepted.Should().Be(Count);
    }

    [Fact]
    public async Task A_retry_after_hint_is_honoured_and_a_hint_beyond_the_cap_fails_fast()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => o.MaxRetryAfter = TimeSpan.FromSeconds(30));

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
        [
            [PromptMessage.User("short wait [[fail:429:1]] [[retry-after-ms:200]]")],
            [PromptMessage.User("seconds [[fail:503:1]] [[retry-after:1]]")],
            [PromptMessage.User("114 hours [[fail:429:1]] [[retry-after:410400]]")],
        ]);

        result[0].Succeeded.Should().BeTrue();
        result[0].Attempts.Should().Be(2);
        result[1].Succeeded.Should().BeTrue();
        result[1].Attempts.Should().Be(2);
        result[2].Error!.Kind.Should().Be(BatchErrorKind.RateLimited);
        result[2].Attempts.Should().Be(1, "a wait longer than MaxRetryAfter is not waited for");
        result[2].Error!.Message.Should().Contain("MaxRetryAfter");
    }

    [Fact]
    public async Task Quota_429s_and_x_should_retry_false_are_not_retried()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        // Two batches: a quota answer stops its batch from sending anything more, so in one batch with it the others
        // would be sent or not depending on which worker got there first.
        BatchResult<ChatCompletion> quota = await client.CreateChatCompletionsBatchAsync([[PromptMessage.User("broke [[quota]]")]]);
        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
        [
            [PromptMessage.User("server says no [[fail:503]] [[x-should-retry:false]]")],
            [PromptMessage.User("bad request [[fail:400]]")],
        ]);

        quota[0].Error!.ProviderCode.Should().Be("insufficient_quota");
        quota[0].Attempts.Should().Be(1);
        result[0].Error!.StatusCode.Should().Be(503);
        result[0].Attempts.Should().Be(1);
        result[1].Error!.StatusCode.Should().Be(400);
        result[1].Attempts.Should().Be(1);
        emulator.GetStats().Received.Should().Be(3);
    }

    [Fact]
    public async Task The_gate_learns_the_limit_from_the_first_answer_and_stays_under_it()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { RequestsPerMinute = 1200, TimeProvider = time });
        await using ServiceProvider services = CreateOnClock(emulator, time, o => o.MaxRetries = 6);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        BatchResult<ChatCompletion> result = await DriveAsync(client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 100).Select(Conversation).ToList(), new BatchOptions { MaxConcurrency = 32, Model = "learned-model" }), time, TimeSpan.FromMilliseconds(20));

        // Without the gate, 32 at a time against 20 a second draw dozens of 429s. The first request goes alone; its
        // answer tells the limit (and what is left) before the others go, and the client's half-second burst never
        // outruns the server's one-second bucket on the same clock: none is turned away.
        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        emulator.GetStats().RejectedRateLimited.Should().Be(0);
        emulator.GetStats().ChatRequestsReceived.Should().Be(100);
    }

    [Fact]
    public async Task Concurrency_shrinks_under_429s_and_every_item_still_succeeds()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        var conversations = Enumerable.Range(0, 60)
            .Select(i => i < 20 ? [PromptMessage.User($"item {i} [[fail:429:1]] [[retry-after-ms:20]]")] : Conversation(i))
            .ToList();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations, new BatchOptions { MaxConcurrency = 32 });

        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        result.ThrottledResponses.Should().Be(20);
        result.MinConcurrency.Should().BeLessThan(32);
    }

    [Fact]
    public async Task A_configured_limit_sends_no_request_the_server_turns_away()
    {
        var time = new FakeTimeProvider();
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { RequestsPerMinute = 1200, TimeProvider = time });
        await using ServiceProvider services = CreateOnClock(emulator, time);
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        BatchResult<ChatCompletion> result = await DriveAsync(client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 100).Select(Conversation).ToList(), new BatchOptions { MaxConcurrency = 32, RequestsPerMinute = 1200, Model = "configured-model" }), time, TimeSpan.FromMilliseconds(20));

        // Without the gate, 32 at a time against 20 a second draw dozens of 429s; with it, on the server's own clock, none.
        result.AllSucceeded.Should().BeTrue();
        emulator.GetStats().RejectedRateLimited.Should().Be(0);
        result.ThrottledResponses.Should().Be(0);
    }

    [Fact]
    public async Task Items_move_to_the_fallback_provider_and_the_breaker_stops_calling_the_failing_one()
    {
        await using EmulatorServer failing = await EmulatorServer.StartAsync(new EmulatorOptions { FailEveryNth = 1, FailStatus = 503 });
        await using EmulatorServer backup = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(failing, o =>
        {
            o.MaxRetries = 1;
            o.CircuitBreakFailures = 3;
            o.CircuitBreakDuration = TimeSpan.FromMinutes(5);
            o.Fallbacks.Add(new ProviderOptions { Name = "backup", Provider = ProviderKind.OpenAICompatible, BaseUrl = backup.BaseUrl });
        });

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(Enumerable.Range(0, 20).Select(Conversation).ToList(), maxWorkers: 1);

        result.AllSucceeded.Should().BeTrue();
        result.Should().OnlyContain(i => i.Provider == "backup" && i.Value!.Provider == "backup");
        result.CountByProvider().Should().Equal(new Dictionary<string, int> { ["backup"] = 20 });
        failing.GetStats().Received.Should().Be(3 * 2, "three items tried it (with one retry each), then its breaker opened");
        backup.GetStats().ChatRequestsServed.Should().Be(20);
    }

    [Fact]
    public async Task Errors_another_provider_would_repeat_do_not_fall_back()
    {
        await using EmulatorServer primary = await EmulatorServer.StartAsync();
        await using EmulatorServer backup = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(primary, o => o.Fallbacks.Add(new ProviderOptions { Name = "backup", BaseUrl = backup.BaseUrl }));

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync([[PromptMessage.User("bad [[fail:400]]")]]);

        result[0].Error!.StatusCode.Should().Be(400);
        backup.GetStats().Received.Should().Be(0);
    }
}
