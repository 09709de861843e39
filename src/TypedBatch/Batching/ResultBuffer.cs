namespace TypedBatch;

/// <summary>
/// Ordered storage for results whose count is not known up front. Grows in fixed chunks so that a million results
/// never need one huge array or a copy on growth; slots are written once each, from any thread.
/// </summary>
internal sealed class ResultBuffer<T>
{
    private const int ChunkShift = 12;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;

    private T[][] _chunks = new T[4][];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Makes room for <paramref name="index"/>. Called by one thread at a time, in increasing index order.</summary>
    public void Reserve(int index)
    {
        int chunk = index >> ChunkShift;
        if (chunk >= _chunks.Length)
        {
            var bigger = new T[_chunks.Length * 2][];
            Array.Copy(_chunks, bigger, _chunks.Length);
            Volatile.Write(ref _chunks, bigger);
        }

        _chunks[chunk] ??= new T[ChunkSize];
        Volatile.Write(ref _count, index + 1);
    }

    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return Volatile.Read(ref _chunks)[index >> ChunkShift][index & ChunkMask];
        }

        set => Volatile.Read(ref _chunks)[index >> ChunkShift][index & ChunkMask] = value;
    }
}
