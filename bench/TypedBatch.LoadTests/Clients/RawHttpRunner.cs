using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace TypedBatch.LoadTests.Clients;

/// <summary>
/// The floor: a bare <see cref="HttpClient"/> posting source-generated System.Text.Json DTOs, no retries, no limits,
/// <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, ParallelOptions, Func{TSource, CancellationToken, ValueTask})"/>
/// for concurrency. What any client has to do at least.
/// </summary>
internal sealed class RawHttpRunner : IClientRunner
{
    private readonly HttpClient _http;
    private readonly string _model;
    private readonly int _concurrency;

    public RawHttpRunner(Uri baseUrl, string model, int concurrency)
    {
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { BaseAddress = baseUrl };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "unused");
        _model = model;
        _concurrency = concurrency;
    }

    public string Name => "raw HttpClient + STJ";

    public Task<RunOutcome> RunAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
        => OutcomeCounter.RunAsync(topics, _concurrency, async (topic, token) => await SendAsync(topic, token), cancellationToken);

    /// <summary>Sends one request; returns the answer's usage.</summary>
    public async Task<RawUsage> SendAsync(string topic, CancellationToken cancellationToken)
    {
        var request = new RawChatRequest(_model, [new RawMessage("system", Workload.SystemPrompt), new RawMessage("user", Workload.UserPrompt(topic))], Workload.Temperature, Workload.MaxTokens);
        using HttpResponseMessage response = await _http.PostAsync(new Uri("chat/completions", UriKind.Relative), JsonContent.Create(request, RawJson.Default.RawChatRequest), cancellationToken);
        response.EnsureSuccessStatusCode();
        RawChatResponse? body = await response.Content.ReadFromJsonAsync(RawJson.Default.RawChatResponse, cancellationToken);
        if (body?.Choices is not [{ Message.Content: { Length: > 0 } }, ..] || body.Usage is null)
        {
            throw new InvalidOperationException("The answer has no content or usage.");
        }

        return body.Usage;
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The request body.</summary>
internal sealed record RawChatRequest(
    string Model,
    IReadOnlyList<RawMessage> Messages,
    float Temperature,
    [property: JsonPropertyName("max_tokens")] int MaxTokens);

/// <summary>A message.</summary>
internal sealed record RawMessage(string Role, string? Content);

/// <summary>The parts of the answer a client reads.</summary>
internal sealed record RawChatResponse(string? Id, IReadOnlyList<RawChoice>? Choices, RawUsage? Usage);

/// <summary>One choice.</summary>
internal sealed record RawChoice(RawMessage? Message, [property: JsonPropertyName("finish_reason")] string? FinishReason);

/// <summary>Token counts.</summary>
internal sealed record RawUsage(
    [property: JsonPropertyName("prompt_tokens")] int PromptTokens,
    [property: JsonPropertyName("completion_tokens")] int CompletionTokens);

/// <summary>Source-generated metadata for the DTOs.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RawChatRequest))]
[JsonSerializable(typeof(RawChatResponse))]
internal sealed partial class RawJson : JsonSerializerContext;
