using System.Net.Http.Headers;

namespace TypedBatch.Providers.Azure;

/// <summary>
/// Azure OpenAI. Classic deployments: <c>{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…</c>,
/// where the request's model is the deployment name. The newer v1 API: <c>{endpoint}/openai/v1/chat/completions</c> with
/// the deployment as <c>model</c>. Authenticated with the <c>api-key</c> header, or a bearer token from a callback
/// (Microsoft Entra ID).
/// </summary>
internal sealed class AzureOpenAIEndpoint(Uri endpoint, string apiVersion, bool useV1, string? apiKey, Func<CancellationToken, ValueTask<string>>? tokenProvider) : ProviderEndpoint
{
    private readonly string _apiVersionQuery = "api-version=" + Uri.EscapeDataString(apiVersion);

    public override string Name => "azure-openai";

    public override Uri MeteringKey { get; } = new(endpoint.AbsoluteUri.TrimEnd('/') + "/#account-" + CredentialTag(apiKey));

    public override async ValueTask PrepareAsync(HttpRequestMessage request, CallContext call, CancellationToken cancellationToken)
    {
        Uri root = new(endpoint.AbsoluteUri.TrimEnd('/') + "/openai/" + (useV1 ? "v1" : "deployments/" + Uri.EscapeDataString(call.Model ?? string.Empty)));
        request.RequestUri = Rebase(request.RequestUri!, root, useV1 ? null : _apiVersionQuery);
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
    }
}
