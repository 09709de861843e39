using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using TypedBatch.Journaling;

namespace TypedBatch.Deferred;

/// <summary>
/// The JSON Lines of the Batch APIs: a request line (<c>custom_id</c>, then the request in the API's shape,
/// <see cref="IBatchLineFormat"/>) written from the same wire request a live call sends, and an OpenAI output or error
/// line read back (the shape every API's result lines are read into). A <c>custom_id</c> is the run's
/// prefix, the input index and the request's fingerprint (<c>tb1a2b3c4d-17-9f…</c>), so a line maps back to its input
/// whatever order the output is in, and an answer to a request that is not this input's is recognised.
/// </summary>
internal static class DeferredLines
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    /// <summary>What a run prefix is made of (ours: <c>tb</c> and hex digits).</summary>
    private static readonly System.Buffers.SearchValues<char> RunCharacters = System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

    /// <summary>A new run's prefix: <c>tb</c> and 8 random hex digits.</summary>
    public static string NewRun() => "tb" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <summary>
    /// Writes one request line (with its newline) into <paramref name="buffer"/>, in <paramref name="format"/>'s shape;
    /// <paramref name="writeBody"/> writes its request.
    /// </summary>
    public static void Write(ArrayBufferWriter<byte> buffer, Utf8JsonWriter writer, IBatchLineFormat format, string run, int index, JournalFingerprint fingerprint, string url, Action<Utf8JsonWriter> writeBody)
    {
        writer.Reset(buffer);
        writer.WriteStartObject();
        WriteCustomId(writer, run, index, fingerprint);
        format.WriteRoute(writer, url);
        writer.WritePropertyName(format.BodyProperty);
        writeBody(writer);
        writer.WriteEndObject();
        writer.Flush();
        buffer.GetSpan(1)[0] = (byte)'\n';
        buffer.Advance(1);
    }

    public static Utf8JsonWriter CreateWriter(ArrayBufferWriter<byte> buffer) => new(buffer, WriterOptions);

    private static void WriteCustomId(Utf8JsonWriter writer, string run, int index, JournalFingerprint fingerprint)
    {
        Span<char> id = stackalloc char[run.Length + 1 + 11 + 1 + 16];
        run.AsSpan().CopyTo(id);
        int at = run.Length;
        id[at++] = '-';
        index.TryFormat(id[at..], out int written, provider: CultureInfo.InvariantCulture);
        at += written;
        id[at++] = '-';
        fingerprint.Low.TryFormat(id[at..], out written, "x16", CultureInfo.InvariantCulture);
        at += written;
        writer.WriteString("custom_id"u8, id[..at]);
    }

    /// <summary>Splits a <c>custom_id</c> into run, index and fingerprint (its low half); false when it is not one of ours.</summary>
    public static bool TryParseCustomId(string? customId, out string run, out int index, out ulong fingerprint)
    {
        run = "";
        index = -1;
        fingerprint = 0;
        if (customId is null)
        {
            return false;
        }

        int last = customId.LastIndexOf('-');
        int middle = last > 0 ? customId.LastIndexOf('-', last - 1) : -1;
        if (middle <= 0
            || customId.AsSpan(0, middle).ContainsAnyExcept(RunCharacters)
            || !int.TryParse(customId.AsSpan(middle + 1, last - middle - 1), NumberStyles.None, CultureInfo.InvariantCulture, out index)
            || !ulong.TryParse(customId.AsSpan(last + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out fingerprint))
        {
            index = -1;
            return false;
        }

        run = customId[..middle];
        return true;
    }

    /// <summary>Reads the request of a line as written (its <see cref="IBatchLineFormat.BodyProperty"/>), through <paramref name="read"/>.</summary>
    public static T ReadBody<T>(ReadOnlySpan<byte> line, IBatchLineFormat format, Func<JsonElement, T> read)
    {
        var reader = new Utf8JsonReader(line);
        using var document = JsonDocument.ParseValue(ref reader);
        return read(document.RootElement.GetProperty(format.BodyProperty));
    }

    /// <summary>Reads one output or error line; null when it is not JSON of that shape.</summary>
    public static BatchOutputLineDto? ParseOutput(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, DeferredJsonContext.Default.BatchOutputLineDto);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>An output or error file line: <c>{"id","custom_id","response":{"status_code","request_id","body"},"error"}</c>.</summary>
internal sealed class BatchOutputLineDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("custom_id")]
    public string? CustomId { get; set; }

    [JsonPropertyName("response")]
    public BatchLineResponseDto? Response { get; set; }

    [JsonPropertyName("error")]
    public BatchLineErrorDto? Error { get; set; }
}

internal sealed class BatchLineResponseDto
{
    [JsonPropertyName("status_code")]
    public int? StatusCode { get; set; }

    [JsonPropertyName("request_id")]
    public string? RequestId { get; set; }

    [JsonPropertyName("body")]
    public JsonElement? Body { get; set; }
}

internal sealed class BatchLineErrorDto
{
    [JsonPropertyName("code")]
    public string? Code { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(BatchOutputLineDto))]
internal sealed partial class DeferredJsonContext : JsonSerializerContext;
