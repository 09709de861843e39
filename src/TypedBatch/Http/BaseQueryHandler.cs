namespace TypedBatch.Http;

/// <summary>
/// Adds the base URL's query (<c>?api-version=…</c>, a proxy's routing key) to every request, once per call, before the
/// retry loop: Refit builds request URIs from the base address's path and drops its query. A query the route already
/// has (Azure's classic <c>api-version</c>) comes first.
/// </summary>
/// <param name="query">The base URL's query, with its leading <c>?</c>.</param>
internal sealed class BaseQueryHandler(string query) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Uri uri = request.RequestUri!;
        request.RequestUri = new Uri(uri.GetLeftPart(UriPartial.Path) + (uri.Query.Length > 1 ? uri.Query + "&" : "?") + query[1..]);
        return base.SendAsync(request, cancellationToken);
    }
}
