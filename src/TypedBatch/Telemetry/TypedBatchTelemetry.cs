using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TypedBatch;

/// <summary>
/// TypedBatch's traces and metrics, named <c>TypedBatch</c>, after the OpenTelemetry GenAI semantic conventions: a span
/// per batch (<c>typedbatch.batch</c>) and a client span per provider call (<c>chat {model}</c>,
/// <c>embeddings {model}</c>) with the <c>gen_ai.*</c> attributes, retries as span events; the
/// <c>gen_ai.client.token.usage</c> and <c>gen_ai.client.operation.duration</c> histograms and TypedBatch's own
/// <c>typedbatch.*</c> instruments. Subscribe with <c>AddSource("TypedBatch")</c> and <c>AddMeter("TypedBatch")</c>.
/// </summary>
public static class TypedBatchTelemetry
{
    /// <summary>The name of the <see cref="ActivitySource"/> and the <see cref="Meter"/>: <c>TypedBatch</c>.</summary>
    public const string Name = "TypedBatch";

    private static readonly string? Version = typeof(TypedBatchTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly ActivitySource Source = new(Name, Version);

    internal static readonly Meter Meter = new(Name, Version);

    internal static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>(
        "gen_ai.client.token.usage", "{token}", "Number of input and output tokens used.");

    internal static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration", "s", "GenAI operation duration.");

    internal static readonly Counter<long> Items = Meter.CreateCounter<long>(
        "typedbatch.items", "{item}", "Batch items finished, by outcome.");

    internal static readonly Counter<double> Cost = Meter.CreateCounter<double>(
        "typedbatch.cost", "USD", "What the answers cost, priced by the client's price table.");

    internal static readonly Histogram<double> RateLimitWait = Meter.CreateHistogram<double>(
        "typedbatch.ratelimit.wait", "s", "Time a request waited for the rate-limit budget before it was sent.");

    internal static readonly UpDownCounter<long> InFlight = Meter.CreateUpDownCounter<long>(
        "typedbatch.inflight", "{request}", "Batch items in flight.");

    /// <summary>The <c>gen_ai.provider.name</c> of a provider kind.</summary>
    internal static string ProviderName(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenAI => "openai",
        ProviderKind.AzureOpenAI => "azure.ai.openai",
        ProviderKind.GitHubCopilot => "github_copilot",
        ProviderKind.Anthropic => "anthropic",
        ProviderKind.ChatClient => "microsoft.extensions.ai",
        _ => "openai_compatible",
    };
}
