using System.Net.Http.Headers;

namespace TypedBatch.Providers.OpenAI;

/// <summary>OpenAI and OpenAI-compatible servers: <c>Authorization: Bearer &lt;key&gt;</c> on every attempt, when a key is set.</summary>
internal sealed class OpenAIAuthHandler(string apiKey) : DelegatingHandler
{
    private readonly AuthenticationHeaderValue _authorization = new("Bearer", apiKey);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = _authorization;
        return base.SendAsync(request, cancellationToken);
    }
}
