using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;
using TypedBatch.Providers.Anthropic;

namespace TypedBatch.Tests.Anthropic;

/// <summary>
/// What Anthropic refuses is caught before sending, and the request follows its rules: one of temperature and top_p,
/// structured outputs only where the model has them, the output budget estimated from max_tokens.
/// </summary>
public sealed class AnthropicWireTests
{
    private static ChatRequest Request(CompletionSettings settings, params PromptMessage[] messages)
        => new(messages.Length == 0 ? [PromptMessage.User("hi")] : messages, settings with { Model = "claude-haiku-4-5" });

    [Fact]
    public void A_temperature_above_1_and_a_system_only_conversation_are_refused_before_sending()
    {
        AnthropicProvider.Problem(Request(new CompletionSettings { Temperature = 1.5 })).Should().Contain("from 0 to 1").And.Contain("1.5");
        AnthropicProvider.Problem(Request(new CompletionSettings(), PromptMessage.System("Classify: great"))).Should().Contain("only system messages");
        AnthropicProvider.Problem(Request(new CompletionSettings { Temperature = 1.0 })).Should().BeNull();
        AnthropicProvider.Problem(Request(new CompletionSettings { Temperature = 1.5, TopP = 0.9 })).Should().BeNull("with top_p set, the temperature is not sent");
    }

    [Fact]
    public void With_top_p_set_only_top_p_is_sent()
    {
        MessagesRequestDto both = AnthropicProvider.ToWire(Request(new CompletionSettings { Temperature = 0.3, TopP = 0.9 }), "claude-haiku-4-5", StructuredOutputMode.JsonSchema);
        MessagesRequestDto temperature = AnthropicProvider.ToWire(Request(new CompletionSettings { Temperature = 0.3 }), "claude-haiku-4-5", StructuredOutputMode.JsonSchema);

        (both.Temperature, both.TopP).Should().Be((null, 0.9));
        (temperature.Temperature, temperature.TopP).Should().Be((0.3, null));
    }

    [Theory]
    [InlineData("claude-haiku-4-5", true)]
    [InlineData("claude-sonnet-4-5-20250929", true)]
    [InlineData("claude-opus-4-1", true)]
    [InlineData("claude-sonnet-4", false)]
    [InlineData("claude-sonnet-4-0", false)]
    [InlineData("claude-opus-4-20250514", false)]
    [InlineData("claude-3-5-haiku-latest", false)]
    public void Models_without_structured_outputs_get_the_forced_tool_call(string model, bool structured)
    {
        var format = ResponseFormat.ForJsonSchema("answer", """{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}"""u8.ToArray());
        MessagesRequestDto dto = AnthropicProvider.ToWire(new ChatRequest([PromptMessage.User("hi")], new CompletionSettings { Model = model, ResponseFormat = format }), model, StructuredOutputMode.JsonSchema);

        AnthropicProvider.HasStructuredOutputs(model).Should().Be(structured);
        (dto.OutputConfig is not null).Should().Be(structured);
        (dto.ToolChoice?.Name).Should().Be(structured ? null : "answer");
    }

    [Fact]
    public void Stop_reasons_that_cut_the_answer_are_truncations()
    {
        AnthropicProvider.FinishReason("max_tokens").Should().Be("length");
        AnthropicProvider.FinishReason("model_context_window_exceeded").Should().Be("length");
        AnthropicProvider.FinishReason("end_turn").Should().Be("stop");
    }

    [Fact]
    public async Task The_output_budget_is_estimated_from_max_tokens_then_settled_or_given_back()
    {
        var time = new FakeTimeProvider();
        var gate = new RateLimitGate(timeProvider: time);
        gate.OnAnswer(new RateLimitInfo { LimitOutputTokens = 6000, RemainingOutputTokens = 6000 }); // 100 a second

        // As Anthropic meters it: max_tokens on arrival (at most a minute's budget), the real output once it is known.
        int reserved = await gate.WaitAsync(new TokenDemand(0, 0, 4000), CancellationToken.None);
        reserved.Should().Be(4000, "the estimate is max_tokens: 40 s of a 6,000-a-minute budget");
        gate.SettleOutput(reserved, 100); // a short answer: 3,900 come back

        ValueTask<int> next = gate.WaitAsync(new TokenDemand(0, 0, 1000), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2));
        (await next.AsTask().WaitAsync(TimeSpan.FromSeconds(30))).Should().Be(1000, "with the 3,900 back it waits about a second, not 40");

        gate.ReleaseOutput(1000); // that attempt failed: its estimate comes back too
        ValueTask<int> after = gate.WaitAsync(new TokenDemand(0, 0, 500), CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(2));
        (await after.AsTask().WaitAsync(TimeSpan.FromSeconds(30))).Should().Be(500, "without the 1,000 back it would wait 10 s more");
    }
}
