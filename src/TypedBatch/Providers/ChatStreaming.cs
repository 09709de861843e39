using System.Runtime.CompilerServices;

namespace TypedBatch;

/// <summary>Streaming helpers shared by the providers.</summary>
internal static class ChatStreaming
{
    /// <summary>A provider that cannot stream: the whole answer as one update, then its end.</summary>
    public static async IAsyncEnumerable<ChatCompletionUpdate> WholeAnswerAsync(IChatProvider provider, ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ChatCompletion answer = await provider.CompleteAsync(request, cancellationToken).ConfigureAwait(false);
        yield return FromCompletion(answer);
    }

    /// <summary>A whole answer as the one update of its stream.</summary>
    public static ChatCompletionUpdate FromCompletion(ChatCompletion answer) => new()
    {
        Text = answer.Content,
        Refusal = answer.Refusal,
        FinishReason = answer.FinishReason,
        Usage = answer.Usage,
        Cost = answer.Cost,
        Model = answer.Model,
        Id = answer.Id,
        Provider = answer.Provider,
        Attempts = answer.Attempts,
    };
}
