using System.Buffers;

namespace TypedBatch.Providers;

/// <summary>
/// Removes known secrets from text that leaves the library (exception messages, error fields, request ids, logs).
/// Providers echo parts of a bad key in their error messages ("Incorrect API key provided: sk-abc…"), and a hostile
/// or broken server may echo a whole credential anywhere, so every text read from an error answer passes through here,
/// before anything cuts it short. Besides the configured keys, secrets learned at run time (Copilot session tokens)
/// are added as they are obtained. The common case, a text with no secret in it (every journaled answer), is one
/// vectorized search for all the secrets and their parts at once and returns the same string, allocating nothing.
/// </summary>
internal sealed class SecretRedactor
{
    private const string Mask = "***";
    private const int MinimumSecretLength = 6;

    // Copilot tokens are replaced about every half hour; the latest few cover every request still in flight.
    private const int MaxLearned = 8;

    private readonly string[] _configured;
    private readonly Lock _gate = new();
    private string[] _learned = [];

    // Every text to mask (whole secrets and the parts MaskParts masks), configured and learned; replaced with _learned.
    private SearchValues<string>? _needles;

    public SecretRedactor(params string?[] secrets)
    {
        _configured = secrets.Where(IsMaskable).Select(s => s!).Distinct().OrderByDescending(s => s.Length).ToArray();
        _needles = Needles(_configured, []);
    }

    public static SecretRedactor None { get; } = new();

    /// <summary>Masks <paramref name="secret"/> from now on, in addition to the configured ones; safe to call from any thread.</summary>
    public void Add(string? secret)
    {
        if (!IsMaskable(secret) || Volatile.Read(ref _learned).Contains(secret) || _configured.Contains(secret))
        {
            return;
        }

        lock (_gate)
        {
            if (!_learned.Contains(secret))
            {
                string[] learned = [secret!, .. _learned.Take(MaxLearned - 1)];

                // The needles first: a reader that sees the new secret in _learned must find it in the needles too.
                Volatile.Write(ref _needles, Needles(_configured, learned));
                Volatile.Write(ref _learned, learned);
            }
        }
    }

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        string[] learned = Volatile.Read(ref _learned);
        SearchValues<string>? needles = Volatile.Read(ref _needles);
        if (needles is null || text.AsSpan().IndexOfAny(needles) < 0)
        {
            // No secret and no part of one: the same string, nothing allocated.
            return text;
        }

        // Whole secrets first, of every kind: a partial mask of one (a key's prefix inside a token) must not break the
        // whole match of another.
        text = MaskWhole(MaskWhole(text, learned), _configured);
        return MaskParts(MaskParts(text, learned), _configured);
    }

    /// <summary>As <see cref="Redact"/>, but keeps <see langword="null"/> for an absent value.</summary>
    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    private static bool IsMaskable(string? secret) => !string.IsNullOrEmpty(secret) && secret.Length >= MinimumSecretLength;

    /// <summary>What <see cref="MaskWhole"/> and <see cref="MaskParts"/> look for, as one search; null when there is nothing to mask.</summary>
    private static SearchValues<string>? Needles(string[] configured, string[] learned)
    {
        var needles = new HashSet<string>(StringComparer.Ordinal);
        foreach (string secret in configured.Concat(learned))
        {
            needles.Add(secret);
            int part = PartLength(secret);
            if (part >= MinimumSecretLength)
            {
                needles.Add(secret[..part]);
                needles.Add(secret[^part..]);
            }
        }

        return needles.Count == 0 ? null : SearchValues.Create([.. needles], StringComparison.Ordinal);
    }

    private static int PartLength(string secret) => Math.Min(secret.Length / 2, 8);

    private static string MaskWhole(string text, string[] secrets)
    {
        foreach (string secret in secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return text;
    }

    // Providers often show only the start and end of a key; mask any long-enough prefix or suffix too.
    private static string MaskParts(string text, string[] secrets)
    {
        foreach (string secret in secrets)
        {
            int part = PartLength(secret);
            if (part >= MinimumSecretLength)
            {
                text = text.Replace(secret[..part], Mask, StringComparison.Ordinal)
                           .Replace(secret[^part..], Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
