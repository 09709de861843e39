using System.Text.Json;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// The bounds of a numeric schema from <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c> and
/// <c>exclusiveMaximum</c> (numbers, or the draft-4 booleans that make <c>minimum</c>/<c>maximum</c> exclusive).
/// </summary>
internal readonly record struct NumericRange(double? Low, bool LowExclusive, double? High, bool HighExclusive)
{
    // Values stay well inside the range where doubles hold whole numbers exactly.
    private const double Limit = 1e15;
    private const double DefaultSpan = 1000;

    /// <summary>Reads the bounds of a schema.</summary>
    public static NumericRange Of(JsonElement schema)
    {
        double? low = SchemaReading.Number(schema, "minimum");
        double? high = SchemaReading.Number(schema, "maximum");
        bool lowExclusive = false;
        bool highExclusive = false;
        if (schema.TryGetProperty("exclusiveMinimum", out JsonElement exclusiveMin))
        {
            if (exclusiveMin.ValueKind == JsonValueKind.Number && (low is null || exclusiveMin.GetDouble() >= low))
            {
                (low, lowExclusive) = (exclusiveMin.GetDouble(), true);
            }
            else if (exclusiveMin.ValueKind == JsonValueKind.True)
            {
                lowExclusive = low is not null;
            }
        }

        if (schema.TryGetProperty("exclusiveMaximum", out JsonElement exclusiveMax))
        {
            if (exclusiveMax.ValueKind == JsonValueKind.Number && (high is null || exclusiveMax.GetDouble() <= high))
            {
                (high, highExclusive) = (exclusiveMax.GetDouble(), true);
            }
            else if (exclusiveMax.ValueKind == JsonValueKind.True)
            {
                highExclusive = high is not null;
            }
        }

        return new NumericRange(low, lowExclusive, high, highExclusive);
    }

    /// <summary>The whole numbers allowed, as an inclusive range; <see langword="null"/> when there are none.</summary>
    public (long Min, long Max)? IntegerBounds()
    {
        (double low, double high) = Defaulted();
        double min = LowExclusive && Low is not null ? Math.Floor(low) + 1 : Math.Ceiling(low);
        double max = HighExclusive && High is not null ? Math.Ceiling(high) - 1 : Math.Floor(high);
        min = Math.Max(min, -Limit);
        max = Math.Min(max, Limit);
        return min <= max ? ((long)min, (long)max) : null;
    }

    /// <summary>Whether any number is allowed.</summary>
    public bool HasNumbers()
    {
        (double low, double high) = Defaulted();
        return low < high || (low == high && !LowExclusive && !HighExclusive);
    }

    /// <summary>A number inside the range, rounded to two decimals when that keeps it inside.</summary>
    public double PickNumber(SeededRandom random)
    {
        (double low, double high) = Defaulted();
        low = Math.Max(low, -Limit);
        high = Math.Min(high, Limit);
        if (low >= high)
        {
            return low;
        }

        double value = low + ((high - low) * (0.05 + (0.9 * random.NextDouble())));
        double rounded = Math.Round(value, 2);
        return Inside(rounded) ? rounded : Inside(value) ? value : (low + high) / 2;
    }

    private bool Inside(double value) =>
        (Low is not { } low || (LowExclusive ? value > low : value >= low))
        && (High is not { } high || (HighExclusive ? value < high : value <= high));

    // Open ends default to 0 or 1000 away from the other bound; [0, 1000] when both are open.
    private (double Low, double High) Defaulted() => (Low, High) switch
    {
        ({ } low, { } high) => (low, high),
        ({ } low, null) => (low, low < 0 ? DefaultSpan : low + DefaultSpan),
        (null, { } high) => (high > 0 ? 0 : high - DefaultSpan, high),
        _ => (0, DefaultSpan),
    };
}
