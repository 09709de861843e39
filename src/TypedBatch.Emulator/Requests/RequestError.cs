namespace TypedBatch.Emulator;

/// <summary>Why a request is invalid, in the terms of an OpenAI <c>invalid_request_error</c> (answered 400).</summary>
/// <param name="Message">A message that says what is wrong.</param>
/// <param name="Param">The offending parameter, when there is one.</param>
/// <param name="Code">A machine-readable code, when there is one.</param>
internal sealed record RequestError(string Message, string? Param, string? Code)
{
    /// <summary>The body is not JSON or not a JSON object.</summary>
    public static readonly RequestError UnreadableBody = new(
        "We could not parse the JSON body of your request. The emulator expects a JSON object.", null, null);

    /// <summary>A required parameter is absent.</summary>
    public static RequestError Missing(string param) =>
        new($"Missing required parameter: '{param}'.", param, "missing_required_parameter");

    /// <summary>A parameter has the wrong type or an out-of-range value.</summary>
    public static RequestError Invalid(string param, string rule) =>
        new($"Invalid value for '{param}': {rule}", param, "invalid_value");
}
