namespace TypedBatch.IntegrationTests.Streaming;

/// <summary>Reads a stream to its end in the tests.</summary>
internal static class Streams
{
    /// <summary>Every element of <paramref name="stream"/>, appended to <paramref name="into"/> as it arrives (so a test sees what came before a failure).</summary>
    public static async Task<List<T>> CollectAsync<T>(IAsyncEnumerable<T> stream, List<T>? into = null)
    {
        into ??= [];
        await foreach (T item in stream)
        {
            into.Add(item);
        }

        return into;
    }
}
