using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary><c>GET /v1/models</c> (and its Copilot twin): a fixed list of chat and embedding models.</summary>
internal static class ModelsEndpoint
{
    private const long Created = 1_700_000_000;

    private static readonly string[] ModelIds =
    [
        "gpt-4o-mini",
        "gpt-4o",
        "gpt-4.1-mini",
        "gpt-4.1",
        "text-embedding-3-small",
        "text-embedding-3-large",
    ];

    private static readonly byte[] Body = BuildBody();

    /// <summary>Writes the list; credentials are already checked.</summary>
    public static async Task HandleAsync(HttpContext context)
    {
        context.Response.ContentType = JsonOutput.ContentType;
        await context.Response.Body.WriteAsync(Body, context.RequestAborted);
    }

    private static byte[] BuildBody()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            foreach (string id in ModelIds)
            {
                writer.WriteStartObject();
                writer.WriteString("id", id);
                writer.WriteString("object", "model");
                writer.WriteNumber("created", Created);
                writer.WriteString("owned_by", "emulator");
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }
}
