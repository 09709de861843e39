using Microsoft.Extensions.Logging;
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

    public static IReadOnlyList<ChatMessage> Conversation(int i) => [ChatMessage.System("You are terse."), ChatMessage.User($"item {i}")];

    public static string FingerprintOf(string model, IReadOnlyList<ChatMessage> messages)
        => RequestFingerprint.Compute(model, messages.Select(m => (m.Role.ToString().ToLowerInvariant(), m.Content)));
}
