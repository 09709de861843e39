using TypedBatch.Emulator;
using TypedBatch.IntegrationTests.Prompts;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

/// <summary>Typed results: compile-time strict schemas, parsing, repair re-asks, refusals and truncation, over HTTP.</summary>
public sealed class TypedResultTests : IAsyncLifetime
{
    private EmulatorServer _emulator = null!;
    private TypedBatchClient _client = null!;

    private IAnalyst Analyst => _client.For<IAnalyst>();

    public async Task InitializeAsync()
    {
        _emulator = await EmulatorServer.StartAsync();
        _client = Create(_emulator);
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _emulator.DisposeAsync();
    }

    [Fact]
    public async Task Every_kind_of_result_round_trips_in_single_calls()
    {
        Sentiment sentiment = await Analyst.ClassifyAsync("great film");
        CodeSnippet code = await Analyst.WriteCodeAsync("reverse a string");
        Person person = await Analyst.DescribeAsync("a pilot");
        TreeNode tree = await Analyst.TreeAsync("animals");
        List<Sentiment> many = await Analyst.SentimentsAsync("good and bad");
        int count = await Analyst.CountAsync("one two");
        bool question = await Analyst.IsQuestionAsync("why?");
        DateTimeOffset when = await Analyst.WhenAsync("the letter");

        Enum.IsDefined(sentiment).Should().BeTrue();
        code.Language.Should().NotBeNullOrEmpty();
        code.Code.Should().NotBeNullOrEmpty();
        person.Name.Should().NotBeNullOrEmpty();
        person.Tags.Should().NotBeNull();
        person.Born.Year.Should().BeInRange(1900, 2100);
        Enum.IsDefined(person.Mood).Should().BeTrue();
        tree.Label.Should().NotBeNullOrEmpty();
        many.Should().OnlyContain(s => Enum.IsDefined(s));
        _ = count;
        _ = question;
        when.Year.Should().BeInRange(1900, 2100);
        _emulator.GetStats().StructuredRequests.Should().Be(8, "every typed call asks for json_schema");
    }

    [Fact]
    public async Task A_batch_of_typed_results_is_ordered_and_deterministic()
    {
        string[] reviews = Enumerable.Range(0, 50).Select(i => $"review {i}").ToArray();

        BatchResult<Sentiment> first = await Analyst.ClassifyBatchAsync(reviews, new BatchOptions { MaxConcurrency = 8 });
        BatchResult<Sentiment> second = await Analyst.ClassifyBatchAsync(reviews.Reverse(), new BatchOptions { MaxConcurrency = 8 });

        first.AllSucceeded.Should().BeTrue(first.Failures.FirstOrDefault().Error?.ToString());
        first.Select(i => i.Value).Should().Equal(second.Select(i => i.Value).Reverse(), "each answer belongs to its own input");
        first.Select(i => i.Value).Distinct().Should().HaveCountGreaterThan(1);
        first.Should().OnlyContain(i => i.Repairs == 0);
    }

    [Fact]
    public async Task Records_with_nested_objects_batch_and_stream()
    {
        BatchResult<Person> people = await Analyst.DescribeBatchAsync(["a", "b", "c"]);
        var trees = new List<BatchItem<TreeNode>>();
        await foreach (BatchItem<TreeNode> item in Analyst.TreeAsCompletedAsync(["x", "y"]))
        {
            trees.Add(item);
        }

        people.AllSucceeded.Should().BeTrue(people.Failures.FirstOrDefault().Error?.ToString());
        people[2].Value!.Name.Should().NotBeNullOrEmpty();
        trees.Should().HaveCount(2).And.OnlyContain(t => t.Succeeded);
    }

    [Fact]
    public async Task An_invalid_first_answer_is_repaired_and_the_repair_is_counted_apart_from_http_attempts()
    {
        BatchResult<CodeSnippet> result = await Analyst.WriteCodeBatchAsync(["sort a list [[invalid-json:1]]", "add numbers [[wrong-shape:1]]"]);

        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        result.Should().OnlyContain(i => i.Repairs == 1 && i.Attempts == 2);
        result[0].Usage.PromptTokens.Should().BeGreaterThan(0);
        _emulator.GetStats().ChatRequestsServed.Should().Be(4, "each item took one answer and one repair");
    }

    [Fact]
    public async Task An_answer_invalid_twice_fails_as_invalid_output_and_keeps_the_raw_text()
    {
        BatchResult<CodeSnippet> result = await Analyst.WriteCodeBatchAsync(["sort [[invalid-json]]"]);

        BatchError error = result[0].Error!;
        error.Kind.Should().Be(BatchErrorKind.InvalidOutput);
        error.RawOutput.Should().Contain("I think the answer is 42");
        result[0].Repairs.Should().Be(1);
        result[0].Usage.TotalTokens.Should().BeGreaterThan(0, "tokens of every attempt are counted, failed ones too");
    }

    [Fact]
    public async Task The_repair_budget_comes_from_the_method_or_the_call()
    {
        BatchResult<Person> twice = await Analyst.DescribeBatchAsync(["x [[invalid-json:2]]"]);
        BatchResult<Person> none = await Analyst.DescribeBatchAsync(["y [[invalid-json:1]]"], new BatchOptions { MaxRepairAttempts = 0 });

        twice[0].Succeeded.Should().BeTrue("[Completion(MaxRepairAttempts = 2)] allows two repairs");
        twice[0].Repairs.Should().Be(2);
        none[0].Error!.Kind.Should().Be(BatchErrorKind.InvalidOutput);
        none[0].Repairs.Should().Be(0);
    }

    [Fact]
    public async Task Refusals_truncation_and_code_fences()
    {
        BatchResult<CodeSnippet> result = await Analyst.WriteCodeBatchAsync(["rob a bank [[refuse]]", "long [[truncated]]", "fenced [[fenced]]"]);

        result[0].Error!.Kind.Should().Be(BatchErrorKind.Refused);
        result[0].Error!.Message.Should().Contain("can't assist");
        result[1].Error!.Kind.Should().Be(BatchErrorKind.Truncated);
        result[1].Error!.RawOutput.Should().NotBeNullOrEmpty();
        result[2].Succeeded.Should().BeTrue("a Markdown-fenced answer is unwrapped");
        result[2].Repairs.Should().Be(0);
    }

    [Fact]
    public async Task A_single_call_throws_a_provider_exception_for_a_refusal()
    {
        Func<Task> act = () => Analyst.WriteCodeAsync("steal [[refuse]]");

        (await act.Should().ThrowAsync<ProviderException>()).Which.Kind.Should().Be(BatchErrorKind.Refused);
    }

    [Fact]
    public async Task Reflection_parsing_works_without_a_context()
    {
        IReflectiveAnalyst analyst = _client.For<IReflectiveAnalyst>();

        Sentiment sentiment = await analyst.ClassifyAsync("meh");
        Person person = await analyst.DescribeAsync("a chef");

        Enum.IsDefined(sentiment).Should().BeTrue();
        person.Name.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task Servers_without_json_schema_get_json_object_and_the_schema_in_a_system_message()
    {
        await using TypedBatchClient client = Create(_emulator, o => o.StructuredOutputs = StructuredOutputMode.JsonObjectWithSchemaInPrompt);

        BatchResult<Person> result = await client.For<IAnalyst>().DescribeBatchAsync(["a dancer", "a baker"]);

        result.AllSucceeded.Should().BeTrue(result.Failures.FirstOrDefault().Error?.ToString());
        result[1].Value!.Name.Should().NotBeNullOrEmpty();
    }
}
