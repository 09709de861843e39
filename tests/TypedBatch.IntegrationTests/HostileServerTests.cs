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
            [[PromptMessage.User("slow " + marker)], [PromptMessage.User("fine")]]).WaitAsync(Patience);

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

        Func<Task> call = () => client.CreateChatCompletionAsync([PromptMessage.User("slow " + marker)], cancellationToken: twoSeconds.Token).WaitAsync(Patience);

        await call.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task A_body_over_MaxResponseBytes_fails_its_item_without_retries_and_the_others_succeed()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => o.MaxResponseBytes = 1024 * 1024);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            [[PromptMessage.User("one")], [PromptMessage.User("huge [[oversize:40]]")], [PromptMessage.User("three")]]).WaitAsync(Patience);

        BatchError error = result[1].Error!;
        error.Kind.Should().Be(BatchErrorKind.InvalidOutput, error.ToString());
        error.Message.Should().Contain("MaxResponseBytes").And.Contain("1048576");
        result[0].Value!.Content.Should().Be("Re: one");
        result[2].Value!.Content.Should().Be("Re: three");
        emulator.GetStats().InjectedFaults.Oversize.Should().Be(1, "a body over the cap is not asked for again");
    }

    [Theory]
    [InlineData(1023L, false)]
    [InlineData(0L, false)]
    [InlineData(1024L, true)]
    [InlineData(32L * 1024 * 1024, true)]
    [InlineData(4L * 1024 * 1024 * 1024, false)]
    public void MaxResponseBytes_is_between_one_kilobyte_and_the_largest_array(long value, bool valid)
    {
        var options = new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = new Uri("http://localhost:1/v1"), MaxResponseBytes = value };

        Action validate = options.Validate;

        if (valid)
        {
            validate.Should().NotThrow();
        }
        else
        {
            validate.Should().Throw<InvalidOperationException>().WithMessage("*MaxResponseBytes*1024*");
        }
    }

    [Theory]
    [InlineData("[[dup-index]]", "index 0 twice")]
    [InlineData("[[missing-index]]", "no embedding for input 2")]
    public async Task Embeddings_with_a_duplicate_or_missing_index_fail_the_request_as_invalid_output(string marker, string reason)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        // One request for the three inputs: the server's answer is wrong for all of them, not only for the marked one.
        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(["one " + marker, "two", "three"]).WaitAsync(Patience);

        result.Should().HaveCount(3);
        foreach (BatchItem<EmbeddingVector> item in result)
        {
            item.Succeeded.Should().BeFalse("item {0} must not get another input's vector", item.Index);
            item.Error!.Kind.Should().Be(BatchErrorKind.InvalidOutput);
            item.Error.Message.Should().Contain(reason);
        }
    }
}
