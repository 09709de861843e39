namespace TypedBatch.Providers;

/// <summary>
/// Removes known secrets from text that leaves the library (exception messages, error fields, request ids, logs).
/// Providers echo parts of a bad key in their error messages ("Incorrect API key provided: sk-abc…"), and a hostile
/// or broken server may echo a whole credential anywhere, so every text read from an error answer passes through here,
/// before anything cuts it short. Besides the configured keys, secrets learned at run time (Copilot session tokens)
/// are added as they are obtained.
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

    public SecretRedactor(params string?[] secrets)
    {
        _configured = secrets.Where(IsMaskable).Select(s => s!).Distinct().OrderByDescending(s => s.Length).ToArray();
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
                Volatile.Write(ref _learned, [secret!, .. _learned.Take(MaxLearned - 1)]);
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

        // Whole secrets first, of every kind: a partial mask of one (a key's prefix inside a token) must not break the
        // whole match of another.
        text = MaskWhole(MaskWhole(text, learned), _configured);
        return MaskParts(MaskParts(text, learned), _configured);
    }

    /// <summary>As <see cref="Redact"/>, but keeps <see langword="null"/> for an absent value.</summary>
    public string? RedactOrNull(string? text) => text is null ? null : Redact(text);

    private static bool IsMaskable(string? secret) => !string.IsNullOrEmpty(secret) && secret.Length >= MinimumSecretLength;

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
            int part = Math.Min(secret.Length / 2, 8);
            if (part >= MinimumSecretLength)
            {
                text = text.Replace(secret[..part], Mask, StringComparison.Ordinal)
                           .Replace(secret[^part..], Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
