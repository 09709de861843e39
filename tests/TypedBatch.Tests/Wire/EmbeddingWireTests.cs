using System.Text.Json;
using System.Text.Json.Nodes;

namespace TypedBatch.Tests.Wire;

/// <summary>Embeddings recorded from api.openai.com (base64 encoded), read through the real client stack.</summary>
public sealed class EmbeddingWireTests
{
    private const string Single = "EmbeddingsTests_GenerateSingleEmbedding";
    private const string Multiple = "EmbeddingsTests_GenerateMultipleEmbeddingsUsingStrings";

    private static readonly EmbeddingRequest SingleRequest = new(["Hello, world!"], "text-embedding-3-small");
    private static readonly EmbeddingRequest MultipleRequest = new(["Hello, world!", "This is a test.", "Goodbye!"], "text-embedding-3-small", Dimensions: 456);

    public static TheoryData<string> Recordings => new() { Single, Multiple };

    [Fact]
    public async Task Single_embedding_is_decoded_from_base64()
    {
        var recorded = RecordedExchange.Load(Single);
        using var wire = new WireHarness(recorded);

        EmbeddingResponse response = await wire.Provider.EmbedAsync(SingleRequest);

        EmbeddingVector embedding = response.Embeddings.Should().ContainSingle().Subject;
        embedding.Dimensions.Should().Be(1536);
        embedding.Model.Should().Be("text-embedding-3-small");
        float[] expected = DecodeIndependently(RecordedVectors(recorded)[0]);
        expected[..4].Should().Equal(-0.019143931567668915f, -0.025292053818702698f, -0.0017211713129654527f, 0.01883450709283352f);
        embedding.Vector.ToArray().Should().Equal(expected);
    }

    [Fact]
    public async Task Multiple_embeddings_are_decoded_in_input_order()
    {
        var recorded = RecordedExchange.Load(Multiple);
        using var wire = new WireHarness(recorded);

        EmbeddingResponse response = await wire.Provider.EmbedAsync(MultipleRequest);

        response.Embeddings.Should().HaveCount(3);
        IReadOnlyList<string> recordedVectors = RecordedVectors(recorded);
        for (int i = 0; i < 3; i++)
        {
            response.Embeddings[i].Dimensions.Should().Be(456);
            response.Embeddings[i].Vector.ToArray().Should().Equal(DecodeIndependently(recordedVectors[i]), "embedding {0} is for input {0}", i);
        }

        response.Embeddings[0].Vector.Span[0].Should().Be(-0.029734965413808823f);
        response.Embeddings[1].Vector.Span[0].Should().Be(0.017120949923992157f);
        response.Embeddings[2].Vector.Span[0].Should().Be(0.042720966041088104f);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public async Task Decoded_embeddings_are_unit_length_as_openai_normalises_them(string recording)
    {
        using var wire = new WireHarness(RecordedExchange.Load(recording));

        EmbeddingResponse response = await wire.Provider.EmbedAsync(recording == Single ? SingleRequest : MultipleRequest);

        response.Embeddings.Should().AllSatisfy(e => Norm(e.Vector.Span).Should().BeApproximately(1.0, 1e-4));
    }

    [Theory]
    [InlineData(Single, 4)]
    [InlineData(Multiple, 12)]
    public async Task Embedding_usage_counts_the_prompt_tokens(string recording, long promptTokens)
    {
        using var wire = new WireHarness(RecordedExchange.Load(recording));

        EmbeddingResponse response = await wire.Provider.EmbedAsync(recording == Single ? SingleRequest : MultipleRequest);

        response.Usage.Should().Be(new TokenUsage(promptTokens, 0, promptTokens));
        response.Attempts.Should().Be(1);
    }

    [Fact]
    public async Task Request_asks_for_base64_with_the_requested_dimensions()
    {
        var recorded = RecordedExchange.Load(Multiple);
        using var wire = new WireHarness(recorded);

        await wire.Provider.EmbedAsync(MultipleRequest);

        CapturedRequest sent = wire.Server.LastRequest;
        sent.Method.Should().Be(HttpMethod.Post);
        sent.RequestUri!.ToString().Should().Be(recorded.RequestUri).And.Be("https://api.openai.com/v1/embeddings");
        JsonElement body = sent.Json();
        body.GetProperty("encoding_format").GetString().Should().Be("base64");
        body.GetProperty("dimensions").GetInt32().Should().Be(456);
        body.GetProperty("model").GetString().Should().Be("text-embedding-3-small");
        body.GetProperty("input").EnumerateArray().Select(i => i.GetString()).Should().Equal("Hello, world!", "This is a test.", "Goodbye!");
        JsonElement.DeepEquals(body, recorded.RequestBody!.Value).Should().BeTrue("the official SDK sent {0}", RecordedExchange.Compact(recorded.RequestBody.Value));
    }

    [Fact]
    public async Task Request_without_dimensions_leaves_them_to_the_model()
    {
        using var wire = new WireHarness(RecordedExchange.Load(Single));

        await wire.Provider.EmbedAsync(SingleRequest);

        JsonElement body = wire.Server.LastRequest.Json();
        body.GetProperty("encoding_format").GetString().Should().Be("base64");
        body.TryGetProperty("dimensions", out _).Should().BeFalse();
    }

    [Fact]
    public async Task Float_array_embeddings_decode_to_exactly_the_base64_values()
    {
        var recorded = RecordedExchange.Load(Multiple);
        IReadOnlyList<string> base64 = RecordedVectors(recorded);
        JsonNode body = JsonNode.Parse(recorded.ResponseBodyText)!;
        JsonArray data = body["data"]!.AsArray();
        for (int i = 0; i < data.Count; i++)
        {
            data[i]!["embedding"] = new JsonArray(DecodeIndependently(base64[i]).Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
        }

        string floatBody = body.ToJsonString();
        floatBody.Should().NotContain(base64[0][..16], "the served body holds numbers, not base64");
        using var wire = new WireHarness(recorded with { ResponseBodyText = floatBody });

        EmbeddingResponse response = await wire.Provider.EmbedAsync(MultipleRequest);

        response.Embeddings.Should().HaveCount(3);
        for (int i = 0; i < 3; i++)
        {
            response.Embeddings[i].Vector.ToArray().Should().Equal(DecodeIndependently(base64[i]), "embedding {0} must not lose precision as decimal text", i);
        }
    }

    private static IReadOnlyList<string> RecordedVectors(RecordedExchange recorded)
        => recorded.ResponseBody!.Value.GetProperty("data").EnumerateArray()
            .Select(d => d.GetProperty("embedding").GetString()!)
            .ToList();

    // Little-endian float32, decoded without the library's converter.
    private static float[] DecodeIndependently(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        float[] values = new float[bytes.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BitConverter.ToSingle(bytes, i * sizeof(float));
        }

        return values;
    }

    private static double Norm(ReadOnlySpan<float> vector)
    {
        double sum = 0;
        foreach (float f in vector)
        {
            sum += (double)f * f;
        }

        return Math.Sqrt(sum);
    }
}
