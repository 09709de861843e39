using Refit;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Tests.Wire;

/// <summary>
/// The real client stack (Refit's generated <see cref="IOpenAIApi"/>, the source-generated JSON context, the
/// attempt observer and <see cref="OpenAICompatibleProvider"/>) talking to a <see cref="RecordingHandler"/>.
/// </summary>
internal sealed class WireHarness : IDisposable
{
    public const string ApiKey = "sk-wire-test-key-0123456789";

    private readonly HttpClient _http;

    public WireHarness(RecordedExchange exchange, string apiKey = ApiKey)
    {
        Server = new RecordingHandler(exchange);
        // As in TypedBatchServiceCollectionExtensions: no trailing slash, Refit appends the route.
        _http = new HttpClient(new AttemptObserverHandler(Observer) { InnerHandler = Server })
        {
            BaseAddress = new Uri("https://api.openai.com/v1"),
        };
        Provider = new OpenAICompatibleProvider("openai", RestService.ForGenerated<IOpenAIApi>(_http, WireJsonContext.Default), new SecretRedactor(apiKey));
    }

    public RecordingHandler Server { get; }

    public RateLimitObserver Observer { get; } = new();

    public OpenAICompatibleProvider Provider { get; }

    public static ChatRequest Chat(string model, params ChatMessage[] messages)
        => new(messages, new CompletionSettings { Model = model });

    public void Dispose() => _http.Dispose();
}
