namespace TypedBatch.Emulator;

/// <summary>The route table of the emulator.</summary>
internal static class EmulatorRoutes
{
    /// <summary>Maps every route of the emulator onto <paramref name="app"/>.</summary>
    public static void Map(WebApplication app, EmulatorState state)
    {
        var chat = new ChatEndpoint(state);
        var embeddings = new EmbeddingsEndpoint(state);
        var copilot = new CopilotEndpoint(state);
        var stats = new StatsEndpoint(state);
        app.Use(async (context, next) =>
        {
            bool secondary = context.Connection.LocalPort == state.SecondaryPort;
            if (secondary)
            {
                IHeaderDictionary headers = context.Request.Headers;
                state.Stats.SecondaryOriginRequest(headers.ContainsKey("Authorization") || headers.ContainsKey("api-key"));
            }

            EmulatorOptions options = state.Options;
            if (options.CaptureRequests && !context.Request.Path.StartsWithSegments("/emulator", StringComparison.Ordinal))
            {
                await state.Capture.CaptureAsync(context, secondary, options.CaptureCredentials);
            }

            await next(context);
        });

        // Azure OpenAI's v1 API (/openai/v1) is OpenAI's API under another path.
        foreach ((string? prefix, ApiSurface surface) in new[] { ("/v1", ApiSurface.OpenAI), ("/openai/v1", ApiSurface.OpenAI), ("/" + CopilotEndpoint.ApiPath, ApiSurface.Copilot) })
        {
            app.MapPost(prefix + "/chat/completions", context => GuardedAsync(context, state, surface, chat.HandleAsync));
            app.MapPost(prefix + "/embeddings", context => GuardedAsync(context, state, surface, embeddings.HandleAsync));
            app.MapGet(prefix + "/models", context => GuardedAsync(context, state, surface, ModelsEndpoint.HandleAsync));
        }

        app.MapGet("/copilot_internal/v2/token", copilot.ExchangeAsync);
        app.MapGet("/emulator/stats", stats.GetAsync);
        app.MapPost("/emulator/reset", stats.ResetAsync);
        app.MapFallback(NotFoundAsync);
    }

    private static async Task GuardedAsync(HttpContext context, EmulatorState state, ApiSurface surface, Func<HttpContext, Task> handler)
    {
        context.Response.Headers["x-request-id"] = state.NextRequestId();
        if (await AccessControl.AuthorizeAsync(context, state, surface))
        {
            await handler(context);
        }
    }

    // Worded as the real service words it; a known path with the wrong method is a 404 there too.
    private static Task NotFoundAsync(HttpContext context) =>
        OpenAIErrors.WriteAsync(
            context,
            StatusCodes.Status404NotFound,
            $"Invalid URL ({context.Request.Method} {context.Request.Path})",
            OpenAIErrors.InvalidRequest,
            null,
            null);
}
