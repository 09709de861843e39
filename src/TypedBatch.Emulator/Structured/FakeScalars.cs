using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// Deterministic strings and numbers for <see cref="JsonSchemaFaker"/>. Plain strings are the
/// property name and four hex digits (<c>title-3f2a</c>); formats get well-formed values built
/// from a fixed base date and seeded offsets, never from the clock.
/// </summary>
internal static class FakeScalars
{
    private static readonly DateTimeOffset BaseDate = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const int SecondsInTwoYears = 2 * 365 * 24 * 60 * 60;

    /// <summary>A string for a <c>string</c> schema: by <c>pattern</c> when it can, else by <c>format</c>, else a word.</summary>
    public static string String(JsonElement schema, string name, SeededRandom random)
    {
        if (SchemaReading.Text(schema, "pattern") is { } pattern && PatternStrings.TryGenerate(pattern, random) is { } matching)
        {
            return matching;
        }

        if (SchemaReading.Text(schema, "format") is { } format && Formatted(format, name, random) is { } formatted)
        {
            return formatted;
        }

        string word = name + "-" + random.HexWord();
        if (SchemaReading.Count(schema, "maxLength") is { } maxLength && word.Length > maxLength)
        {
            word = word[^maxLength..]; // keep the varying hex digits
        }

        if (SchemaReading.Count(schema, "minLength") is { } minLength && word.Length < minLength)
        {
            word = word.PadRight(minLength, 'x');
        }

        return word;
    }

    /// <summary>A whole number within the schema's bounds (0 to 1000 when it has none).</summary>
    public static long Integer(JsonElement schema, SeededRandom random) =>
        NumericRange.Of(schema).IntegerBounds() is { } bounds ? random.NextInRange(bounds.Min, bounds.Max) : 0;

    /// <summary>A number within the schema's bounds, usually with two decimals.</summary>
    public static double Number(JsonElement schema, SeededRandom random) => NumericRange.Of(schema).PickNumber(random);

    // The value of a supported format; null for formats that are not known (a plain word is used).
    private static string? Formatted(string format, string name, SeededRandom random)
    {
        CultureInfo invariant = CultureInfo.InvariantCulture;
        return format switch
        {
            "date-time" => Moment(random).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", invariant),
            "date" => Moment(random).ToString("yyyy-MM-dd", invariant),
            "time" => Moment(random).ToString("HH:mm:ss", invariant),
            "duration" => Duration(random),
            "email" => $"{Slug(name)}-{random.HexWord()}@example.com",
            "hostname" => $"{Slug(name)}-{random.HexWord()}.example.com",
            "ipv4" => string.Create(invariant, $"10.{random.Next(256)}.{random.Next(256)}.{1 + random.Next(254)}"),
            "ipv6" => $"2001:db8::{random.HexWord()}:{random.HexWord()}",
            "uuid" => Uuid(random),
            "uri" or "url" => $"https://example.com/{Slug(name)}-{random.HexWord()}",
            _ => null,
        };
    }

    private static DateTimeOffset Moment(SeededRandom random) => BaseDate.AddSeconds(random.Next(SecondsInTwoYears));

    // ISO 8601 like PT1H30M; never PT0M.
    private static string Duration(SeededRandom random)
    {
        int hours = random.Next(24);
        int minutes = 1 + random.Next(59);
        return hours == 0
            ? string.Create(CultureInfo.InvariantCulture, $"PT{minutes}M")
            : string.Create(CultureInfo.InvariantCulture, $"PT{hours}H{minutes}M");
    }

    // A version-4, RFC 4122 variant UUID in its 8-4-4-4-12 form.
    private static string Uuid(SeededRandom random)
    {
        var hex = new StringBuilder(36);
        hex.Append(random.NextUInt64().ToString("x16", CultureInfo.InvariantCulture));
        hex.Append(random.NextUInt64().ToString("x16", CultureInfo.InvariantCulture));
        hex[12] = '4';
        hex[16] = "89ab"[random.Next(4)];
        return hex.Insert(20, '-').Insert(16, '-').Insert(12, '-').Insert(8, '-').ToString();
    }

    // The name as a DNS label / mailbox: lowercase letters and digits, other characters as '-'.
    private static string Slug(string name)
    {
        var slug = new StringBuilder(name.Length);
        foreach (char c in name.ToLowerInvariant())
        {
            slug.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        }

        string text = slug.ToString().Trim('-');
        return text.Length == 0 ? "item" : text[..Math.Min(text.Length, 40)].TrimEnd('-');
    }
}
