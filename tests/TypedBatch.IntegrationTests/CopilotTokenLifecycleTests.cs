using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// The Copilot token's life on fake clocks (one for the emulator, one injected into the client through DI, moved
/// together or apart): when the client exchanges again, and what it does when the server stops accepting a token.
/// The emulator's 30-minute token comes with <c>refresh_in</c> 1740 s and <c>expires_at</c> 1800 s ahead. The
/// emulator checks Copilot tokens on the system clock (its TimeProvider option does not reach its token store), so
/// the client's fake clock starts at the real time plus a skew and only the client's clock is moved.
/// Checked by dropping the one-minute margin in CopilotTokenSource (the 28-minute test fails) and by removing the
/// plausibility check on expires_at (the skewed-clock test exchanges on every request).
/// </summary>
public sealed class CopilotTokenLifecycleTests : IAsyncLifetime
{
    private FakeTimeProvider _clientClock = null!;
    private EmulatorServer _emulator = null!;
    private ServiceProvider? _services;

    public async Task InitializeAsync()
        => _emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CopilotTokenLifetime = TimeSpan.FromMinutes(30) });

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task The_token_is_refreshed_a_minute_before_refresh_in_runs_out()
    {
        TypedBatchClient client = CreateClient(skew: TimeSpan.Zero);

        await AskAsync(client, "first");
        Advance(TimeSpan.FromMinutes(27) + TimeSpan.FromSeconds(59));
        await AskAsync(client, "at 27:59");
        Exchanges.Should().Be(1, "refresh_in 29 min minus a minute is 28 min: the token is still fresh");

        Advance(TimeSpan.FromSeconds(2));
        ChatCompletion after = await AskAsync(client, "at 28:01");
        Exchanges.Should().Be(2);
        after.Attempts.Should().Be(1, "the token was refreshed up front, not after a 401");
    }

    [Fact]
    public async Task Expires_at_caps_the_refresh_when_the_local_clock_runs_a_little_ahead()
    {
        // Ten minutes ahead, expires_at (30 min on the server's clock) is 20 minutes away locally: refresh at 19.
        TypedBatchClient client = CreateClient(skew: TimeSpan.FromMinutes(10));

        await AskAsync(client, "first");
        Advance(TimeSpan.FromMinutes(18) + TimeSpan.FromSeconds(59));
        await AskAsync(client, "at 18:59");
        Exchanges.Should().Be(1);

        Advance(TimeSpan.FromSeconds(2));
        await AskAsync(client, "at 19:01");
        Exchanges.Should().Be(2, "expires_at minus a minute comes before refresh_in minus a minute");
    }

    [Fact]
    public async Task A_clock_hours_ahead_does_not_force_an_exchange_per_request()
    {
        // An hour ahead, expires_at looks already past: it is not believed, refresh_in (relative) is.
        TypedBatchClient client = CreateClient(skew: TimeSpan.FromHours(1));

        await AskAsync(client, "first");
        await AskAsync(client, "second");
        Advance(TimeSpan.FromMinutes(27));
        await AskAsync(client, "at 27:00");
        Exchanges.Should().Be(1);

        Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        await AskAsync(client, "at 28:01");
        Exchanges.Should().Be(2);
    }

    [Fact]
    public async Task A_token_the_server_stops_accepting_gives_a_401_and_the_next_call_exchanges_afresh()
    {
        // A 2 s token on the server's real clock; the client's clock stands still, so to the client it stays fresh.
        // Real time passes only to make the server reject the token; what is asserted is what happens then.
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CopilotTokenLifetime = TimeSpan.FromSeconds(2) });
        TypedBatchClient client = CreateClient(skew: TimeSpan.Zero, emulator);
        await AskAsync(client, "first");
        await Task.Delay(TimeSpan.FromSeconds(2.2));

        Func<Task> rejected = () => AskAsync(client, "rejected");
        (await rejected.Should().ThrowAsync<ProviderException>()).Which.StatusCode.Should().Be(401);
        emulator.GetStats().TokenExchanges.Should().Be(1, "a 401 is not retried with the same token");

        ChatCompletion next = await AskAsync(client, "next");
        next.Content.Should().Be("Re: next");
        emulator.GetStats().TokenExchanges.Should().Be(2, "the 401 dropped the cached token");
    }

    private long Exchanges => _emulator.GetStats().TokenExchanges;

    private static Task<ChatCompletion> AskAsync(TypedBatchClient client, string text) => client.CreateChatCompletionAsync([PromptMessage.User(text)]);

    private void Advance(TimeSpan by) => _clientClock.Advance(by);

    private TypedBatchClient CreateClient(TimeSpan skew, EmulatorServer? emulator = null)
    {
        emulator ??= _emulator;
        _clientClock = new FakeTimeProvider(TimeProvider.System.GetUtcNow() + skew);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_clientClock);
        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.GitHubCopilot;
            o.GitHubToken = "emulator-github-token";
            o.CopilotTokenUrl = emulator.CopilotTokenUrl;
            o.RequestsPerMinute = 6000;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
        });
        _services = services.BuildServiceProvider();
        return _services.GetRequiredService<TypedBatchClient>();
    }
}
