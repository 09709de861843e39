using Microsoft.Extensions.AI;

namespace TypedBatch.LoadTests.Clients;

/// <summary>
/// Microsoft.Extensions.AI: the official SDK's <see cref="OpenAI.Chat.ChatClient"/> as an <see cref="IChatClient"/>
/// (<c>AsIChatClient()</c>), driven like the SDK runner. Retries are the underlying SDK's. With
/// <paramref name="telemetrySource"/>, the client is wrapped in MEAI's <c>UseOpenTelemetry</c> middleware with that
/// source and meter name.
/// </summary>
internal sealed class MeaiRunner(Uri baseUrl, string model, int concurrency, string? telemetrySource = null) : IClientRunner
{
    private readonly IChatClient _chat = telemetrySource is null
        ? OpenAISdkRunner.Create(baseUrl, model).AsIChatClient()
        : OpenAISdkRunner.Create(baseUrl, model).AsIChatClient().AsBuilder().UseOpenTelemetry(sourceName: telemetrySource).Build();

    public string Name => "M.E.AI IChatClient";

    public Task<RunOutcome> RunAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
        => OutcomeCounter.RunAsync(topics, concurrency, async (topic, token) =>
        {
            Microsoft.Extensions.AI.ChatMessage[] messages = [new(Microsoft.Extensions.AI.ChatRole.System, Workload.SystemPrompt), new(Microsoft.Extensions.AI.ChatRole.User, Workload.UserPrompt(topic))];
            var options = new ChatOptions { Temperature = Workload.Temperature, MaxOutputTokens = Workload.MaxTokens };
            ChatResponse response = await _chat.GetResponseAsync(messages, options, token);
            if (string.IsNullOrEmpty(response.Text))
            {
                throw new InvalidOperationException("The answer has no text.");
            }
        }, cancellationToken);

    public ValueTask DisposeAsync()
    {
        _chat.Dispose();
        return ValueTask.CompletedTask;
    }
}
