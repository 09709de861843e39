using System.ClientModel;
using OpenAI;
using OpenAI.Chat;

namespace TypedBatch.LoadTests.Clients;

/// <summary>
/// The official OpenAI .NET SDK as a user would drive it: one <see cref="ChatClient"/> (default retry policy: 3
/// retries, exponential backoff, <c>Retry-After</c> honoured; 100-second network timeout per try) and
/// <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, ParallelOptions, Func{TSource, CancellationToken, ValueTask})"/>.
/// With <paramref name="streamed"/>, each request goes through <c>CompleteChatStreamingAsync</c> and every update is read.
/// </summary>
internal sealed class OpenAISdkRunner(Uri baseUrl, string model, int concurrency, bool streamed = false) : IClientRunner
{
    private readonly ChatClient _chat = Create(baseUrl, model);

    public string Name => streamed ? "OpenAI SDK, streamed" : "OpenAI SDK";

    /// <summary>A chat client of the official SDK pointed at <paramref name="baseUrl"/> (the emulator's <c>…/v1/</c>).</summary>
    public static ChatClient Create(Uri baseUrl, string model)
        => new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = baseUrl });

    public Task<RunOutcome> RunAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
        => OutcomeCounter.RunAsync(topics, concurrency, async (topic, token) =>
        {
            OpenAI.Chat.ChatMessage[] messages = [new SystemChatMessage(Workload.SystemPrompt), new UserChatMessage(Workload.UserPrompt(topic))];
            // A new options object per call: the SDK fills in the messages and model of the request it is given.
            var options = new ChatCompletionOptions { Temperature = Workload.Temperature, MaxOutputTokenCount = Workload.MaxTokens };
            if (streamed)
            {
                int characters = 0;
                await foreach (StreamingChatCompletionUpdate update in _chat.CompleteChatStreamingAsync(messages, options, token))
                {
                    foreach (ChatMessageContentPart part in update.ContentUpdate)
                    {
                        characters += part.Text?.Length ?? 0;
                    }
                }

                if (characters == 0)
                {
                    throw new InvalidOperationException("The streamed answer has no content.");
                }

                return;
            }

            ClientResult<OpenAI.Chat.ChatCompletion> result = await _chat.CompleteChatAsync(messages, options, token);
            if (result.Value.Content.Count == 0)
            {
                throw new InvalidOperationException("The answer has no content.");
            }
        }, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
