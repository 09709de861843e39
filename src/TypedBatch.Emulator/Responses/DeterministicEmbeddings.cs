using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace TypedBatch.Emulator;

/// <summary>
/// A unit vector per input text: SplitMix64 seeded with the first 8 bytes of SHA-256 of the text's
/// UTF-8, values uniform in [-1, 1), then L2-normalised. The same text always gives the same vector,
/// and a shorter vector is the normalised prefix of a longer one.
/// </summary>
internal static class DeterministicEmbeddings
{
    /// <summary>Fills <paramref name="vector"/> with the embedding of <paramref name="text"/>.</summary>
    public static void Fill(string text, Span<float> vector)
    {
        ulong state = Seed(text);
        double sumOfSquares = 0;
        for (int i = 0; i < vector.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            float value = (float)(((z >> 40) * (1.0 / (1UL << 24)) * 2.0) - 1.0);
            vector[i] = value;
            sumOfSquares += (double)value * value;
        }

        if (sumOfSquares == 0)
        {
            vector[0] = 1; // all zeros is practically impossible, but a unit vector is promised
            return;
        }

        double scale = 1.0 / Math.Sqrt(sumOfSquares);
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(vector[i] * scale);
        }
    }

    /// <summary>The little-endian float32 bytes of a vector, as the <c>base64</c> encoding format sends them.</summary>
    public static void WriteLittleEndian(ReadOnlySpan<float> vector, Span<byte> destination)
    {
        for (int i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], vector[i]);
        }
    }

    private static ulong Seed(string text)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            int length = Encoding.UTF8.GetBytes(text, buffer);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer.AsSpan(0, length), digest);
            return BinaryPrimitives.ReadUInt64LittleEndian(digest);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
