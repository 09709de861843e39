// TypedBatch quick start: the original batch helper's demo, in C#.
// With no OPENAI_API_KEY, OPENAI_BASE_URL or USE_COPILOT_CHAT it runs offline against the in-process emulator.
using Microsoft.Extensions.Logging;
using QuickStart;
using TypedBatch;
using TypedBatch.Emulator;

using ILoggerFactory logging = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
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
}

await using var client = TypedBatchClient.Create(options, logging);

IAssistant assistant = client.For<IAssistant>();

await UseCases.BulkQuestionAnsweringAsync(assistant);
await UseCases.CodeGenerationAsync(assistant);
await UseCases.DocumentSummarizationAsync(client);
await UseCases.ContextualEmbeddingsAsync(assistant);
await UseCases.ClassificationAsync(assistant);

static bool ProviderIsConfigured()
    => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OPENAI_API_KEY"))
       || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OPENAI_BASE_URL"))
       || string.Equals(Environment.GetEnvironmentVariable("USE_COPILOT_CHAT"), "true", StringComparison.OrdinalIgnoreCase);
