using System.Globalization;
using System.Text.Json;

using TypedBatch.Providers;

namespace TypedBatch;

/// <summary>
/// The repair loop of typed results: send, then refuse, truncate or parse; an answer that does not parse is sent back
/// to the model with the parse error, up to the repair budget. A re-ask is a new request, not a retry of the same one
/// (those live in the HTTP pipeline): tokens and HTTP attempts of every round are counted. The answer kept on a failure
/// (<see cref="ProviderException.RawOutput"/>) is masked like any server text: a hostile server may echo a key in it.
/// </summary>
internal static class StructuredCompletion
{
    public static ValueTask<BatchWorkResult<T>> CompleteAsync<T>(IChatProvider provider, IReadOnlyList<PromptMessage> messages, CompletionSettings settings, StructuredOutputSpec<T> spec, int maxRepairs, SecretRedactor redactor, CancellationToken cancellationToken)
        => RunAsync(provider, null, () => messages, settings, spec, maxRepairs, redactor, cancellationToken);

    /// <summary>
    /// The same loop from an answer already received (a deferred batch's line): it is checked and parsed like a live
    /// one, and only a repair sends anything, live, after reading the conversation back from <paramref name="messages"/>.
    /// </summary>
    public static ValueTask<BatchWorkResult<T>> ContinueAsync<T>(IChatProvider provider, ChatCompletion first, Func<IReadOnlyList<PromptMessage>> messages, CompletionSettings settings, StructuredOutputSpec<T> spec, int maxRepairs, SecretRedactor redactor, CancellationToken cancellationToken)
        => RunAsync(provider, first, messages, settings, spec, maxRepairs, redactor, cancellationToken);

    private static async ValueTask<BatchWorkResult<T>> RunAsync<T>(IChatProvider provider, ChatCompletion? first, Func<IReadOnlyList<PromptMessage>> messages, CompletionSettings settings, StructuredOutputSpec<T> spec, int maxRepairs, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        TokenUsage usage = default;
        decimal? cost = 0m;
        int attempts = 0;
        bool hedged = false;
        IReadOnlyList<PromptMessage>? conversation = first is null ? messages() : null;
        for (int repair = 0; ; repair++)
        {
            ChatCompletion completion;
            try
            {
                completion = repair == 0 && first is not null
                    ? first
                    : await provider.CompleteAsync(new ChatRequest(conversation!, settings), cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException failed) when (repair > 0)
            {
                throw new ProviderException(failed.Kind, failed.Provider, failed.ProviderMessage, failed.StatusCode)
                {
                    ErrorType = failed.ErrorType,
                    ErrorCode = failed.ErrorCode,
                    RequestId = failed.RequestId,
                    Attempts = attempts + failed.Attempts,
                    Usage = usage + failed.Usage,
                    Cost = Pricing.Add(cost, failed.Cost),
                    Repairs = repair,
                };
            }

            usage += completion.Usage;
            cost = Pricing.Add(cost, completion.Cost);
            attempts += completion.Attempts;
            hedged |= completion.Hedged;
            string name = completion.Provider ?? provider.Name;
            if (completion.Content is null)
            {
                throw new ProviderException(completion.Refusal is null ? BatchErrorKind.InvalidOutput : BatchErrorKind.Refused, name, completion.Refusal ?? "The answer has no content.")
                {
                    Usage = usage,
                    Cost = cost,
                    Attempts = attempts,
                    Repairs = repair,
                };
            }

            if (completion.FinishReason == "length")
            {
                throw new ProviderException(BatchErrorKind.Truncated, name, $"The answer was cut off at {settings.MaxTokens?.ToString(CultureInfo.InvariantCulture) ?? "the model's"} max tokens; raise MaxTokens.")
                {
                    Usage = usage,
                    Cost = cost,
                    Attempts = attempts,
                    Repairs = repair,
                    RawOutput = redactor.Redact(completion.Content),
                };
            }

            try
            {
                T value = spec.Parse(StructuredOutput.ExtractJson(completion.Content));
                return new BatchWorkResult<T>(value, usage, attempts, repair, completion.Provider) { Completion = completion, Cost = cost, Hedged = hedged };
            }
            catch (JsonException invalid)
            {
                if (repair >= maxRepairs)
                {
                    throw new ProviderException(BatchErrorKind.InvalidOutput, name, $"The answer does not fit {typeof(T).Name} after {repair} repair attempt(s): {invalid.Message}")
                    {
                        Usage = usage,
                        Cost = cost,
                        Attempts = attempts,
                        Repairs = repair,
                        RawOutput = redactor.Redact(completion.Content),
                    };
                }

                conversation =
                [
                    .. conversation ?? messages(),
                    PromptMessage.Assistant(completion.Content),
                    PromptMessage.User($"That answer is not valid: {invalid.Message} Reply again with only the corrected JSON, conforming to the schema."),
                ];
            }
        }
    }
}
