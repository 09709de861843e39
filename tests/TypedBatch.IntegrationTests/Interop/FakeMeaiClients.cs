using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TypedBatch.IntegrationTests.Interop;

/// <summary>
/// An <see cref="IChatClient"/> test double, as a user's own client (Ollama, Anthropic's SDK, …) would be: it answers
/// <c>echo: {last user text}</c> with usage, a typed request with a <see cref="TypedBatch.IntegrationTests.Prompts.CodeSnippet"/>
/// whose code is that text, and fails on markers in the text: <c>[http:N]</c> always with status N, <c>[once:N]</c>
/// with status N on the first call for that text only, <c>[boom]</c> with an exception no rule calls transient;
/// <c>[hang]</c> never answers. It
/// counts calls and the most in flight at once.
/// </summary>
internal sealed class FakeChatClient(TimeSpan delay = default) : IChatClient
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private int _inFlight;
    private int _peak;

    public ConcurrentQueue<ChatOptions?> Options { get; } = new();

    public ConcurrentQueue<IReadOnlyList<ChatMessage>> Conversations { get; } = new();

    public int Peak => Volatile.Read(ref _peak);

    public int TotalCalls => _calls.Values.Sum();

    public int CallsFor(string text) => _calls.TryGetValue(text, out int n) ? n : 0;

    public ChatClientMetadata Metadata { get; init; } = new("fake-llm", new Uri("http://fake.invalid/"), null);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        List<ChatMessage> conversation = [.. messages];
        Conversations.Enqueue(conversation);
        Options.Enqueue(options);
        string text = conversation.Last(m => m.Role == ChatRole.User).Text;
        int call = _calls.AddOrUpdate(text, 1, static (_, n) => n + 1);
        int now = Interlocked.Increment(ref _inFlight);
        for (int peak = Volatile.Read(ref _peak); now > peak && Interlocked.CompareExchange(ref _peak, now, peak) != peak; peak = Volatile.Read(ref _peak))
        {
        }

        try
        {
            await Task.Delay(text.Contains("[hang]", StringComparison.Ordinal) ? Timeout.InfiniteTimeSpan : delay == default ? TimeSpan.FromMilliseconds(5) : delay, cancellationToken);
            Fail(text, call);
            string answer = options?.ResponseFormat is ChatResponseFormatJson { Schema: not null }
                ? $$"""{"language":"python","code":{{System.Text.Json.JsonSerializer.Serialize(text)}},"explanation":"Echoes the task."}"""
                : $"echo: {text}";
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
            {
                ModelId = options?.ModelId,
                ResponseId = $"fake-{call}",
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15, CachedInputTokenCount = 2 },
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<ChatMessage> conversation = [.. messages];
        string text = conversation.Last(m => m.Role == ChatRole.User).Text;
        int call = _calls.AddOrUpdate(text, 1, static (_, n) => n + 1);
        await Task.Yield();
        Fail(text, call);
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new TextContent(string.Empty)]) { ModelId = options?.ModelId, ResponseId = "fake-stream" };
        foreach (string word in ("echo: " + text).Split(' '))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = options?.ModelId, ResponseId = "fake-stream" };
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 })])
        {
            FinishReason = ChatFinishReason.Stop,
            ModelId = options?.ModelId,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
        => serviceKey is null && serviceType.IsInstanceOfType(Metadata) ? Metadata : serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static void Fail(string text, int call)
    {
        if (Marker(text, "[http:") is { } always)
        {
            throw new HttpRequestException($"Service said {always}.", null, (HttpStatusCode)always);
        }

        if (call == 1 && Marker(text, "[once:") is { } once)
        {
            throw new HttpRequestException($"Service said {once}, once.", null, (HttpStatusCode)once);
        }

        if (text.Contains("[boom]", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The client cannot do that.");
        }
    }

    private static int? Marker(string text, string prefix)
    {
        int start = text.IndexOf(prefix, StringComparison.Ordinal);
        return start < 0 ? null : int.Parse(text.AsSpan(start + prefix.Length, 3), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>An embedding generator test double: a vector per input, whose first value is the input's length.</summary>
internal sealed class FakeEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private int _requests;

    public int Requests => Volatile.Read(ref _requests);

    public ConcurrentQueue<EmbeddingGenerationOptions?> Options { get; } = new();

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _requests);
        Options.Enqueue(options);
        await Task.Yield();
        List<string> inputs = [.. values];
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(inputs.Select(v => new Embedding<float>(new[] { (float)v.Length, 1f, 0f }) { ModelId = options?.ModelId }))
        {
            Usage = new UsageDetails { InputTokenCount = inputs.Count * 3, TotalTokenCount = inputs.Count * 3 },
        };
        return embeddings;
    }

    public EmbeddingGeneratorMetadata? Metadata { get; init; }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && Metadata is not null && serviceType.IsInstanceOfType(Metadata) ? Metadata : null;

    public void Dispose()
    {
    }
}

/// <summary>A client whose stream never sends its first update; it counts streams started and answers given.</summary>
internal sealed class SilentStreamClient : IChatClient
{
    private int _started;
    private int _answered;

    public int Started => Volatile.Read(ref _started);

    public int Answered => Volatile.Read(ref _answered);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _answered);
        await Task.Yield();
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { FinishReason = ChatFinishReason.Stop };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _started);
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        yield break;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
