// TypedBatch quick start: the original batch helper's demo, in C#.
// With none of OPENAI_API_KEY, OPENAI_BASE_URL, AZURE_OPENAI_ENDPOINT, USE_COPILOT_CHAT or ANTHROPIC_API_KEY it runs offline against the
// in-process emulator.
using Microsoft.Extensions.Logging;
using QuickStart;
using TypedBatch;
using TypedBatch.Emulator;

// TypedBatch's batch summaries at Information; Polly's per-attempt lines and HttpClient's only when something is wrong.
// The logger writes in line with the program's own output, so the two never interleave.
using ILoggerFactory logging = LoggerFactory.Create(builder => builder
    .AddProvider(new InlineConsoleLoggerProvider())
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("System.Net.Http", LogLevel.Warning)
    .AddFilter("Polly", LogLevel.Warning));

await using EmulatorServer? emulator = ProviderIsConfigured() ? null : await EmulatorServer.StartAsync(new EmulatorOptions { Latency = TimeSpan.FromMilliseconds(40), LatencyJitter = TimeSpan.FromMilliseconds(80) });
TypedBatchOptions options;
if (emulator is null)
{
    options = TypedBatchOptions.FromEnvironment();
    Console.WriteLine($"Using {options.Provider} at {options.EffectiveBaseUrl} with model {options.Model}.");
}
else
{
    Console.WriteLine($"No API key set: running offline against the in-process TypedBatch emulator at {emulator.BaseUrl}");
    options = new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = emulator.BaseUrl, Model = Environment.GetEnvironmentVariable("MODEL_CHOICE") ?? TypedBatchOptions.DefaultModel };

    // A local server costs nothing unless it has a price; priced here as gpt-4o-mini's list price so the cost shows.
    options.Prices.Set(options.Model, new ModelPrice(InputPerMillion: 0.15m, OutputPerMillion: 0.60m));
}

await using var client = TypedBatchClient.Create(options, logging);

IAssistant assistant = client.For<IAssistant>();

await UseCases.BulkQuestionAnsweringAsync(assistant);
await UseCases.CodeGenerationAsync(assistant);
await UseCases.DocumentSummarizationAsync(client);
await UseCases.ContextualEmbeddingsAsync(assistant);
await UseCases.ClassificationAsync(assistant);

// Against the emulator, a batch large enough to watch; against a real provider, a small one (it is billed).
BatchResult<Sentiment> reviews = await LargeJob.ClassifyReviewsAsync(assistant, emulator is null ? 100 : 3_000, budget: 0.25m);
ConsoleOutput.Record("5. reviews", reviews);
ConsoleOutput.WriteSummaryTable();

// The variables TypedBatchOptions.FromEnvironment reads to choose a provider (see the README's table).
static bool ProviderIsConfigured()
    => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OPENAI_API_KEY"))
       || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OPENAI_BASE_URL"))
       || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AZURE_OPENAI_ENDPOINT"))
       || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY"))
       || Environment.GetEnvironmentVariable("USE_COPILOT_CHAT")?.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES";
