using System.Text.Encodings.Web;
using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>How the emulator writes JSON: UTF-8 as the real service does, escaping only what JSON requires.</summary>
internal static class JsonOutput
{
    /// <summary>The content type of every JSON answer.</summary>
    public const string ContentType = "application/json";

    /// <summary>Writer settings shared by all endpoints.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Seconds since the Unix epoch, as in <c>created</c> fields.</summary>
    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
