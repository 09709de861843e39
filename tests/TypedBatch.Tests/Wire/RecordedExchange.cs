using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TypedBatch.Tests.Wire;

/// <summary>
/// One request and response recorded from the real OpenAI API (see <c>Recordings/README.md</c>), or a
/// hand-written response in the same shape.
/// </summary>
internal sealed record RecordedExchange
{
    public static string RecordingsDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "Recordings");

    public required string RequestUri { get; init; }

    public required string RequestMethod { get; init; }

    public required IReadOnlyDictionary<string, string[]> RequestHeaders { get; init; }

    /// <summary>The body the official SDK sent; <see langword="null"/> when there was none (or it was not JSON).</summary>
    public JsonElement? RequestBody { get; init; }

    public required int StatusCode { get; init; }

    public required IReadOnlyDictionary<string, string[]> ResponseHeaders { get; init; }

    /// <summary>The recorded body as JSON: an object, or for a stream the list of SSE lines.</summary>
    public JsonElement? ResponseBody { get; init; }

    /// <summary>The bytes the <see cref="RecordingHandler"/> serves, as text.</summary>
    public required string ResponseBodyText { get; init; }

    /// <summary>The names (without <c>.json</c>) of every recording, sorted.</summary>
    public static IReadOnlyList<string> RecordingNames()
        => Directory.GetFiles(RecordingsDirectory, "*.json")
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Order(StringComparer.Ordinal)
            .ToList();

    public static RecordedExchange Load(string recording, int entry = 0) => LoadAll(recording)[entry];

    public static IReadOnlyList<RecordedExchange> LoadAll(string recording)
    {
        string path = Path.Combine(RecordingsDirectory, recording + ".json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("Entries").EnumerateArray().Select(FromEntry).ToList();
    }

    /// <summary>A response written by hand, for shapes the recordings do not hold (local servers, proxies).</summary>
    public static RecordedExchange Synthetic(HttpStatusCode status, string body, string contentType = "application/json") => new()
    {
        RequestUri = "https://api.openai.com/v1/chat/completions",
        RequestMethod = "POST",
        RequestHeaders = new Dictionary<string, string[]>(),
        StatusCode = (int)status,
        ResponseHeaders = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = [contentType] },
        ResponseBodyText = body,
    };

    /// <summary>Writes JSON compactly, keeping characters such as <c>'</c> as the server sent them.</summary>
    public static string Compact(JsonElement element)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            element.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static RecordedExchange FromEntry(JsonElement entry)
    {
        JsonElement? responseBody = Optional(entry, "ResponseBody");
        Dictionary<string, string[]> responseHeaders = Headers(entry.GetProperty("ResponseHeaders"));
        return new RecordedExchange
        {
            RequestUri = entry.GetProperty("RequestUri").GetString()!,
            RequestMethod = entry.GetProperty("RequestMethod").GetString()!,
            RequestHeaders = Headers(entry.GetProperty("RequestHeaders")),
            RequestBody = Optional(entry, "RequestBody"),
            StatusCode = entry.GetProperty("StatusCode").GetInt32(),
            ResponseHeaders = responseHeaders,
            ResponseBody = responseBody,
            ResponseBodyText = BodyText(responseBody, responseHeaders),
        };
    }

    private static string BodyText(JsonElement? body, IReadOnlyDictionary<string, string[]> headers)
    {
        if (body is not { } element)
        {
            return string.Empty;
        }

        // A recorded stream is the list of its SSE lines: on the wire they follow one another.
        bool eventStream = headers.TryGetValue("Content-Type", out string[]? type)
            && type[0].StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
        return eventStream && element.ValueKind == JsonValueKind.Array
            ? string.Concat(element.EnumerateArray().Select(line => line.GetString()))
            : Compact(element);
    }

    private static JsonElement? Optional(JsonElement entry, string name)
        => entry.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;

    private static Dictionary<string, string[]> Headers(JsonElement headers)
    {
        var result = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonProperty header in headers.EnumerateObject())
        {
            result[header.Name] = header.Value.ValueKind == JsonValueKind.Array
                ? header.Value.EnumerateArray().Select(v => v.GetString()!).ToArray()
                : [header.Value.GetString()!];
        }

        return result;
    }
}
