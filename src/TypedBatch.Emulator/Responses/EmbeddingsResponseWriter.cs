using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using TypedBatch.Emulator.Faults;

namespace TypedBatch.Emulator;

/// <summary>Writes the <c>{object:"list", data:[...], model, usage}</c> answer of an embeddings request.</summary>
internal static class EmbeddingsResponseWriter
{
    // Large answers (2048 inputs of thousands of floats) go out in slices instead of being buffered whole.
    private const int InputsPerFlush = 64;

    /// <summary>
    /// Writes the answer; when <paramref name="malformed"/>, only the first half of it. With
    /// <see cref="InjectedFault.DuplicateIndex"/> an extra entry repeats index 0 at the end; with
    /// <see cref="InjectedFault.MissingIndex"/> the last entry is left out.
    /// </summary>
    public static async Task WriteAsync(HttpContext context, EmbeddingsRequest request, bool malformed, InjectedFault fault = InjectedFault.None)
    {
        HttpResponse response = context.Response;
        response.ContentType = JsonOutput.ContentType;
        if (malformed)
        {
            var full = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(full, JsonOutput.WriterOptions))
            {
                WriteAll(writer, request);
            }

            response.BodyWriter.Write(full.WrittenSpan[..(full.WrittenCount / 2)]);
            await response.BodyWriter.FlushAsync(context.RequestAborted);
            return;
        }

        PipeWriter pipe = response.BodyWriter;
        float[] vector = ArrayPool<float>.Shared.Rent(request.Dimensions);
        byte[] bytes = request.Base64 ? ArrayPool<byte>.Shared.Rent(request.Dimensions * sizeof(float)) : [];
        try
        {
            using var writer = new Utf8JsonWriter(pipe, JsonOutput.WriterOptions);
            WriteStart(writer);
            int count = fault == InjectedFault.MissingIndex ? request.Inputs.Count - 1 : request.Inputs.Count;
            for (int i = 0; i < count; i++)
            {
                WriteItem(writer, request, i, vector, bytes);
                if ((i + 1) % InputsPerFlush == 0)
                {
                    writer.Flush();
                    await pipe.FlushAsync(context.RequestAborted);
                }
            }

            if (fault == InjectedFault.DuplicateIndex)
            {
                WriteItem(writer, request, 0, vector, bytes);
            }

            WriteEnd(writer, request);
            writer.Flush();
            await pipe.FlushAsync(context.RequestAborted);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(vector);
            if (bytes.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
    }

    /// <summary>Writes the whole answer at once (also the body of a batch output line).</summary>
    public static void WriteAll(Utf8JsonWriter writer, EmbeddingsRequest request)
    {
        float[] vector = new float[request.Dimensions];
        byte[] bytes = request.Base64 ? new byte[request.Dimensions * sizeof(float)] : [];
        WriteStart(writer);
        for (int i = 0; i < request.Inputs.Count; i++)
        {
            WriteItem(writer, request, i, vector, bytes);
        }

        WriteEnd(writer, request);
    }

    private static void WriteStart(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
    }

    private static void WriteItem(Utf8JsonWriter writer, EmbeddingsRequest request, int index, float[] vectorBuffer, byte[] bytesBuffer)
    {
        Span<float> vector = vectorBuffer.AsSpan(0, request.Dimensions);
        DeterministicEmbeddings.Fill(request.Inputs[index], vector);
        writer.WriteStartObject();
        writer.WriteString("object", "embedding");
        writer.WriteNumber("index", index);
        if (request.Base64)
        {
            Span<byte> bytes = bytesBuffer.AsSpan(0, vector.Length * sizeof(float));
            DeterministicEmbeddings.WriteLittleEndian(vector, bytes);
            writer.WriteBase64String("embedding", bytes);
        }
        else
        {
            writer.WriteStartArray("embedding");
            foreach (float value in vector)
            {
                writer.WriteNumberValue(value);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteEnd(Utf8JsonWriter writer, EmbeddingsRequest request)
    {
        long tokens = 0L;
        foreach (string input in request.Inputs)
        {
            tokens += DeterministicAnswers.EstimateTokens(input);
        }

        writer.WriteEndArray();
        writer.WriteString("model", request.Model);
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", tokens);
        writer.WriteNumber("total_tokens", tokens);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
