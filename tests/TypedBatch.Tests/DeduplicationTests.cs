namespace TypedBatch.Tests;

public sealed class DeduplicationTests
{
    [Fact]
    public async Task A_failure_of_the_request_sent_is_every_duplicates_error_with_no_attempt_of_its_own()
    {
        var provider = new FakeChatProvider
        {
            Fail = r => r.Messages[^1].Content.Contains("poison", StringComparison.Ordinal) ? new ProviderException(BatchErrorKind.Http, "fake", "bad gateway", 502) { Attempts = 3 } : null,
        };
        var client = new TypedBatchClient(provider);
        var inputs = Enumerable.Range(0, 30).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User(i % 3 == 0 ? "poison" : $"fine {i % 2}")]).ToList();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(inputs, new BatchOptions { Temperature = 0, MaxConcurrency = 8 });

        provider.Calls.Should().Be(3, "one poison request and two fine ones, each sent once");
        result.Failures.Should().HaveCount(10).And.OnlyContain(item => item.Error!.StatusCode == 502);
        result.Failures.Where(item => item.DuplicateOf is null).Should().ContainSingle().Which.Attempts.Should().Be(3);
        result.Failures.Where(item => item.DuplicateOf is not null).Should().HaveCount(9).And.OnlyContain(item => item.Attempts == 0);
        result.Select(item => item.Index).Should().Equal(Enumerable.Range(0, 30));
    }
}
