using System.Net.Http.Headers;

namespace TypedBatch.Providers;

/// <summary>Adds <c>Authorization: Bearer &lt;key&gt;</c> when a key is configured (local servers need none).</summary>
internal sealed class BearerAuthHandler(string? apiKey) : DelegatingHandler
{
    private readonly AuthenticationHeaderValue? _header = string.IsNullOrEmpty(apiKey) ? null : new AuthenticationHeaderValue("Bearer", apiKey);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_header is not null)
        {
            request.Headers.Authorization = _header;
        }

        return base.SendAsync(request, cancellationToken);
    }
}
