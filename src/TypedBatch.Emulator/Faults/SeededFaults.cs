namespace TypedBatch.Emulator.Faults;

/// <summary>
/// Draws the seeded fault of a request. The draw is a number in [0, 1) hashed from
/// <see cref="EmulatorOptions.FaultSeed"/>, the request fingerprint and how many times that
/// fingerprint has been received (this time included), compared with the cumulative rates in the
/// order 500, 503, reset, stall, malformed, hang. So the same requests with the same seed meet the same
/// faults whatever their order or concurrency, while a retry (the next receipt of a fingerprint)
/// gets a fresh draw.
/// </summary>
internal static class SeededFaults
{
    /// <summary>The seeded fault for this receipt of a request, or <see cref="InjectedFault.None"/>.</summary>
    /// <param name="options">The rates and the seed.</param>
    /// <param name="fingerprint">The request's <see cref="RequestFingerprint"/>.</param>
    /// <param name="received">How often the fingerprint has been received, this time included.</param>
    public static InjectedFault Draw(EmulatorOptions options, string fingerprint, long received)
    {
        double error500 = options.Error500Rate;
        double error503 = error500 + options.Error503Rate;
        double reset = error503 + options.ResetRate;
        double stall = reset + options.StallRate;
        double malformed = stall + options.MalformedRate;
        double hang = malformed + options.HangRate;
        if (hang <= 0)
        {
            return InjectedFault.None;
        }

        double draw = Unit(options.FaultSeed, fingerprint, received);
        return draw < error500 ? InjectedFault.Error500
            : draw < error503 ? InjectedFault.Error503
            : draw < reset ? InjectedFault.Reset
            : draw < stall ? InjectedFault.Stall
            : draw < malformed ? InjectedFault.Malformed
            : draw < hang ? InjectedFault.Hang
            : InjectedFault.None;
    }

    /// <summary>A uniform number in [0, 1) determined by the three inputs alone.</summary>
    public static double Unit(int seed, string fingerprint, long received)
    {
        // FNV-1a over the fingerprint, then SplitMix64 rounds folding in the seed and the receipt number.
        ulong hash = 14695981039346656037UL;
        foreach (char c in fingerprint)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        hash = Mix(hash);
        hash = Mix(hash ^ ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL));
        hash = Mix(hash ^ ((ulong)received * 0xC2B2AE3D27D4EB4FUL));
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
