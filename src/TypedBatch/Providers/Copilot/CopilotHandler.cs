using System.Net;

namespace TypedBatch.Providers.Copilot;

/// <summary>
/// GitHub Copilot, on every attempt: a current Copilot token, the headers Copilot expects, and the API base the token
/// exchange named (<c>endpoints.api</c>) in place of the client's default base: the one request URI rewrite in the
/// pipeline, since only the token says where the account's API lives. A 401 drops the cached token, so the next
/// attempt exchanges again. Each token joins the <see cref="SecretRedactor"/>'s secrets.
/// </summary>
internal sealed class CopilotHandler(CopilotTokenSource tokens, CopilotHeaders headers, Uri defaultBase, SecretRedactor redactor) : DelegatingHandler
{
    private static readonly HttpRequestOptionsKey<Uri> OriginalUri = new("TypedBatch.CopilotOriginalUri");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        CopilotToken token = await tokens.GetTokenAsync(cancellationToken).ConfigureAwait(false);

        // Known before it is sent, so an answer that echoes it is masked like the configured keys.
        redactor.Add(token.Authorization.Parameter);
        if (!request.Options.TryGetValue(OriginalUri, out Uri? original))
        {
            original = request.RequestUri!;
            request.Options.Set(OriginalUri, original);
        }

        request.RequestUri = Rebase(original, defaultBase, token.ApiBase);
        request.Headers.Authorization = token.Authorization;
        Replace(request, "X-Request-Id", Guid.NewGuid().ToString());
        Replace(request, "Copilot-Integration-Id", headers.IntegrationId);
        Replace(request, "Editor-Version", headers.EditorVersion);
        Replace(request, "Editor-Plugin-Version", headers.EditorPluginVersion);
        request.Headers.UserAgent.Clear();
        request.Headers.TryAddWithoutValidation("User-Agent", headers.UserAgent);

        HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            tokens.Invalidate(token);
        }

        return response;
    }

    /// <summary>The same route under the token's API base.</summary>
    internal static Uri Rebase(Uri original, Uri defaultBase, Uri apiBase)
    {
        if (apiBase == defaultBase)
        {
            return original;
        }

        string route = original.AbsoluteUri.StartsWith(defaultBase.AbsoluteUri, StringComparison.Ordinal)
            ? original.AbsoluteUri[defaultBase.AbsoluteUri.Length..]
            : original.PathAndQuery;
        return new Uri(string.Concat(apiBase.AbsoluteUri.AsSpan().TrimEnd('/'), "/", route.AsSpan().TrimStart('/')));
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
