using System.Text;
using System.Text.Json;

namespace TypedBatch.Emulator.Faults;

/// <summary>
/// The answers of a hostile server, asked for by markers so that a client's defences can be tested
/// offline: bodies that drip, errors that echo the caller's credential, redirects to another
/// origin, and requests that are never answered.
/// </summary>
internal static class HostileAnswers
{
    /// <summary>The <c>Content-Length</c> a drip announces.</summary>
    public const int DripLength = 100_000;

    /// <summary>The pause between two bytes of a drip.</summary>
    public static readonly TimeSpan DripInterval = TimeSpan.FromMilliseconds(500);

    private const int EchoTrailerLength = 4096;

    /// <summary>
    /// Sends the headers of a <paramref name="status"/> answer announcing <see cref="DripLength"/>
    /// bytes, then one byte every <see cref="DripInterval"/> until the body is complete, the client
    /// goes away or the server stops.
    /// </summary>
    public static async Task DripAsync(HttpContext context, int status, string? contentType, TimeProvider time, CancellationToken stopping)
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        if (contentType is not null)
        {
            response.ContentType = contentType;
        }

        response.ContentLength = DripLength;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        CancellationToken token = cancellation.Token;
        try
        {
            await response.StartAsync(token);
            byte[] body = Encoding.ASCII.GetBytes(status >= 400 ? "{\"error\":{\"message\":\"" : "drip ");
            for (int written = 0; written < DripLength; written++)
            {
                byte next = written < body.Length ? body[written] : (byte)'.';
                await response.Body.WriteAsync(new[] { next }, token);
                await response.Body.FlushAsync(token);
                await Task.Delay(DripInterval, time, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The client gave up or the server is stopping: drop the connection rather than leave a short body pending.
            context.Abort();
        }
    }

    /// <summary>
    /// Answers 401 with the caller's credential in every field of the error and in <c>x-request-id</c>,
    /// like a careless gateway; a client must not log or surface it.
    /// </summary>
    public static async Task EchoKeyAsync(HttpContext context)
    {
        string credential = PresentedCredential(context.Request);
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.ContentType = JsonOutput.ContentType;
        response.Headers["x-request-id"] = credential;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", $"Incorrect API key provided: {credential}.");
            writer.WriteString("type", credential);
            writer.WriteString("param", credential);
            writer.WriteString("code", credential);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Answers 502 with a long <c>text/html</c> page, like a proxy's error page, in which the caller's
    /// credential starts at character <paramref name="offset"/>; written in pieces, never whole in memory.
    /// </summary>
    public static async Task EchoKeyHtmlAsync(HttpContext context, int offset)
    {
        HttpResponse response = context.Response;
        response.StatusCode = StatusCodes.Status502BadGateway;
        response.ContentType = "text/html; charset=utf-8";
        byte[] head = "<html><head><title>502 Bad Gateway</title></head><body><pre>"u8.ToArray();
        byte[] credential = Encoding.UTF8.GetBytes(PresentedCredential(context.Request));
        byte[] tail = "</pre></body></html>\n"u8.ToArray();
        response.ContentLength = Math.Max(offset, head.Length) + credential.Length + EchoTrailerLength + tail.Length;

        // The credential starts at byte 'offset' exactly (the head counts as filler) unless the head is longer.
        await response.Body.WriteAsync(head, context.RequestAborted);
        await WriteFillerAsync(response, offset - head.Length, context.RequestAborted);
        await response.Body.WriteAsync(credential, context.RequestAborted);
        await WriteFillerAsync(response, EchoTrailerLength, context.RequestAborted);
        await response.Body.WriteAsync(tail, context.RequestAborted);
    }

    /// <summary>Answers a redirect to the same path and query on <paramref name="otherOrigin"/>.</summary>
    public static void Redirect(HttpContext context, int status, Uri otherOrigin)
    {
        HttpRequest request = context.Request;
        var location = new Uri(otherOrigin, request.Path.Value!.TrimStart('/') + request.QueryString.Value);
        context.Response.StatusCode = status;
        context.Response.Headers.Location = location.AbsoluteUri;
    }

    /// <summary>Holds the request, answering nothing, until the client goes away or the server stops.</summary>
    public static async Task HangAsync(HttpContext context, CancellationToken stopping)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellation.Token);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Not even an error status: the connection just closes.
            context.Abort();
        }
    }

    /// <summary>
    /// The credential the caller sent: the bearer token of <c>Authorization</c> (the API key, or the
    /// Copilot session token on the Copilot routes), else the <c>api-key</c> header, else Anthropic's
    /// <c>x-api-key</c>; empty when none.
    /// </summary>
    internal static string PresentedCredential(HttpRequest request)
    {
        string? authorization = request.Headers.Authorization;
        if (!string.IsNullOrEmpty(authorization))
        {
            int space = authorization.IndexOf(' ', StringComparison.Ordinal);
            return space > 0 ? authorization[(space + 1)..].Trim() : authorization;
        }

        string apiKey = request.Headers["api-key"].ToString();
        return apiKey.Length > 0 ? apiKey : request.Headers["x-api-key"].ToString();
    }

    private static async Task WriteFillerAsync(HttpResponse response, int length, CancellationToken cancellationToken)
    {
        byte[] line = "upstream connect error or disconnect/reset before headers. reset reason: overflow\n"u8.ToArray();
        for (int left = length; left > 0; left -= line.Length)
        {
            await response.Body.WriteAsync(line.AsMemory(0, Math.Min(left, line.Length)), cancellationToken);
        }
    }
}
