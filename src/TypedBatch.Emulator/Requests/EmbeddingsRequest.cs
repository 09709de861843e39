using System.Text.Json;

namespace TypedBatch.Emulator;

/// <summary>The parts of an embeddings request the emulator reads.</summary>
internal sealed class EmbeddingsRequest
{
    /// <summary>The most inputs one request may carry, as on the real service.</summary>
    public const int MaxInputs = 2048;

    private EmbeddingsRequest(string model, List<string> inputs, int dimensions, bool base64)
    {
        Model = model;
        Inputs = inputs;
        Dimensions = dimensions;
        Base64 = base64;
    }

    /// <summary>The requested model, echoed in the answer.</summary>
    public string Model { get; }

    /// <summary>The input strings; never empty, none of them empty.</summary>
    public List<string> Inputs { get; }

    /// <summary>The vector length.</summary>
    public int Dimensions { get; }

    /// <summary>Whether vectors are sent as base64 of little-endian float32 instead of number arrays.</summary>
    public bool Base64 { get; }

    /// <summary>The request's <see cref="RequestFingerprint"/>, each input counting as a message with role <c>input</c>.</summary>
    public string Fingerprint() => RequestFingerprint.Compute(Model, Inputs.Select(static i => ("input", i)));

    /// <summary>Reads and validates a request body; returns <see langword="null"/> with the reason when invalid.</summary>
    public static EmbeddingsRequest? Parse(JsonElement root, int defaultDimensions, out RequestError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = RequestError.UnreadableBody;
            return null;
        }

        if (!RequestFields.TryReadModel(root, out string? model, out error))
        {
            return null;
        }

        List<string>? inputs = ReadInputs(root, out error);
        if (inputs is null)
        {
            return null;
        }

        int dimensions = defaultDimensions;
        if (RequestFields.TryGet(root, "dimensions", out JsonElement element))
        {
            if (element.ValueKind != JsonValueKind.Number
                || !element.TryGetInt32(out dimensions)
                || dimensions is < 1 or > EmulatorOptions.MaxEmbeddingDimensions)
            {
                error = RequestError.Invalid("dimensions", $"expected an integer between 1 and {EmulatorOptions.MaxEmbeddingDimensions}.");
                return null;
            }
        }

        bool base64 = false;
        if (RequestFields.TryGet(root, "encoding_format", out JsonElement format))
        {
            if (format.ValueEquals("base64"))
            {
                base64 = true;
            }
            else if (!format.ValueEquals("float"))
            {
                error = RequestError.Invalid("encoding_format", "expected 'float' or 'base64'.");
                return null;
            }
        }

        return new EmbeddingsRequest(model, inputs, dimensions, base64);
    }

    private static List<string>? ReadInputs(JsonElement root, out RequestError? error)
    {
        error = null;
        if (!RequestFields.TryGet(root, "input", out JsonElement input))
        {
            error = RequestError.Missing("input");
            return null;
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            string text = input.GetString()!;
            if (text.Length == 0)
            {
                error = RequestError.Invalid("input", "the input must not be an empty string.");
                return null;
            }

            return [text];
        }

        if (input.ValueKind != JsonValueKind.Array)
        {
            error = RequestError.Invalid("input", "expected a string or an array of strings.");
            return null;
        }

        int count = input.GetArrayLength();
        if (count is 0 or > MaxInputs)
        {
            error = RequestError.Invalid("input", $"expected between 1 and {MaxInputs} inputs, got {count}.");
            return null;
        }

        var inputs = new List<string>(count);
        foreach (JsonElement item in input.EnumerateArray())
        {
            // Token arrays (arrays of integers) are valid on the real service but not supported here.
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } text)
            {
                error = RequestError.Invalid($"input[{inputs.Count}]", "expected a non-empty string.");
                return null;
            }

            inputs.Add(text);
        }

        return inputs;
    }
}
