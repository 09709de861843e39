using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

internal static class EmulatorClients
{
    /// <summary>A client over real HTTP to the emulator, with fast retries so failure tests stay quick.</summary>
    public static TypedBatchClient Create(EmulatorServer emulator, Action<TypedBatchOptions>? configure = null, ILoggerFactory? loggerFactory = null)
    {
        var options = new TypedBatchOptions
        {
            Provider = ProviderKind.OpenAICompatible,
            BaseUrl = emulator.BaseUrl,
            ApiKey = emulator.Options.ApiKey,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        };
        configure?.Invoke(options);
        return TypedBatchClient.Create(options, loggerFactory);
    }

    /// <summary>
    /// A client on <paramref name="time"/>, the same fake clock the emulator's limiter runs on: the client's gates, its
    /// timeouts and the server's buckets all see the same instants, so how many requests a limit lets through is decided
    /// by the limits alone, never by how fast this machine happens to be.
    /// </summary>
    public static ServiceProvider CreateOnClock(EmulatorServer emulator, FakeTimeProvider time, Action<TypedBatchOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.OpenAICompatible;
            o.BaseUrl = emulator.BaseUrl;
            o.ApiKey = emulator.Options.ApiKey;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Moves the shared fake clock forward in small steps until <paramref name="work"/> completes. Real time only lets
    /// the requests happen between steps; the bound on steps turns a hang into a failure.
    /// </summary>
    public static async Task<T> DriveAsync<T>(Task<T> work, FakeTimeProvider time, TimeSpan step, int maxSteps = 20_000)
    {
        for (int i = 0; i < maxSteps && !work.IsCompleted; i++)
        {
            await Task.Delay(2);
            time.Advance(step);
        }

        work.IsCompleted.Should().BeTrue($"the work should finish within {maxSteps} steps of {step} on the fake clock");
        return await work;
    }

    public static IReadOnlyList<PromptMessage> Conversation(int i) => [PromptMessage.System("You are terse."), PromptMessage.User($"item {i}")];

    public static string FingerprintOf(string model, IReadOnlyList<PromptMessage> messages)
        => RequestFingerprint.Compute(model, messages.Select(m => (m.Role.ToString().ToLowerInvariant(), m.Content)));
}
