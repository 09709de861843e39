namespace TypedBatch.LoadTests.Clients;

/// <summary>One client under test: sends the workload for every topic, at most a fixed number at a time.</summary>
internal interface IClientRunner : IAsyncDisposable
{
    /// <summary>The name in the tables.</summary>
    string Name { get; }

    /// <summary>Sends one request per topic; failures are counted, never thrown (cancellation is).</summary>
    Task<RunOutcome> RunAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken);
}

/// <summary>What a run delivered.</summary>
/// <param name="Succeeded">Items answered.</param>
/// <param name="Failed">Items that failed after the client's own retries.</param>
/// <param name="FirstError">The first failure, for the log.</param>
/// <param name="Hedged">Items whose slow request was hedged, for clients that hedge (TypedBatch's <c>BatchResult.HedgedCount</c>); otherwise <see langword="null"/>.</param>
internal sealed record RunOutcome(int Succeeded, int Failed, string? FirstError, int? Hedged = null);

/// <summary>Counts successes and failures of a <see cref="Parallel.ForEachAsync{TSource}(IEnumerable{TSource}, ParallelOptions, Func{TSource, CancellationToken, ValueTask})"/> run.</summary>
internal sealed class OutcomeCounter
{
    private int _succeeded;
    private int _failed;
    private string? _firstError;

    public void Success() => Interlocked.Increment(ref _succeeded);

    public void Failure(Exception exception)
    {
        Interlocked.Increment(ref _failed);
        Interlocked.CompareExchange(ref _firstError, $"{exception.GetType().Name}: {exception.Message}", null);
    }

    public RunOutcome ToOutcome() => new(_succeeded, _failed, _firstError);

    /// <summary>Runs <paramref name="send"/> for every topic, <paramref name="concurrency"/> at a time, counting outcomes.</summary>
    public static async Task<RunOutcome> RunAsync(IReadOnlyList<string> topics, int concurrency, Func<string, CancellationToken, Task> send, CancellationToken cancellationToken)
    {
        var counter = new OutcomeCounter();
        var options = new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(topics, options, async (topic, token) =>
        {
            try
            {
                await send(topic, token);
                counter.Success();
            }
            catch (Exception ex) when (!token.IsCancellationRequested)
            {
                counter.Failure(ex);
            }
        });
        return counter.ToOutcome();
    }
}
