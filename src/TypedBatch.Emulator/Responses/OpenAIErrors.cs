using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>Writes error answers in the OpenAI shape <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAIErrors
{
    /// <summary>The <c>type</c> of client errors.</summary>
    public const string InvalidRequest = "invalid_request_error";

    /// <summary>The <c>type</c> of server errors.</summary>
    public const string ServerError = "server_error";

    /// <summary>Writes a 400 for an invalid request.</summary>
    public static Task WriteAsync(HttpContext context, RequestError error) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, error.Message, InvalidRequest, error.Param, error.Code);

    /// <summary>The message of an <c>insufficient_quota</c> answer.</summary>
    public const string QuotaMessage = "You exceeded your current quota, please check your plan and billing details.";

    /// <summary>Writes 429 <c>insufficient_quota</c>, without retry hints: retrying does not help.</summary>
    public static Task WriteQuotaAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status429TooManyRequests, QuotaMessage, "insufficient_quota", null, "insufficient_quota");

    /// <summary>
    /// Writes an injected failure (a fault marker, <see cref="EmulatorOptions.FailEveryNth"/> or a
    /// seeded rate). A 429 gets <c>Retry-After: 1</c> and <c>retry-after-ms: 1000</c> unless retry
    /// hints were already set (by retry-after markers).
    /// </summary>
    public static Task WriteInjectedAsync(HttpContext context, int status)
    {
        string? code = status switch
        {
            StatusCodes.Status429TooManyRequests => "rate_limit_exceeded",
            StatusCodes.Status503ServiceUnavailable => "server_is_overloaded",
            _ => null,
        };

        IHeaderDictionary headers = context.Response.Headers;
        if (status == StatusCodes.Status429TooManyRequests && !headers.ContainsKey("Retry-After") && !headers.ContainsKey("retry-after-ms"))
        {
            headers["Retry-After"] = "1";
            headers["retry-after-ms"] = "1000";
        }

        string message = status == StatusCodes.Status429TooManyRequests
            ? "Rate limit reached (injected by the TypedBatch emulator). Please try again in 1s."
            : $"The TypedBatch emulator injected a failure with status {status}.";
        return WriteAsync(context, status, message, status >= 500 ? ServerError : InvalidRequest, null, code);
    }

    /// <summary>Writes an error answer with the given status and fields.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string message, string type, string? param, string? code)
    {
        HttpResponse response = context.Response;
        response.StatusCode = status;
        response.ContentType = JsonOutput.ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            WriteStringOrNull(writer, "param", param);
            WriteStringOrNull(writer, "code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
