using System.Net;

namespace TypedBatch.Http;

/// <summary>
/// Redirects, followed here rather than by <see cref="SocketsHttpHandler"/> (whose <c>AllowAutoRedirect</c> is off):
/// it drops <c>Authorization</c> on another origin but forwards every other header, Azure's <c>api-key</c> included.
/// Only 307 and 308 to the same origin (scheme, host and port) are followed, with the same method, body and headers;
/// any other redirect fails the call without retries (<see cref="RedirectRefusedException"/>), so no credential is ever
/// sent to another origin and a POST is never turned into a GET.
/// </summary>
internal sealed class RedirectHandler : DelegatingHandler
{
    private const int MaxRedirects = 5;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        for (int redirects = 0; ; redirects++)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            if (status is < 300 or > 399 || response.Headers.Location is not { } location)
            {
                return response;
            }

            Uri from = request.RequestUri!;
            Uri target = location.IsAbsoluteUri ? location : new Uri(from, location);
            response.Dispose();
            if (Uri.Compare(from, target, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
            {
                throw new RedirectRefusedException(status, $"The server redirected (HTTP {status}) to another origin, {target.GetLeftPart(UriPartial.Authority)}; "
                    + "TypedBatch does not follow it, so that no credential reaches another origin. Set the base URL to the final address.");
            }

            if (status is not ((int)HttpStatusCode.TemporaryRedirect or (int)HttpStatusCode.PermanentRedirect))
            {
                throw new RedirectRefusedException(status, $"The server redirected with HTTP {status}, which would turn the POST into a GET; only 307 and 308 are followed. Set the base URL to the final address.");
            }

            if (redirects == MaxRedirects)
            {
                throw new RedirectRefusedException(status, $"The server redirected more than {MaxRedirects} times. Set the base URL to the final address.");
            }

            request.RequestUri = target;
        }
    }
}

/// <summary>A redirect the client does not follow: another origin, a method-changing status, or too many hops. Not retried.</summary>
internal sealed class RedirectRefusedException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
