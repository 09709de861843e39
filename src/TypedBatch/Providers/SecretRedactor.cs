namespace TypedBatch.Providers;

/// <summary>
/// Removes known secrets from text that leaves the library (exception messages, logs). Providers echo parts of a bad
/// key in their error messages ("Incorrect API key provided: sk-abc…"), so every provider message passes through here.
/// </summary>
internal sealed class SecretRedactor
{
    private const string Mask = "***";
    private const int MinimumSecretLength = 6;
    private readonly string[] _secrets;

    public SecretRedactor(params string?[] secrets)
    {
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s) && s.Length >= MinimumSecretLength).Select(s => s!).Distinct().ToArray();
    }

    public static SecretRedactor None { get; } = new();

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        foreach (string secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);

            // Providers often show only the start and end of a key; mask any long-enough prefix or suffix too.
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
