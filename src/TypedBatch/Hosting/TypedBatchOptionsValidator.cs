using Microsoft.Extensions.Options;

namespace TypedBatch;

/// <summary>
/// Checks <see cref="TypedBatchOptions"/> when they are read from DI or passed to <c>TypedBatchClient.Create</c>, and
/// names every property to fix. The ranges include what the resilience pipeline would otherwise reject later, deep in
/// Polly (timeouts from 10 ms to 24 hours, backoff and breaks up to a day, a breaker threshold of at least 2).
/// </summary>
internal sealed class TypedBatchOptionsValidator : IValidateOptions<TypedBatchOptions>
{
    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan MaxPollyDuration = TimeSpan.FromDays(1);
    private static readonly TimeSpan MinBreak = TimeSpan.FromMilliseconds(500);

    public ValidateOptionsResult Validate(string? name, TypedBatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> problems = Problems(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    public static IReadOnlyList<string> Problems(TypedBatchOptions options)
    {
        var problems = new List<string>();
        void Require(bool condition, string property, string rule)
        {
            if (!condition)
            {
                problems.Add($"TypedBatchOptions.{property} {rule}.");
            }
        }

        if (options.Provider == ProviderKind.ChatClient)
        {
            if (options.ChatClient is null)
            {
                problems.Add("TypedBatchOptions.Provider is ChatClient but no chat client is set: call TypedBatchOptions.UseChatClient(client) or services.AddTypedBatch(…).UseChatClient(sp => …).");
            }
        }
        else if (options.Primary.Problem("TypedBatchOptions") is { } primary)
        {
            problems.Add(primary);
        }

        for (int i = 0; i < options.Fallbacks.Count; i++)
        {
            string path = $"TypedBatchOptions.Fallbacks[{i}]";
            if (options.Fallbacks[i] is not { } fallback)
            {
                problems.Add($"{path} is null.");
            }
            else if (fallback.Provider == ProviderKind.ChatClient)
            {
                problems.Add($"{path}.Provider is ChatClient: a chat client can be the primary provider only (TypedBatchOptions.UseChatClient).");
            }
            else if (fallback.Problem(path) is { } problem)
            {
                problems.Add(problem);
            }
            else if (fallback.Model is null && options.Provider != ProviderKind.ChatClient && (fallback.Provider == ProviderKind.Anthropic) != (options.Provider == ProviderKind.Anthropic))
            {
                problems.Add($"{path}.Model is required: the fallback speaks {(fallback.Provider == ProviderKind.Anthropic ? "Anthropic's" : "OpenAI's")} API and the primary the other's, so the primary's model means nothing to it.");
            }
        }

        Require(options.CircuitBreakFailures >= 2, nameof(options.CircuitBreakFailures), "must be at least 2");
        Require(options.CircuitBreakDuration >= MinBreak && options.CircuitBreakDuration <= MaxPollyDuration, nameof(options.CircuitBreakDuration), "must be between 0.5 seconds and 1 day");
        Require(!string.IsNullOrWhiteSpace(options.Model), nameof(options.Model), "must not be empty");
        Require(!string.IsNullOrWhiteSpace(options.EmbeddingModel), nameof(options.EmbeddingModel), "must not be empty");
        Require(options.MaxConcurrency >= 1, nameof(options.MaxConcurrency), "must be at least 1");
        Require(options.RequestsPerMinute is null or >= 1, nameof(options.RequestsPerMinute), "must be at least 1 when set");
        Require(options.TokensPerMinute is null or >= 1, nameof(options.TokensPerMinute), "must be at least 1 when set");
        Require(options.MaxRetryAfter >= TimeSpan.Zero && options.MaxRetryAfter <= MaxPollyDuration, nameof(options.MaxRetryAfter), "must be between 0 and 1 day");
        Require(options.MaxRetries is >= 0 and <= 20, nameof(options.MaxRetries), "must be between 0 and 20");
        Require(options.RetryBaseDelay >= TimeSpan.Zero && options.RetryBaseDelay <= MaxPollyDuration, nameof(options.RetryBaseDelay), "must be between 0 and 1 day");
        Require(options.AttemptTimeout >= MinTimeout && options.AttemptTimeout <= MaxPollyDuration, nameof(options.AttemptTimeout), "must be between 10 milliseconds and 1 day");
        Require(options.TotalTimeout >= MinTimeout && options.TotalTimeout <= MaxPollyDuration, nameof(options.TotalTimeout), "must be between 10 milliseconds and 1 day");
        Require(options.TotalTimeout >= options.AttemptTimeout, nameof(options.TotalTimeout), "must be at least AttemptTimeout");
        Require(options.FirstByteTimeout == Timeout.InfiniteTimeSpan || (options.FirstByteTimeout >= MinTimeout && options.FirstByteTimeout <= MaxPollyDuration), nameof(options.FirstByteTimeout), "must be between 10 milliseconds and 1 day, or Timeout.InfiniteTimeSpan");
        Require(options.StreamIdleTimeout == Timeout.InfiniteTimeSpan || (options.StreamIdleTimeout >= MinTimeout && options.StreamIdleTimeout <= MaxPollyDuration), nameof(options.StreamIdleTimeout), "must be between 10 milliseconds and 1 day, or Timeout.InfiniteTimeSpan");
        Require(options.StructuredOutputs is StructuredOutputMode.JsonSchema or StructuredOutputMode.JsonObjectWithSchemaInPrompt or StructuredOutputMode.ToolCall, nameof(options.StructuredOutputs), "has an unknown value");
        Require(options.EmbeddingInputsPerRequest is >= 1 and <= 2048, nameof(options.EmbeddingInputsPerRequest), "must be between 1 and 2048");
        Require(options.EmbeddingTokensPerRequest >= 1, nameof(options.EmbeddingTokensPerRequest), "must be at least 1");
        // A body is held in one array, so Array.MaxLength (about 2 GB) is the most that could ever be read.
        Require(options.MaxResponseBytes >= 1024 && options.MaxResponseBytes <= Array.MaxLength, nameof(options.MaxResponseBytes), $"must be between 1024 (1 KB) and {Array.MaxLength} bytes");
        Require(options.Prices is not null, nameof(options.Prices), "must not be null (PriceTable.Empty() prices nothing)");
        Require(options.PricesFile is null || File.Exists(options.PricesFile), nameof(options.PricesFile), $"names a file that does not exist ('{options.PricesFile}')");
        return problems;
    }
}
