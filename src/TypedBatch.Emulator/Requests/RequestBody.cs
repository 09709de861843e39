using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>Reads a request body as JSON.</summary>
internal static class RequestBody
{
    /// <summary>The parsed body, or <see langword="null"/> when it is not JSON.</summary>
    public static async Task<JsonDocument?> TryParseAsync(HttpContext context)
    {
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
