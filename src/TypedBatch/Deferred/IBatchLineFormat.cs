using System.Text.Json;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Deferred;

/// <summary>
/// What differs between Batch APIs in the lines themselves: how a chat request line is spelled after its
/// <c>custom_id</c> (OpenAI's <c>method</c>, <c>url</c> and <c>body</c>; Anthropic's <c>params</c>), the chat request
/// inside it (built from the same <see cref="ChatRequest"/> a live call sends), and how a result line and an answer are
/// read back. <see cref="DeferredRun{TIn, TRequest, TOut}"/> and the kinds speak only through this, so they stay the
/// same for every provider.
/// </summary>
internal interface IBatchLineFormat
{
    /// <summary>The property of a request line that holds the request: <c>body</c> or <c>params</c>.</summary>
    string BodyProperty { get; }

    /// <summary>Writes what comes between the <c>custom_id</c> and the request's property name (OpenAI's <c>method</c> and <c>url</c>).</summary>
    void WriteRoute(Utf8JsonWriter writer, string url);

    /// <summary>Writes a chat request as this API's wire request, exactly as a live call would send it.</summary>
    void WriteChatBody(Utf8JsonWriter writer, ChatRequest request, string model, StructuredOutputMode structuredOutputs);

    /// <summary>
    /// The conversation of a written chat request, as it was rendered (for a repair or a live fallback); what
    /// <paramref name="structuredOutputs"/> added for a typed request (a schema in the prompt) is left out, since the
    /// live call adds it again.
    /// </summary>
    IReadOnlyList<PromptMessage> ReadChatMessages(JsonElement body, CompletionSettings settings, string model, StructuredOutputMode structuredOutputs);

    /// <summary>An answered chat line's body as TypedBatch's completion, at the batch price; throws <see cref="JsonException"/> when it is not this API's answer.</summary>
    ChatCompletion ReadChatAnswer(JsonElement body, string provider, string? requestId, Pricing pricing, string model);

    /// <summary>
    /// One result line in the shape the read-back takes (<c>custom_id</c>; a response with its status and body, or an
    /// error with a code); <see langword="null"/> when the line is not JSON of this API's shape.
    /// </summary>
    BatchOutputLineDto? ParseResult(string line);

    /// <summary>What an error status and body of a result line mean, as a live answer's would.</summary>
    BatchErrorKind KindOf(int status, ErrorDto? error);
}
