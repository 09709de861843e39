using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
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
        // Each typed value must equal what the server sent: the answer's JSON is read off the wire by a handler in
        // the client's pipeline and compared field by field. (Checked by parsing a wrapped int as 0: this test fails.)
        var answers = new AnswerRecorder();
        await using ServiceProvider services = RecordingServices(answers);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();

        Sentiment sentiment = await analyst.ClassifyAsync("great film");
        JsonElement sentimentJson = answers.Last();
        CodeSnippet code = await analyst.WriteCodeAsync("reverse a string");
        JsonElement codeJson = answers.Last();
        Person person = await analyst.DescribeAsync("a pilot");
        JsonElement personJson = answers.Last();
        TreeNode tree = await analyst.TreeAsync("animals");
        JsonElement treeJson = answers.Last();
        List<Sentiment> many = await analyst.SentimentsAsync("good and bad");
        JsonElement manyJson = answers.Last();
        int count = await analyst.CountAsync("one two");
        JsonElement countJson = answers.Last();
        bool question = await analyst.IsQuestionAsync("why?");
        JsonElement questionJson = answers.Last();
        DateTimeOffset when = await analyst.WhenAsync("the letter");
        JsonElement whenJson = answers.Last();

        Enum.GetName(sentiment).Should().BeEquivalentTo(Unwrap(sentimentJson).GetString());
        code.Language.Should().Be(codeJson.GetProperty("language").GetString());
        code.Code.Should().Be(codeJson.GetProperty("code").GetString());
        code.Explanation.Should().Be(codeJson.GetProperty("explanation").GetString());
        person.Name.Should().Be(personJson.GetProperty("name").GetString());
        person.Age.Should().Be(personJson.GetProperty("age").GetInt32());
        person.Active.Should().Be(personJson.GetProperty("active").GetBoolean());
        person.Tags.Should().Equal(personJson.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        person.Nickname.Should().Be(personJson.GetProperty("nick_name").GetString());
        tree.Label.Should().Be(treeJson.GetProperty("label").GetString());
        tree.Children.Should().HaveCount(treeJson.GetProperty("children").GetArrayLength());
        many.Select(s => Enum.GetName(s)!.ToUpperInvariant())
            .Should().Equal(Unwrap(manyJson).EnumerateArray().Select(s => s.GetString()!.ToUpperInvariant()));
        count.Should().Be(Unwrap(countJson).GetInt32());
        question.Should().Be(Unwrap(questionJson).GetBoolean());
        when.Should().Be(Unwrap(whenJson).GetDateTimeOffset());
        answers.Count.Should().Be(8, "one answer per call, none repaired");
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
        // The nested Address and the recursive TreeNode children must come back as the server sent them.
        var answers = new AnswerRecorder();
        await using ServiceProvider services = RecordingServices(answers);
        IAnalyst analyst = services.GetRequiredService<TypedBatchClient>().For<IAnalyst>();

        BatchResult<Person> people = await analyst.DescribeBatchAsync(["a"]);
        JsonElement personJson = answers.Last();
        var trees = new List<BatchItem<TreeNode>>();
        await foreach (BatchItem<TreeNode> item in analyst.TreeAsCompletedAsync(["x"]))
        {
            trees.Add(item);
        }

        JsonElement treeJson = answers.Last();

        people.AllSucceeded.Should().BeTrue(people.Failures.FirstOrDefault().Error?.ToString());
        JsonElement address = personJson.GetProperty("address");
        Address? parsed = people[0].Value!.Address;
        if (address.ValueKind == JsonValueKind.Null)
        {
            parsed.Should().BeNull();
        }
        else
        {
            parsed.Should().NotBeNull();
            parsed!.Street.Should().Be(address.GetProperty("street").GetString());
            parsed.City.Should().Be(address.GetProperty("city").GetString());
            parsed.PostalCode.Should().Be(address.GetProperty("postalCode").GetString());
        }

        trees.Should().ContainSingle().Which.Succeeded.Should().BeTrue();
        AssertSameTree(trees[0].Value!, treeJson);
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

    private static void AssertSameTree(TreeNode node, JsonElement json)
    {
        node.Label.Should().Be(json.GetProperty("label").GetString());
        JsonElement[] children = json.GetProperty("children").EnumerateArray().ToArray();
        node.Children.Should().HaveCount(children.Length);
        for (int i = 0; i < children.Length; i++)
        {
            AssertSameTree(node.Children[i], children[i]);
        }
    }

    // A non-object result travels wrapped in an object with one property.
    private static JsonElement Unwrap(JsonElement answer) => answer.ValueKind == JsonValueKind.Object ? answer.EnumerateObject().Single().Value : answer;

    private ServiceProvider RecordingServices(AnswerRecorder answers)
    {
        var services = new ServiceCollection();
        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.OpenAICompatible;
            o.BaseUrl = _emulator.BaseUrl;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
        });
        services.ConfigureHttpClientDefaults(b => b.AddHttpMessageHandler(() => new AnswerRecordingHandler(answers)));
        return services.BuildServiceProvider();
    }

    /// <summary>The JSON content of every chat answer the client received, in order.</summary>
    private sealed class AnswerRecorder
    {
        private readonly ConcurrentQueue<JsonElement> _answers = new();

        public int Count => _answers.Count;

        public void Add(JsonElement answer) => _answers.Enqueue(answer);

        public JsonElement Last() => _answers.Last();
    }

    private sealed class AnswerRecordingHandler(AnswerRecorder answers) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode && request.RequestUri!.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal))
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                string content = body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
                answers.Add(JsonDocument.Parse(content).RootElement.Clone());
            }

            return response;
        }
    }
}
