using System.Globalization;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// A small SplitMix64 generator: the same seed always yields the same sequence, on every platform
/// and .NET version, which <see cref="Random"/> does not promise.
/// </summary>
internal sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator seeded from a <see cref="RequestFingerprint"/> (16 hex digits); other texts are hashed.</summary>
    public static SeededRandom FromFingerprint(string fingerprint)
    {
        if (ulong.TryParse(fingerprint, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong seed))
        {
            return new SeededRandom(seed);
        }

        ulong hash = 14695981039346656037UL; // FNV-1a, enough to spread an arbitrary text
        foreach (char c in fingerprint)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return new SeededRandom(hash);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A whole number in <c>[0, count)</c>; <paramref name="count"/> must be positive.</summary>
    public int Next(int count) => (int)(NextUInt64() % (ulong)count);

    /// <summary>A whole number in <c>[min, max]</c>, both included.</summary>
    public long NextInRange(long min, long max)
    {
        ulong span = (ulong)(max - min);
        return span == ulong.MaxValue ? (long)NextUInt64() : min + (long)(NextUInt64() % (span + 1));
    }

    /// <summary>A fraction in <c>[0, 1)</c>.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>True with probability 1 / <paramref name="odds"/>.</summary>
    public bool OneIn(int odds) => Next(odds) == 0;

    /// <summary>Four lowercase hex digits, for short distinct words like <c>title-3f2a</c>.</summary>
    public string HexWord() => ((int)(NextUInt64() & 0xFFFF)).ToString("x4", CultureInfo.InvariantCulture);
}
