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

    /// <summary>Writes a failure asked for by a fault marker or <see cref="EmulatorOptions.FailEveryNth"/>.</summary>
    public static Task WriteInjectedAsync(HttpContext context, int status)
    {
        string? code = status switch
        {
            StatusCodes.Status429TooManyRequests => "rate_limit_exceeded",
            StatusCodes.Status503ServiceUnavailable => "server_is_overloaded",
            _ => null,
        };

        if (status == StatusCodes.Status429TooManyRequests)
        {
            context.Response.Headers["Retry-After"] = "1";
            context.Response.Headers["retry-after-ms"] = "1000";
        }

        var message = status == StatusCodes.Status429TooManyRequests
            ? "Rate limit reached (injected by the TypedBatch emulator). Please try again in 1s."
            : $"The TypedBatch emulator injected a failure with status {status}.";
        return WriteAsync(context, status, message, status >= 500 ? ServerError : InvalidRequest, null, code);
    }

    /// <summary>Writes an error answer with the given status and fields.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string message, string type, string? param, string? code)
    {
        var response = context.Response;
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
