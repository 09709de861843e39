using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TypedBatch.IntegrationTests.Wire;

/// <summary>
/// A tiny Kestrel server on loopback that keeps the raw bytes of every request body and answers one canned chat
/// completion, so a test sees exactly what the production JSON context and handler chain put on the wire.
/// </summary>
internal sealed class RecordingServer : IAsyncDisposable
{
    private const string Answer = """
        {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"recorded","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}
        """;

    private readonly WebApplication _app;

    private RecordingServer(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The base URL an OpenAI-compatible client is pointed at (ends in <c>/v1/</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The raw body bytes of every request, in arrival order.</summary>
    public ConcurrentQueue<byte[]> Bodies { get; } = new();

    public static async Task<RecordingServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        RecordingServer? server = null;
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            server!.Bodies.Enqueue(buffer.ToArray());
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Answer, context.RequestAborted);
        });
        await app.StartAsync();
        string address = app.Urls.First();
        server = new RecordingServer(app, new Uri(address.TrimEnd('/') + "/v1/"));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
