using System.Security.Cryptography;
using System.Text;

namespace TypedBatch.Emulator;

/// <summary>Which credentials a route expects.</summary>
internal enum ApiSurface
{
    /// <summary><c>/v1/*</c>: the optional <see cref="EmulatorOptions.ApiKey"/>.</summary>
    OpenAI,

    /// <summary><c>/copilot/*</c>: a Copilot token from the exchange and a <c>Copilot-Integration-Id</c>.</summary>
    Copilot,

    /// <summary>Anthropic's <c>/v1/messages*</c>: the optional <see cref="EmulatorOptions.ApiKey"/> as <c>x-api-key</c>, and <c>anthropic-version</c>.</summary>
    Anthropic,
}

/// <summary>Checks credentials and answers 401 or 400 when they are missing or wrong. Presented secrets never appear in an answer.</summary>
internal static class AccessControl
{
    private const string BearerPrefix = "Bearer ";

    /// <summary>Returns <see langword="true"/> when the request may proceed; otherwise writes the rejection.</summary>
    public static Task<bool> AuthorizeAsync(HttpContext context, EmulatorState state, ApiSurface surface) => surface switch
    {
        ApiSurface.OpenAI => AuthorizeOpenAIAsync(context, state),
        ApiSurface.Copilot => AuthorizeCopilotAsync(context, state),
        _ => AuthorizeAnthropicAsync(context, state),
    };

    // The versions Anthropic's versioning page lists; a request must name one.
    private static readonly string[] AnthropicVersions = ["2023-06-01", "2023-01-01"];

    /// <summary>
    /// 401 <c>authentication_error</c> for a missing or wrong <c>x-api-key</c> (only when a key is
    /// configured, as on the OpenAI routes), then 400 <c>invalid_request_error</c> for a missing or
    /// unknown <c>anthropic-version</c>, worded as the real service words them.
    /// </summary>
    private static async Task<bool> AuthorizeAnthropicAsync(HttpContext context, EmulatorState state)
    {
        if (state.Options.ApiKey is { } apiKey)
        {
            string? presented = context.Request.Headers["x-api-key"];
            if (string.IsNullOrEmpty(presented) || !FixedTimeEquals(presented, apiKey))
            {
                string message = string.IsNullOrEmpty(presented) ? "x-api-key header is required" : "invalid x-api-key";
                await AnthropicErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, AnthropicErrors.Authentication, message);
                return false;
            }
        }

        string version = context.Request.Headers["anthropic-version"].ToString();
        if (version.Length == 0)
        {
            await AnthropicErrors.WriteInvalidAsync(context, "anthropic-version: header is required");
            return false;
        }

        if (!AnthropicVersions.Contains(version))
        {
            await AnthropicErrors.WriteInvalidAsync(context, $"anthropic-version: \"{version}\" is not a valid version");
            return false;
        }

        return true;
    }

    private static async Task<bool> AuthorizeOpenAIAsync(HttpContext context, EmulatorState state)
    {
        string? apiKey = state.Options.ApiKey;
        if (apiKey is null)
        {
            return true;
        }

        string? presented = ReadBearer(context);
        if (presented is not null && FixedTimeEquals(presented, apiKey))
        {
            return true;
        }

        string message = presented is null
            ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            : "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.";
        await OpenAIErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, message, OpenAIErrors.InvalidRequest, null, "invalid_api_key");
        return false;
    }

    private static async Task<bool> AuthorizeCopilotAsync(HttpContext context, EmulatorState state)
    {
        string? presented = ReadBearer(context);
        CopilotTokenStatus status = presented is null ? CopilotTokenStatus.Unknown : state.CopilotTokens.Check(presented);
        if (status != CopilotTokenStatus.Valid)
        {
            (string? message, string? code) = status == CopilotTokenStatus.Expired
                ? ("unauthorized: token expired", "token_expired")
                : ("unauthorized: a Copilot token from the token exchange is required (Authorization: Bearer <token>)", "invalid_api_key");
            await OpenAIErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, message, OpenAIErrors.InvalidRequest, null, code);
            return false;
        }

        if (string.IsNullOrWhiteSpace(context.Request.Headers["Copilot-Integration-Id"]))
        {
            await OpenAIErrors.WriteAsync(
                context,
                StatusCodes.Status400BadRequest,
                "missing required header: Copilot-Integration-Id",
                OpenAIErrors.InvalidRequest,
                null,
                "missing_integration_id");
            return false;
        }

        return true;
    }

    private static string? ReadBearer(HttpContext context)
    {
        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        string value = header[BearerPrefix.Length..].Trim();
        return value.Length == 0 ? null : value;
    }

    /// <summary>Compares secrets without leaking their common prefix length through timing.</summary>
    internal static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
}
