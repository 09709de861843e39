using BenchmarkDotNet.Attributes;
using TypedBatch.Providers.OpenAI;
using Meai = Microsoft.Extensions.AI;

namespace TypedBatch.Benchmarks;

/// <summary>
/// Issue 14's design question, measured: one item's two messages built as TypedBatch's <see cref="PromptMessage"/> or as
/// Microsoft.Extensions.AI's, then mapped to the wire request (the rest of the request path is the same either way).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class MessageModel
{
    private static readonly CompletionSettings Settings = new() { Model = "gpt-4o-mini", Temperature = 0.3, MaxTokens = 200 };
    private static readonly string[] RoleNames = ["system", "user", "assistant"];
    private readonly string _system = "You are a helpful assistant.";
    private readonly string _user = Payloads.TicketText;

    [Benchmark(Baseline = true, Description = "TypedBatch.PromptMessage + ToWire")]
    public object TypedBatchMessages()
    {
        PromptMessage[] messages = [PromptMessage.System(_system), PromptMessage.User(_user)];
        return OpenAICompatibleProvider.ToWire(new ChatRequest(messages, Settings), "gpt-4o-mini", StructuredOutputMode.JsonSchema);
    }

    [Benchmark(Description = "M.E.AI ChatMessage + mapping")]
    public object MeaiMessages()
    {
        Meai.ChatMessage[] messages = [new(Meai.ChatRole.System, _system), new(Meai.ChatRole.User, _user)];
        var wire = new WireMessage[messages.Length];
        for (int i = 0; i < messages.Length; i++)
        {
            wire[i] = new WireMessage { Role = messages[i].Role.Value, Content = messages[i].Text };
        }

        return new ChatCompletionRequestDto { Model = "gpt-4o-mini", Messages = wire, Temperature = 0.3, MaxTokens = 200 };
    }

    [Benchmark(Description = "M.E.AI ChatMessage converted to TypedBatch's + ToWire")]
    public object MeaiConverted()
    {
        Meai.ChatMessage[] given = [new(Meai.ChatRole.System, _system), new(Meai.ChatRole.User, _user)];
        var messages = new PromptMessage[given.Length];
        for (int i = 0; i < given.Length; i++)
        {
            string role = given[i].Role.Value;
            messages[i] = role == RoleNames[0] ? PromptMessage.System(given[i].Text) : role == RoleNames[2] ? PromptMessage.Assistant(given[i].Text) : PromptMessage.User(given[i].Text);
        }

        return OpenAICompatibleProvider.ToWire(new ChatRequest(messages, Settings), "gpt-4o-mini", StructuredOutputMode.JsonSchema);
    }
}
