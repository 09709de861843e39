namespace TypedBatch.Providers.Copilot;

/// <summary>
/// GitHub Copilot: every attempt gets a current Copilot token, the headers Copilot expects, and the API base the
/// token exchange named (<c>endpoints.api</c>).
/// </summary>
internal sealed class CopilotEndpoint(CopilotTokenSource tokens, CopilotHeaders headers, Uri tokenUrl, string githubToken) : ProviderEndpoint
{
    public override string Name => CopilotTokenSource.CopilotProviderName;

    public override Uri MeteringKey { get; } = new(tokenUrl.AbsoluteUri + "#account-" + CredentialTag(githubToken));

    public override void OnUnauthorized() => tokens.Invalidate();

    public override async ValueTask PrepareAsync(HttpRequestMessage request, CallContext call, CancellationToken cancellationToken)
    {
        CopilotToken token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.RequestUri = Rebase(request.RequestUri!, token.ApiBase);
        request.Headers.Authorization = token.Authorization;
        Replace(request, "X-Request-Id", Guid.NewGuid().ToString());
        Replace(request, "Copilot-Integration-Id", headers.IntegrationId);
        Replace(request, "Editor-Version", headers.EditorVersion);
        Replace(request, "Editor-Plugin-Version", headers.EditorPluginVersion);
        request.Headers.UserAgent.Clear();
        request.Headers.TryAddWithoutValidation("User-Agent", headers.UserAgent);
    }

    private static void Replace(HttpRequestMessage request, string name, string value)
    {
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    }
}

/// <summary>The client identification headers Copilot's API expects.</summary>
internal sealed record CopilotHeaders(string IntegrationId, string EditorVersion, string EditorPluginVersion, string UserAgent)
{
    public static CopilotHeaders Default { get; } = new("vscode-chat", "vscode/1.99.0", "copilot-chat/0.26.0", "GitHubCopilotChat/0.26.0");
}
