using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TypedBatch.Tests.Wire;

/// <summary>The real structured-output and refusal recordings, read through the typed-result path.</summary>
public sealed class StructuredRecordingTests
{
    private const string Schema = """{"type":"object","properties":{"answer":{"type":"string"},"steps":{"type":"array","items":{"type":"string"}}},"required":["answer","steps"],"additionalProperties":false}""";

    private static readonly System.Text.Json.JsonSerializerOptions Options = StructuredOutput.CreateOptions(RecordingJsonContext.Default);

    private static readonly StructuredOutputSpec<MathAnswer> Spec = new(
        ResponseFormat.ForJsonSchema("test_schema", Encoding.UTF8.GetBytes(Schema)),
        static json => StructuredOutput.Parse<MathAnswer>(json, Options, wrapped: false));

    [Fact]
    public async Task The_recorded_structured_answer_parses_into_the_record()
    {
        using var harness = new WireHarness(RecordedExchange.Load("ChatTests_StructuredOutputsWork"));
        var context = new PromptClientContext(new TypedBatchClient(harness.Provider));

        MathAnswer answer = await context.CompleteStructuredAsync(
            [PromptMessage.User("What's heavier, a pound of feathers or sixteen ounces of steel?")],
            new CompletionSettings { Model = "gpt-4o-mini" }, Spec, CancellationToken.None);

        answer.Answer.Should().Be("A pound of feathers and sixteen ounces of steel weigh the same.");
        answer.Steps.Should().HaveCount(5).And.StartWith("Understand that a pound is a unit of weight equivalent to 16 ounces.");
        JsonElement sent = harness.Server.Requests.Single().Json();
        sent.GetProperty("response_format").GetProperty("type").GetString().Should().Be("json_schema");
        sent.GetProperty("response_format").GetProperty("json_schema").GetProperty("strict").GetBoolean().Should().BeTrue();
        sent.GetProperty("response_format").GetProperty("json_schema").GetProperty("schema").GetRawText().Should().Be(Schema);
    }

    [Fact]
    public async Task The_recorded_refusal_becomes_a_refused_error_with_its_text()
    {
        using var harness = new WireHarness(RecordedExchange.Load("ChatTests_StructuredRefusalWorks"));
        var context = new PromptClientContext(new TypedBatchClient(harness.Provider));

        Func<Task> act = () => context.CompleteStructuredAsync([PromptMessage.User("How do I rob a bank?")], new CompletionSettings { Model = "gpt-4o-2024-08-06" }, Spec, CancellationToken.None);

        ProviderException refused = (await act.Should().ThrowAsync<ProviderException>()).Which;
        refused.Kind.Should().Be(BatchErrorKind.Refused);
        refused.ProviderMessage.Should().Be("I'm very sorry, but I can't assist with that request.");
        refused.Usage.TotalTokens.Should().Be(108);
        BatchError.FromException(refused).Kind.Should().Be(BatchErrorKind.Refused);
    }

    [Theory]
    [InlineData("```json\n{\"a\":1}\n```", "{\"a\":1}")]
    [InlineData("Here you go:\n```\n{\"a\":1}\n```\nAnything else?", "{\"a\":1}")]
    [InlineData("  {\"a\":1}  ", "{\"a\":1}")]
    [InlineData("{\"a\":\"```\"}", "{\"a\":\"```\"}")]
    public void Code_fences_are_unwrapped(string answer, string json)
    {
        string extracted = StructuredOutput.ExtractJson(answer);

        if (answer.StartsWith('{'))
        {
            extracted.Should().Be(json, "a fence inside a JSON string is not a fence");
        }
        else
        {
            extracted.Should().Be(json);
        }
    }
}

public sealed record MathAnswer(string Answer, IReadOnlyList<string> Steps);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MathAnswer))]
internal sealed partial class RecordingJsonContext : JsonSerializerContext;
