using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace TypedBatch.Journaling;

/// <summary>
/// What a batch's requests share: the kind, the operation, the model, the settings and the schema. Journaled with the
/// header; every item's fingerprint covers it, so an item journaled under another definition never replays.
/// </summary>
internal sealed record JournalDefinition(string Kind, string Operation, string Model, string Settings, string Schema)
{
    private byte[]? _hash;

    /// <summary>A copy (for <c>with</c>) recomputes its hash: it is not carried over from the original.</summary>
    private JournalDefinition(JournalDefinition original)
    {
        Kind = original.Kind;
        Operation = original.Operation;
        Model = original.Model;
        Settings = original.Settings;
        Schema = original.Schema;
    }

    /// <summary>SHA-256 of the canonical text of the definition.</summary>
    public ReadOnlySpan<byte> Hash => _hash ??= SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Kind, Operation, Model, Settings, Schema)));

    /// <summary>The hash's first 8 bytes, as hex, for the header.</summary>
    public string Id => Convert.ToHexStringLower(Hash[..8]);

    public static JournalDefinition ForChat(BatchPlan plan)
    {
        CompletionSettings s = plan.Settings;
        var settings = new StringBuilder();
        settings.Append("temperature=").Append(Format(s.Temperature))
            .Append(";max_tokens=").Append(Format(s.MaxTokens))
            .Append(";top_p=").Append(Format(s.TopP))
            .Append(";seed=").Append(Format(s.Seed))
            .Append(";stop=").Append(s.Stop is null ? "none" : string.Join('\u001f', s.Stop));

        // The repair budget is not part of it: it changes what is done with an answer, not the request, so a rerun may
        // raise it to rescue the items that failed.
        string schema = s.ResponseFormat is not { } format ? "text"
            : format.Schema.IsEmpty ? format.Type
            : $"{format.Type}:{format.Name}:{(format.Strict ? "strict" : "loose")}:sha256={Convert.ToHexStringLower(SHA256.HashData(format.Schema.Span))}";
        return new JournalDefinition("chat", plan.Operation, plan.Model, settings.ToString(), schema);
    }

    public static JournalDefinition ForEmbeddings(BatchPlan plan)
        => new("embeddings", plan.Operation, plan.Model, $"dimensions={Format(plan.Dimensions)}", "none");

    /// <summary>Names the first field that differs, for a mismatch error; null when both are the same.</summary>
    public string? DescribeDifference(JournalDefinition journaled)
    {
        static string? Field(string name, string journaled, string current)
            => string.Equals(journaled, current, StringComparison.Ordinal) ? null : $"{name}: the journal has '{journaled}', this batch '{current}'";

        return Field("kind", journaled.Kind, Kind)
            ?? Field("operation", journaled.Operation, Operation)
            ?? Field("model", journaled.Model, Model)
            ?? Field("settings", journaled.Settings, Settings)
            ?? Field("response format", journaled.Schema, Schema);
    }

    private static string Format<T>(T? value)
        where T : struct, IFormattable
        => value is { } v ? v.ToString(null, CultureInfo.InvariantCulture) : "default";
}
