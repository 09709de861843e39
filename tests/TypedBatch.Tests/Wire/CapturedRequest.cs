using System.Text.Json;

namespace TypedBatch.Tests.Wire;

/// <summary>What our client sent to the <see cref="RecordingHandler"/>.</summary>
internal sealed record CapturedRequest(HttpMethod Method, Uri? RequestUri, IReadOnlyDictionary<string, string[]> Headers, string? Body)
{
    /// <summary>The body parsed as JSON.</summary>
    public JsonElement Json()
    {
        using var document = JsonDocument.Parse(Body ?? throw new InvalidOperationException("The request had no body."));
        return document.RootElement.Clone();
    }
}
