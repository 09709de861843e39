using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// Issue 9, finding 9: an empty rendered message is rejected the same way by generated and untyped calls: per item
/// (InvalidInput) in batches, ArgumentException for single calls, and nothing is sent.
/// </summary>
public sealed class EmptyInputTests
{
    private static readonly string?[] Reviews = ["great", "", "fine", null, "   "];

    [Fact]
    public async Task A_generated_batch_fails_empty_rendered_inputs_per_item_without_sending_them()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        IReviewPrompts prompts = client.For<IReviewPrompts>();

        BatchResult<string> text = await prompts.EchoBatchAsync(Reviews);
        BatchResult<Sentiment> typed = await prompts.ClassifyBatchAsync(Reviews);

        foreach (BatchResult<object?> result in new[] { text.MapValues(v => (object?)v), typed.MapValues(v => (object?)v) })
        {
            result.Count.Should().Be(Reviews.Length);
            result[0].Succeeded.Should().BeTrue();
            result[2].Succeeded.Should().BeTrue();
            foreach (int i in new[] { 1, 3, 4 })
            {
                result[i].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
                result[i].Error!.Message.Should().Contain("message 1 (User) has empty content").And.Contain("nothing was sent");
                result[i].Attempts.Should().Be(0);
            }
        }

        text[0].Value.Should().Be("Re: great");
        emulator.GetStats().ChatRequestsReceived.Should().Be(4, "only the two valid inputs of each batch were sent");
    }

    [Fact]
    public async Task A_generated_single_call_with_an_empty_input_throws_an_argument_exception_without_sending()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        IReviewPrompts prompts = client.For<IReviewPrompts>();

        await prompts.Invoking(p => p.EchoAsync("")).Should().ThrowAsync<ArgumentException>().WithMessage("*empty content*nothing was sent*");
        await prompts.Invoking(p => p.EchoAsync(null)).Should().ThrowAsync<ArgumentException>();
        await prompts.Invoking(p => p.ClassifyAsync(" ")).Should().ThrowAsync<ArgumentException>().WithMessage("*empty content*");
        emulator.GetStats().ChatRequestsReceived.Should().Be(0);
    }

    [Fact]
    public async Task The_untyped_api_applies_the_same_rule()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        IReadOnlyList<PromptMessage>[] conversations = Reviews.Select(r => (IReadOnlyList<PromptMessage>)[PromptMessage.System("Repeat the review."), PromptMessage.User(r ?? "")]).ToArray();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(conversations);
        await client.Invoking(c => c.CreateChatCompletionAsync([PromptMessage.User("")])).Should().ThrowAsync<ArgumentException>().WithMessage("*empty content*");

        result.Select(i => i.Succeeded).Should().Equal(true, false, true, false, false);
        result.Failures.Should().OnlyContain(i => i.Error!.Kind == BatchErrorKind.InvalidInput && i.Error.Message.Contains("message 1 (User) has empty content", StringComparison.Ordinal));
        emulator.GetStats().ChatRequestsReceived.Should().Be(2);
    }
}
