namespace TypedBatch.Providers.Anthropic;

/// <summary>
/// Anthropic's credentials and API version on every attempt: <c>x-api-key</c> (when a key is set: a proxy may add its
/// own) and <c>anthropic-version</c>.
/// </summary>
internal sealed class AnthropicAuthHandler(string? apiKey) : DelegatingHandler
{
    /// <summary>The API version TypedBatch speaks.</summary>
    public const string Version = "2023-06-01";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Remove("x-api-key");
            request.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        }

        request.Headers.Remove("anthropic-version");
        request.Headers.TryAddWithoutValidation("anthropic-version", Version);
        return base.SendAsync(request, cancellationToken);
    }
}
