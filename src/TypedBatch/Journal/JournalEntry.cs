using System.Runtime.InteropServices;
using System.Text.Json;

namespace TypedBatch.Journaling;

/// <summary>One journaled item, read back for a replay.</summary>
internal sealed class JournalEntry
{
    public int Index { get; private set; } = -1;

    public bool Succeeded { get; private set; }

    public int Attempts { get; private set; }

    public int Repairs { get; private set; }

    public TokenUsage Usage { get; private set; }

    public string? Provider { get; private set; }

    /// <summary>Whether the item was answered through the provider's Batch API (its usage is billed at the batch price).</summary>
    public bool Deferred { get; private set; }

    public string? Content { get; private set; }

    public string? Refusal { get; private set; }

    public string? FinishReason { get; private set; }

    public string? Model { get; private set; }

    public string? Id { get; private set; }

    public float[]? Vector { get; private set; }

    public BatchErrorKind Kind { get; private set; }

    public string? Message { get; private set; }

    public int? StatusCode { get; private set; }

    public string? ProviderCode { get; private set; }

    public string? ErrorType { get; private set; }

    /// <summary>The completion the item was built from, with its usage and attempts.</summary>
    public ChatCompletion ToCompletion() => new()
    {
        Content = Content,
        Refusal = Refusal,
        FinishReason = FinishReason,
        Model = Model,
        Id = Id,
        Usage = Usage,
        Attempts = Attempts,
        Provider = Provider,
    };

    public EmbeddingVector ToEmbedding() => new(Vector ?? [], Model);

    public BatchError ToError() => new(Kind, Message ?? string.Empty)
    {
        StatusCode = StatusCode,
        ProviderCode = ProviderCode,
        ErrorType = ErrorType,
        Provider = Provider,
    };

    public static JournalEntry Parse(ReadOnlySpan<byte> line)
    {
        var entry = new JournalEntry();
        var reader = new Utf8JsonReader(line);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "i": entry.Index = reader.GetInt32(); break;
                case "ok": entry.Succeeded = reader.GetBoolean(); break;
                case "a": entry.Attempts = reader.GetInt32(); break;
                case "r": entry.Repairs = reader.GetInt32(); break;
                case "u": entry.Usage = ReadUsage(ref reader); break;
                case "p": entry.Provider = reader.GetString(); break;
                case "d": entry.Deferred = reader.GetBoolean(); break;
                case "c": entry.Content = reader.GetString(); break;
                case "rf": entry.Refusal = reader.GetString(); break;
                case "fr": entry.FinishReason = reader.GetString(); break;
                case "m": entry.Model = reader.GetString(); break;
                case "id": entry.Id = reader.GetString(); break;
                case "v": entry.Vector = MemoryMarshal.Cast<byte, float>(reader.GetBytesFromBase64()).ToArray(); break;
                case "k": entry.Kind = Enum.TryParse(reader.GetString(), out BatchErrorKind kind) ? kind : BatchErrorKind.Unknown; break;
                case "msg": entry.Message = reader.GetString(); break;
                case "st": entry.StatusCode = reader.GetInt32(); break;
                case "pc": entry.ProviderCode = reader.GetString(); break;
                case "et": entry.ErrorType = reader.GetString(); break;
                default: reader.Skip(); break;
            }
        }

        return entry;
    }

    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        Span<long> values = stackalloc long[5];
        int count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.Number)
        {
            if (count < values.Length)
            {
                values[count++] = reader.GetInt64();
            }
        }

        return new TokenUsage(values[0], values[1], values[2], values[3], values[4]);
    }
}
