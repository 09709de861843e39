using Microsoft.Extensions.Time.Testing;
using TypedBatch.Providers;

namespace TypedBatch.Tests;

/// <summary>
/// The edges of the fallback chain's circuit breakers (Polly's), on a fake clock: a failed trial re-opens, concurrent
/// callers get one trial between them, an all-open chain says so, a cancelled trial frees the circuit, and embeddings
/// fall back like chat.
/// </summary>
public sealed class CircuitBreakerEdgeTests
{
    private static readonly ChatRequest Request = new([PromptMessage.User("hi")], new CompletionSettings { Model = "m" });
    private static readonly EmbeddingRequest Embedding = new(["text"], "e");
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(30);

    private static ProviderException Down(string provider) => new(BatchErrorKind.Http, provider, "down", 503);

    /// <summary>A provider whose next answer a test decides, optionally held open until the test releases it.</summary>
    private sealed class GatedProvider(string name) : IChatProvider
    {
        private int _calls;

        public Func<Exception?> Next { get; set; } = () => null;

        public TaskCompletionSource? Hold { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public string Name => name;

        public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            if (Hold is { } hold)
            {
                await hold.Task.WaitAsync(cancellationToken);
            }

            return Next() is { } failure ? throw failure : new ChatCompletion { Content = "ok", Provider = name };
        }

        public async Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            await Task.Yield();
            return Next() is { } failure ? throw failure : new EmbeddingResponse([new EmbeddingVector(new[] { 1f })], default);
        }
    }

    private static async Task TripAsync(FallbackChatProvider chain, GatedProvider primary, int failures)
    {
        primary.Next = () => Down("primary");
        for (int i = 0; i < failures; i++)
        {
            await chain.CompleteAsync(Request);
        }
    }

    [Fact]
    public async Task A_failed_half_open_trial_re_opens_the_breaker_for_another_break()
    {
        var time = new FakeTimeProvider();
        var primary = new GatedProvider("primary");
        var backup = new GatedProvider("backup");
        var chain = new FallbackChatProvider([primary, backup], 2, Break, time);
        await TripAsync(chain, primary, 2);

        time.Advance(Break + TimeSpan.FromSeconds(1));
        (await chain.CompleteAsync(Request)).Provider.Should().Be("backup", "the trial failed");
        primary.Calls.Should().Be(3, "exactly one trial after the break");

        (await chain.CompleteAsync(Request)).Provider.Should().Be("backup");
        time.Advance(Break - TimeSpan.FromSeconds(1));
        (await chain.CompleteAsync(Request)).Provider.Should().Be("backup");
        primary.Calls.Should().Be(3, "re-opened for a whole new break");

        primary.Next = () => null;
        time.Advance(TimeSpan.FromSeconds(2));
        (await chain.CompleteAsync(Request)).Provider.Should().Be("primary", "the next trial succeeds and closes it");
    }

    [Fact]
    public async Task Concurrent_callers_get_exactly_one_trial_and_the_others_skip_the_provider()
    {
        var time = new FakeTimeProvider();
        var primary = new GatedProvider("primary");
        var backup = new GatedProvider("backup");
        var chain = new FallbackChatProvider([primary, backup], 2, Break, time);
        await TripAsync(chain, primary, 2);
        time.Advance(Break + TimeSpan.FromSeconds(1));
        primary.Next = () => null;
        primary.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        Task<ChatCompletion> trial = chain.CompleteAsync(Request);
        ChatCompletion[] others = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => chain.CompleteAsync(Request)));
        primary.Hold.SetResult();

        (await trial).Provider.Should().Be("primary");
        others.Should().OnlyContain(c => c.Provider == "backup");
        primary.Calls.Should().Be(3, "two that tripped it and one trial");
    }

    [Fact]
    public async Task When_every_provider_is_open_the_error_says_every_circuit_breaker_skips_them()
    {
        var time = new FakeTimeProvider();
        var a = new GatedProvider("a") { Next = () => Down("a") };
        var b = new GatedProvider("b") { Next = () => Down("b") };
        var chain = new FallbackChatProvider([a, b], 2, Break, time);
        for (int i = 0; i < 2; i++)
        {
            Func<Task> failing = () => chain.CompleteAsync(Request);
            await failing.Should().ThrowAsync<ProviderException>().WithMessage("*every provider of the chain failed*");
        }

        Func<Task> act = () => chain.CompleteAsync(Request);

        ProviderException error = (await act.Should().ThrowAsync<ProviderException>()).Which;
        error.Message.Should().Contain("Every provider of the chain is skipped by its circuit breaker");
        error.Kind.Should().Be(BatchErrorKind.Transport);
        (a.Calls, b.Calls).Should().Be((2, 2), "nothing was sent while both were open");
    }

    [Fact]
    public async Task A_cancelled_trial_frees_the_circuit_for_the_next_caller()
    {
        var time = new FakeTimeProvider();
        var primary = new GatedProvider("primary");
        var backup = new GatedProvider("backup");
        var chain = new FallbackChatProvider([primary, backup], 2, Break, time);
        await TripAsync(chain, primary, 2);
        time.Advance(Break + TimeSpan.FromSeconds(1));
        primary.Next = () => null;
        primary.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();

        Task<ChatCompletion> trial = chain.CompleteAsync(Request, cancel.Token);
        await cancel.CancelAsync();
        Func<Task> cancelled = () => trial;
        await cancelled.Should().ThrowAsync<OperationCanceledException>();

        primary.Hold = null;
        (await chain.CompleteAsync(Request)).Provider.Should().Be("primary", "the cancelled trial does not keep the circuit half-open");
    }

    [Fact]
    public async Task Embeddings_fall_back_and_trip_the_same_breaker()
    {
        var time = new FakeTimeProvider();
        var primary = new GatedProvider("primary") { Next = () => Down("primary") };
        var backup = new GatedProvider("backup");
        var chain = new FallbackChatProvider([primary, backup], 2, Break, time);

        for (int i = 0; i < 4; i++)
        {
            (await chain.EmbedAsync(Embedding)).Embeddings.Should().ContainSingle();
        }

        primary.Calls.Should().Be(2, "open after two failures: the other two went straight to the backup");
        backup.Calls.Should().Be(4);
    }
}
