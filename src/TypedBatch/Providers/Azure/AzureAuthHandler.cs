using System.Net.Http.Headers;

namespace TypedBatch.Providers.Azure;

/// <summary>Azure OpenAI: the <c>api-key</c> header, or a Microsoft Entra ID bearer token from a callback, on every attempt.</summary>
internal sealed class AzureAuthHandler(string? apiKey, Func<CancellationToken, ValueTask<string>>? tokenProvider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (tokenProvider is not null)
        {
            string token = await tokenProvider(cancellationToken).ConfigureAwait(false);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Remove("api-key");
            request.Headers.TryAddWithoutValidation("api-key", apiKey);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
