using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TypedBatch.Providers.OpenAI;

/// <summary>
/// Reads an embedding sent either as <c>base64</c> (little-endian float32, what we ask for: a third of the bytes
/// of the decimal form and no number parsing) or as a JSON array of numbers (servers that ignore
/// <c>encoding_format</c>).
/// </summary>
internal sealed class EmbeddingVectorConverter : JsonConverter<float[]>
{
    public override float[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return reader.ValueIsEscaped || reader.HasValueSequence
                    ? DecodeBase64(reader.GetBytesFromBase64())
                    : DecodeBase64Utf8(reader.ValueSpan);
            case JsonTokenType.StartArray:
                var values = new List<float>(1536);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    values.Add(reader.GetSingle());
                }

                return values.ToArray();
            default:
                throw new JsonException($"An embedding must be a base64 string or an array of numbers, not {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, float[] value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (float f in value)
        {
            writer.WriteNumberValue(f);
        }

        writer.WriteEndArray();
    }

    /// <summary>Decodes straight into the vector: no intermediate byte array.</summary>
    private static float[] DecodeBase64Utf8(ReadOnlySpan<byte> base64)
    {
        int padding = base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0;
        int bytes = (base64.Length / 4 * 3) - padding;
        if (base64.Length % 4 != 0 || bytes % sizeof(float) != 0)
        {
            throw new JsonException($"A base64 embedding must hold whole float32 values; got {base64.Length} base64 characters.");
        }

        float[] vector = new float[bytes / sizeof(float)];
        OperationStatus status = Base64.DecodeFromUtf8(base64, MemoryMarshal.AsBytes(vector.AsSpan()), out _, out int written);
        if (status != OperationStatus.Done || written != bytes)
        {
            throw new JsonException("An embedding is not valid base64.");
        }

        if (!BitConverter.IsLittleEndian)
        {
            Span<int> asInts = MemoryMarshal.Cast<float, int>(vector.AsSpan());
            BinaryPrimitives.ReverseEndianness(asInts, asInts);
        }

        return vector;
    }

    internal static float[] DecodeBase64(byte[] bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new JsonException($"A base64 embedding must hold whole float32 values; got {bytes.Length} bytes.");
        }

        float[] vector = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        if (!BitConverter.IsLittleEndian)
        {
            Span<int> asInts = MemoryMarshal.Cast<float, int>(vector.AsSpan());
            BinaryPrimitives.ReverseEndianness(asInts, asInts);
        }

        return vector;
    }
}
