namespace TypedBatch;

/// <summary>An embedding vector for one input text.</summary>
public sealed class EmbeddingVector
{
    /// <summary>Creates an embedding.</summary>
    /// <param name="vector">The vector.</param>
    /// <param name="model">The model that produced it, when known.</param>
    public EmbeddingVector(ReadOnlyMemory<float> vector, string? model = null)
    {
        Vector = vector;
        Model = model;
    }

    /// <summary>The vector.</summary>
    public ReadOnlyMemory<float> Vector { get; }

    /// <summary>The number of dimensions.</summary>
    public int Dimensions => Vector.Length;

    /// <summary>The model that produced it, when known.</summary>
    public string? Model { get; }

    /// <summary>Cosine similarity with another embedding of the same dimensions.</summary>
    /// <param name="other">The other embedding.</param>
    /// <exception cref="ArgumentException">The dimensions differ.</exception>
    public float CosineSimilarity(EmbeddingVector other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimensions != Dimensions)
        {
            throw new ArgumentException($"Dimensions differ: {Dimensions} and {other.Dimensions}.", nameof(other));
        }

        ReadOnlySpan<float> a = Vector.Span, b = other.Vector.Span;
        double dot = 0, normA = 0, normB = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            normA += a[i] * a[i];
            normB += b[i] * b[i];
        }

        return normA == 0 || normB == 0 ? 0f : (float)(dot / (Math.Sqrt(normA) * Math.Sqrt(normB)));
    }

    /// <inheritdoc />
    public override string ToString() => $"EmbeddingVector({Dimensions} dimensions{(Model is null ? string.Empty : ", " + Model)})";
}
