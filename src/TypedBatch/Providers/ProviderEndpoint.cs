using System.Net.Http.Headers;

namespace TypedBatch.Providers;

/// <summary>
/// Where and how one provider is reached: its name, the base URL its routes are joined to, and the authentication of
/// each attempt. Every provider of a client shares one <see cref="HttpClient"/> pipeline; the endpoint of the call
/// travels in its <see cref="CallContext"/> and <see cref="EndpointHandler"/> applies it to each attempt.
/// </summary>
internal abstract class ProviderEndpoint
{
    /// <summary>The base address the shared Refit client is built with; every endpoint replaces it.</summary>
    public static readonly Uri PlaceholderBase = new("https://typedbatch.invalid");

    public abstract string Name { get; }

    /// <summary>Where this provider meters rate limits (its API base, or for Copilot the account's token exchange).</summary>
    public abstract Uri MeteringKey { get; }

    /// <summary>The server rejected the credentials: forget any cached token so the next call gets a fresh one.</summary>
    public virtual void OnUnauthorized()
    {
    }

    /// <summary>A short, irreversible tag of a credential, so that different accounts on one endpoint meter apart.</summary>
    protected static string CredentialTag(string? secret)
        => string.IsNullOrEmpty(secret) ? "anonymous" : Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)), 0, 6);

    /// <summary>Sets the request's URI and credentials for one attempt.</summary>
    public abstract ValueTask PrepareAsync(HttpRequestMessage request, CallContext call, CancellationToken cancellationToken);

    /// <summary>
    /// Joins <paramref name="apiBase"/> and the route of a request built against <see cref="PlaceholderBase"/>. Retries
    /// send the same request again, so the route is taken from the URI as Refit built it, kept in the call.
    /// </summary>
    public static Uri Rebase(Uri requestUri, Uri apiBase, string? query = null)
    {
        // One string, no LINQ: this runs on every attempt.
        string existing = requestUri.Query;
        string separator = existing.Length > 1 ? "&" : "?";
        string extra = string.IsNullOrEmpty(query) ? string.Empty : (existing.Length > 1 ? existing + separator : "?") + query;
        return new Uri(string.Concat(apiBase.AbsoluteUri.AsSpan().TrimEnd('/'), "/", requestUri.AbsolutePath.AsSpan().TrimStart('/'), extra.Length > 0 ? extra : existing));
    }
}

/// <summary>Applies the call's endpoint (URI and credentials) to every attempt.</summary>
internal sealed class EndpointHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(CallContext.Key, out CallContext? call) && call.Endpoint is { } endpoint)
        {
            // Each attempt starts from the URI Refit built, not from the one the last attempt was rewritten to.
            call.RefitUri ??= request.RequestUri;
            request.RequestUri = call.RefitUri;
            await endpoint.PrepareAsync(request, call, cancellationToken).ConfigureAwait(false);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>OpenAI and OpenAI-compatible servers: <c>Authorization: Bearer &lt;key&gt;</c> when a key is set.</summary>
internal sealed class OpenAIEndpoint(string name, Uri baseUrl, string? apiKey) : ProviderEndpoint
{
    private readonly AuthenticationHeaderValue? _authorization = string.IsNullOrEmpty(apiKey) ? null : new AuthenticationHeaderValue("Bearer", apiKey);

    public override string Name { get; } = name;

    public override Uri MeteringKey { get; } = new(baseUrl.AbsoluteUri.TrimEnd('/') + "/#account-" + CredentialTag(apiKey));

    public override ValueTask PrepareAsync(HttpRequestMessage request, CallContext call, CancellationToken cancellationToken)
    {
        request.RequestUri = Rebase(request.RequestUri!, baseUrl);
        if (_authorization is not null)
        {
            request.Headers.Authorization = _authorization;
        }

        return ValueTask.CompletedTask;
    }
}
