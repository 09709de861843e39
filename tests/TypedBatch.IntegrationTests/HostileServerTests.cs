using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// A hostile or broken server, over real loopback HTTP: bodies that drip for hours, answers too large to hold. Every
/// byte of a response is read inside the attempt timeout and under the caller's token.
/// </summary>
public sealed class HostileServerTests
{
    // Generous: it bounds how long a test waits for something the client must end by itself, not what the test asserts.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("[[drip-error:500]]")]
    [InlineData("[[drip-ok]]")]
    [InlineData("[[drip-ok:none]]")]
    public async Task A_dripping_body_fails_the_item_as_a_timeout_within_the_total_timeout(string marker)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o =>
        {
            o.AttemptTimeout = TimeSpan.FromSeconds(1);
            o.TotalTimeout = TimeSpan.FromSeconds(2);
        });

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            [[ChatMessage.User("slow " + marker)], [ChatMessage.User("fine")]]).WaitAsync(Patience);

        result[0].Error!.Kind.Should().Be(BatchErrorKind.Timeout, result[0].Error!.ToString());
        result[1].Value!.Content.Should().Be("Re: fine");
    }

    [Theory]
    [InlineData("[[drip-error:500]]")]
    [InlineData("[[drip-ok]]")]
    [InlineData("[[drip-ok:none]]")]
    public async Task A_dripping_body_gives_way_to_the_callers_token(string marker)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator); // minutes of attempt timeout: only the token can end it
        using var twoSeconds = new CancellationTokenSource(TimeSpan.FromSeconds(2));

        Func<Task> call = () => client.CreateChatCompletionAsync([ChatMessage.User("slow " + marker)], cancellationToken: twoSeconds.Token).WaitAsync(Patience);

        await call.Should().ThrowAsync<OperationCanceledException>();
    }
}
