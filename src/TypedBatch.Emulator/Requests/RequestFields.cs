using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>Reading of request fields shared by the chat and embeddings parsers; JSON null counts as absent.</summary>
internal static class RequestFields
{
    /// <summary>Gets a property that is present and not null.</summary>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Reads the required, non-empty string <c>model</c>.</summary>
    public static bool TryReadModel(JsonElement root, [NotNullWhen(true)] out string? model, out RequestError? error)
    {
        model = null;
        error = null;
        if (!TryGet(root, "model", out JsonElement element))
        {
            error = new RequestError("You must provide a model parameter.", "model", "missing_required_parameter");
            return false;
        }

        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 } text)
        {
            error = RequestError.Invalid("model", "expected a non-empty string.");
            return false;
        }

        model = text;
        return true;
    }

    /// <summary>Reads an optional boolean; false when absent.</summary>
    public static bool TryReadBoolean(JsonElement obj, string name, out bool value, out RequestError? error)
    {
        value = false;
        error = null;
        if (!TryGet(obj, name, out JsonElement element))
        {
            return true;
        }

        if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            error = RequestError.Invalid(name, "expected a boolean.");
            return false;
        }

        value = element.ValueKind == JsonValueKind.True;
        return true;
    }
}
