using System.Globalization;
using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>
/// Writes errors in Anthropic's shape <c>{"type":"error","error":{"type","message"},"request_id"}</c>.
/// The top-level <c>request_id</c> is in Anthropic's errors reference (platform.claude.com/docs/en/api/errors,
/// "Error shapes") though not in WIRE.md; it repeats the <c>request-id</c> header.
/// </summary>
internal static class AnthropicErrors
{
    /// <summary>400: the request's format or content.</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>401: the API key.</summary>
    public const string Authentication = "authentication_error";

    /// <summary>429: a rate limit.</summary>
    public const string RateLimit = "rate_limit_error";

    /// <summary>404: no such resource.</summary>
    public const string NotFound = "not_found_error";

    /// <summary>413: the body is too large.</summary>
    public const string RequestTooLarge = "request_too_large";

    /// <summary>529: overloaded across all users.</summary>
    public const string Overloaded = "overloaded_error";

    /// <summary>The header that carries the request's id on every Anthropic answer.</summary>
    public const string RequestIdHeader = "request-id";

    /// <summary>
    /// The error type of a status, per Anthropic's errors reference: 400 invalid_request_error, 401
    /// authentication_error, 402 billing_error, 403 permission_error, 404 not_found_error, 409
    /// conflict_error, 413 request_too_large, 429 rate_limit_error, 500 api_error, 504 timeout_error,
    /// 529 overloaded_error; other 4xx are invalid_request_error ("may also be used for other 4XX
    /// status codes"), other 5xx api_error.
    /// </summary>
    public static string TypeOf(int status) => status switch
    {
        401 => Authentication,
        402 => "billing_error",
        403 => "permission_error",
        404 => NotFound,
        409 => "conflict_error",
        413 => RequestTooLarge,
        429 => RateLimit,
        504 => "timeout_error",
        529 => Overloaded,
        >= 500 => "api_error",
        _ => InvalidRequest,
    };

    /// <summary>Writes a 400 <c>invalid_request_error</c>.</summary>
    public static Task WriteInvalidAsync(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, InvalidRequest, message);

    /// <summary>
    /// The message of a spend-limit answer, as the real service words a workspace limit (a 400
    /// <c>invalid_request_error</c>: "The API also returns a 400 when usage reaches an organization or
    /// workspace spend limit you set"), naming the first day of next month.
    /// </summary>
    public static string SpendLimitMessage(DateTimeOffset now)
    {
        DateTimeOffset next = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"You have reached your specified workspace API usage limits. You will regain access on {next:yyyy-MM-dd} at 00:00 UTC.");
    }

    /// <summary>Writes an error answer with the given status, type and message.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string type, string message)
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = JsonOutput.ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            WriteError(writer, type, message, response.Headers[RequestIdHeader].ToString());
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    /// <summary>Writes the error object (also the <c>data</c> of a stream's <c>error</c> event and of an errored batch result).</summary>
    public static void WriteError(Utf8JsonWriter writer, string type, string message, string? requestId)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "error");
        writer.WriteStartObject("error");
        writer.WriteString("type", type);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        if (!string.IsNullOrEmpty(requestId))
        {
            writer.WriteString("request_id", requestId);
        }

        writer.WriteEndObject();
    }

    /// <summary>The message of an injected error of <paramref name="status"/>.</summary>
    public static string InjectedMessage(int status) => status switch
    {
        529 => "Overloaded",
        500 => "Internal server error",
        429 => "Rate limit reached (injected by the TypedBatch emulator). Please try again in 1s.",
        _ => $"The TypedBatch emulator injected a failure with status {status}.",
    };
}
