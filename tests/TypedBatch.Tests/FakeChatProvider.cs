using System.Collections.Concurrent;

namespace TypedBatch.Tests;

/// <summary>
/// An in-memory provider: answers "Re: {last message}", measures how many calls are in flight at once, and fails
/// or delays the calls a test chooses.
/// </summary>
internal sealed class FakeChatProvider : IChatProvider
{
    private int _inFlight;
    private int _maxInFlight;
    private int _calls;

    public string Name => "fake";

    public Func<ChatRequest, TimeSpan>? Delay { get; init; }

    /// <summary>The clock <see cref="Delay"/> runs on; a fake clock makes a delay that only a test can end.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public Func<ChatRequest, Exception?>? Fail { get; init; }

    public int Calls => Volatile.Read(ref _calls);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public ConcurrentQueue<ChatRequest> Requests { get; } = new();

    /// <summary>Every text sent to <see cref="EmbedAsync"/>, in arrival order.</summary>
    public ConcurrentQueue<string> EmbeddedTexts { get; } = new();

    public bool RecordRequests { get; init; } = true;

    public async Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (RecordRequests)
        {
            Requests.Enqueue(request);
        }

        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        try
        {
            if (Delay?.Invoke(request) is { } delay && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, Time, cancellationToken);
            }
            else
            {
                await Task.Yield();
            }

            if (Fail?.Invoke(request) is { } error)
            {
                throw error;
            }

            string last = request.Messages[^1].Content;
            return new ChatCompletion
            {
                Content = "Re: " + last,
                FinishReason = "stop",
                Model = request.Model,
                Usage = new TokenUsage(10, 5, 15),
                Attempts = 1,
                Provider = Name,
            };
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        foreach (string text in request.Inputs)
        {
            EmbeddedTexts.Enqueue(text);
        }

        EmbeddingVector[] embeddings = request.Inputs.Select(text => new EmbeddingVector(new[] { (float)text.Length, 1f })).ToArray();
        return Task.FromResult(new EmbeddingResponse(embeddings, new TokenUsage(request.Inputs.Count, 0, request.Inputs.Count)));
    }
}
