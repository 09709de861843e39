using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>
/// <c>GET /copilot_internal/v2/token</c>: exchanges the configured GitHub token for a short-lived
/// Copilot token, as <c>api.github.com</c> does. The Copilot API routes then accept that token.
/// </summary>
internal sealed class CopilotEndpoint(EmulatorState state)
{
    /// <summary>The path of the Copilot API routes, relative to the server root.</summary>
    public const string ApiPath = "copilot";

    /// <summary>Answers one token exchange.</summary>
    public async Task ExchangeAsync(HttpContext context)
    {
        state.Stats.TokenExchangeRequested();
        HttpResponse response = context.Response;
        response.ContentType = JsonOutput.ContentType;
        if (!IsGitHubTokenAccepted(context.Request.Headers.Authorization))
        {
            response.StatusCode = StatusCodes.Status401Unauthorized;
            await response.WriteAsync(
                """{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}""",
                context.RequestAborted);
            return;
        }

        TimeSpan lifetime = state.Options.CopilotTokenLifetime;
        IssuedCopilotToken issued = state.CopilotTokens.Issue(lifetime);
        state.Stats.TokenExchanged();

        HttpRequest request = context.Request;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("token", issued.Token);
            writer.WriteNumber("expires_at", issued.ExpiresAt.ToUnixTimeSeconds());
            writer.WriteNumber("refresh_in", RefreshIn(lifetime));
            writer.WriteStartObject("endpoints");
            writer.WriteString("api", $"{request.Scheme}://{request.Host}{request.PathBase}/{ApiPath}");
            writer.WriteEndObject();
            writer.WriteString("sku", "emulator");
            writer.WriteBoolean("chat_enabled", true);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>
    /// Seconds after which a client should refresh: a minute early for long lifetimes, half-way for
    /// short test lifetimes so that they stay meaningful; at least 1.
    /// </summary>
    internal static long RefreshIn(TimeSpan lifetime)
    {
        long seconds = (long)lifetime.TotalSeconds;
        return seconds > 120 ? seconds - 60 : Math.Max(1, seconds / 2);
    }

    // GitHub accepts both "token <t>" and "Bearer <t>" for personal and OAuth tokens.
    private bool IsGitHubTokenAccepted(string? header)
    {
        if (header is null)
        {
            return false;
        }

        int space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0)
        {
            return false;
        }

        ReadOnlySpan<char> scheme = header.AsSpan(0, space);
        if (!scheme.Equals("token", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return AccessControl.FixedTimeEquals(header[(space + 1)..].Trim(), state.Options.GitHubToken);
    }
}
