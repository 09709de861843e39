using Microsoft.Extensions.Logging;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// A server that echoes the caller's credential in every error field, the request id and a long HTML page: no secret
/// the client knows (API key, Copilot session token) reaches an error, an exception or a Debug-level log.
/// </summary>
public sealed class SecretMaskingTests
{
    public static TheoryData<int, string> Echoes()
    {
        var data = new TheoryData<int, string>();
        foreach (int length in new[] { 8, 40, 158 })
        {
            data.Add(length, "[[echo-key]]");

            // The key straddles character 200, where a non-JSON error body is cut.
            data.Add(length, $"[[echo-key-html:{200 - (length / 2)}]]");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Echoes))]
    public async Task An_echoed_api_key_is_masked_everywhere(int length, string marker)
    {
        string key = Sentinel(length);
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        var logs = new ListLoggerProvider();
        using ILoggerFactory loggerFactory = logs.CreateFactory();
        await using TypedBatchClient client = Create(emulator, o => o.ApiKey = key, loggerFactory);

        await AssertNoLeakAsync(client, logs, "hi " + marker, () => key);
    }

    [Fact]
    public async Task An_echoed_copilot_session_token_is_masked_everywhere()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true, CaptureCredentials = true });
        var logs = new ListLoggerProvider();
        using ILoggerFactory loggerFactory = logs.CreateFactory();
        await using var client = TypedBatchClient.Create(
            new TypedBatchOptions
            {
                Provider = ProviderKind.GitHubCopilot,
                GitHubToken = emulator.Options.GitHubToken,
                CopilotTokenUrl = emulator.CopilotTokenUrl,
                RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            },
            loggerFactory);

        // The session token comes from the exchange; the captured chat request shows which one the client used.
        await AssertNoLeakAsync(client, logs, "hi [[echo-key]]", () =>
        {
            string authorization = emulator.CapturedRequests.First(r => r.PathAndQuery.Contains("chat/completions", StringComparison.Ordinal)).Headers["Authorization"];
            return authorization["Bearer ".Length..];
        });
    }

    private static async Task AssertNoLeakAsync(TypedBatchClient client, ListLoggerProvider logs, string echo, Func<string> secret)
    {
        BatchResult<ChatCompletion> batch = await client.CreateChatCompletionsBatchAsync([[PromptMessage.User(echo)], [PromptMessage.User("fine")]]);
        Func<Task> single = () => client.CreateChatCompletionAsync([PromptMessage.User(echo)]);
        ProviderException thrown = (await single.Should().ThrowAsync<ProviderException>()).Which;
        string sentinel = secret();
        sentinel.Length.Should().BeGreaterThanOrEqualTo(8);

        BatchError error = batch[0].Error!;
        batch[1].Succeeded.Should().BeTrue();
        thrown.StatusCode.Should().BeOneOf(401, 502);
        var exposed = new List<string?>
        {
            error.ToString(), batch[0].ToString(), error.Message, error.ProviderCode, error.ErrorType, error.RequestId, error.Provider, error.RawOutput,
            thrown.Message, thrown.ProviderMessage, thrown.ErrorType, thrown.ErrorCode, thrown.Param, thrown.RequestId, thrown.RawOutput, thrown.ToString(),
        };
        Action getValues = () => batch.GetValuesOrThrow();
        exposed.Add(getValues.Should().Throw<BatchFailedException>().Which.Message);
        exposed.AddRange(logs.Lines);
        logs.Lines.Should().Contain(l => l.StartsWith("Debug", StringComparison.Ordinal), "the item's failure is logged at Debug level");

        exposed.Where(text => Leaks(text, sentinel)).Should().BeEmpty("no part of the secret longer than a few characters may show");
        error.Message.Should().Contain("***", "the echoed secret is masked, not dropped with the rest of the message");
    }

    /// <summary>Whether the text holds the secret or any 12-character piece of it, such as the half left by a cut.</summary>
    private static bool Leaks(string? text, string secret)
    {
        if (text is null)
        {
            return false;
        }

        int window = Math.Min(12, secret.Length);
        for (int i = 0; i + window <= secret.Length; i++)
        {
            if (text.Contains(secret.AsSpan(i, window), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Sentinel(int length)
    {
        const string Alphabet = "ABCDEFGHJKMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
        char[] chars = new char[length];
        chars[0] = 'k';
        for (int i = 1; i < length; i++)
        {
            chars[i] = Alphabet[((i * 7) + length) % Alphabet.Length];
        }

        return new string(chars);
    }
}
