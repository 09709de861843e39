namespace TypedBatch.Providers.Copilot;

/// <summary>
/// Authenticates every attempt with a current Copilot token, adds the headers Copilot expects, and points the
/// request at the API base the token exchange named (<c>endpoints.api</c>).
/// </summary>
internal sealed class CopilotAuthHandler(CopilotTokenSource tokens, CopilotHeaders headers) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        CopilotToken token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = token.Authorization;
        request.RequestUri = Rebase(request.RequestUri!, token.ApiBase);
        request.Headers.Remove("X-Request-Id");
        request.Headers.TryAddWithoutValidation("X-Request-Id", Guid.NewGuid().ToString());
        request.Headers.Remove("Copilot-Integration-Id");
        request.Headers.TryAddWithoutValidation("Copilot-Integration-Id", headers.IntegrationId);
        request.Headers.Remove("Editor-Version");
        request.Headers.TryAddWithoutValidation("Editor-Version", headers.EditorVersion);
        request.Headers.Remove("Editor-Plugin-Version");
        request.Headers.TryAddWithoutValidation("Editor-Plugin-Version", headers.EditorPluginVersion);
        request.Headers.UserAgent.Clear();
        request.Headers.TryAddWithoutValidation("User-Agent", headers.UserAgent);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Replaces the placeholder base the Refit client was built with by the token's API base.</summary>
    internal static Uri Rebase(Uri requestUri, Uri apiBase)
    {
        string relative = requestUri.PathAndQuery;
        if (relative.StartsWith(CopilotHeaders.PlaceholderBase.AbsolutePath, StringComparison.Ordinal))
        {
            relative = relative[CopilotHeaders.PlaceholderBase.AbsolutePath.Length..];
        }

        string basePath = apiBase.AbsoluteUri.TrimEnd('/');
        return new Uri(basePath + "/" + relative.TrimStart('/'));
    }
}

/// <summary>The client identification headers Copilot's API expects.</summary>
internal sealed record CopilotHeaders(string IntegrationId, string EditorVersion, string EditorPluginVersion, string UserAgent)
{
    /// <summary>The base address the Refit client is created with; replaced per request by the token's API base.</summary>
    public static readonly Uri PlaceholderBase = new("https://copilot.invalid/");
}
