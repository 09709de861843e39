using TypedBatch.Emulator.Batches;

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
        var files = new FilesEndpoint(state);
        BatchesEndpoint batches = state.Batches;
        var messages = new MessagesEndpoint(state);
        var messageBatches = new MessageBatchesEndpoint(state);
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

        // OpenAI's Files and Batch APIs (deferred mode), on both OpenAI paths.
        foreach (string prefix in new[] { "/v1", "/openai/v1" })
        {
            app.MapPost(prefix + "/files", context => GuardedAsync(context, state, ApiSurface.OpenAI, files.UploadAsync));
            app.MapGet(prefix + "/files", context => GuardedAsync(context, state, ApiSurface.OpenAI, files.ListAsync));
            app.MapGet(prefix + "/files/{id}", context => GuardedAsync(context, state, ApiSurface.OpenAI, files.GetAsync));
            app.MapGet(prefix + "/files/{id}/content", context => GuardedAsync(context, state, ApiSurface.OpenAI, files.ContentAsync));
            app.MapDelete(prefix + "/files/{id}", context => GuardedAsync(context, state, ApiSurface.OpenAI, files.DeleteAsync));
            app.MapPost(prefix + "/batches", context => GuardedAsync(context, state, ApiSurface.OpenAI, batches.CreateAsync));
            app.MapGet(prefix + "/batches", context => GuardedAsync(context, state, ApiSurface.OpenAI, batches.ListAsync));
            app.MapGet(prefix + "/batches/{id}", context => GuardedAsync(context, state, ApiSurface.OpenAI, batches.GetAsync));
            app.MapPost(prefix + "/batches/{id}/cancel", context => GuardedAsync(context, state, ApiSurface.OpenAI, batches.CancelAsync));
        }

        // Anthropic's Messages and Message Batches APIs: the base URL is the root, the paths carry /v1.
        app.MapPost("/v1/messages", context => AnthropicGuardedAsync(context, state, messages.HandleAsync));
        app.MapPost("/v1/messages/batches", context => AnthropicGuardedAsync(context, state, messageBatches.CreateAsync));
        app.MapGet("/v1/messages/batches", context => AnthropicGuardedAsync(context, state, messageBatches.ListAsync));
        app.MapGet("/v1/messages/batches/{id}", context => AnthropicGuardedAsync(context, state, messageBatches.GetAsync));
        app.MapDelete("/v1/messages/batches/{id}", context => AnthropicGuardedAsync(context, state, messageBatches.DeleteAsync));
        app.MapPost("/v1/messages/batches/{id}/cancel", context => AnthropicGuardedAsync(context, state, messageBatches.CancelAsync));
        app.MapGet("/v1/messages/batches/{id}/results", context => AnthropicGuardedAsync(context, state, messageBatches.ResultsAsync));

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

    // Anthropic names its request ids request-id (and repeats them in error bodies).
    private static async Task AnthropicGuardedAsync(HttpContext context, EmulatorState state, Func<HttpContext, Task> handler)
    {
        context.Response.Headers[AnthropicErrors.RequestIdHeader] = state.NextRequestId();
        if (await AccessControl.AuthorizeAsync(context, state, ApiSurface.Anthropic))
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
