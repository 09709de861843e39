using System.Text.Json.Serialization;

namespace TypedBatch.Providers.Copilot;

internal sealed class CopilotTokenDto
{
    [JsonPropertyName("token")]
    public string? Token { get; init; }

    [JsonPropertyName("expires_at")]
    public long? ExpiresAt { get; init; }

    [JsonPropertyName("refresh_in")]
    public long? RefreshIn { get; init; }

    [JsonPropertyName("endpoints")]
    public CopilotEndpointsDto? Endpoints { get; init; }
}

internal sealed class CopilotEndpointsDto
{
    [JsonPropertyName("api")]
    public string? Api { get; init; }
}
