using System.Net.Http.Json;
using System.Text.Json;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.EmulatorClients;

namespace TypedBatch.IntegrationTests;

public sealed class EmbeddingsOverHttpTests
{
    [Fact]
    public async Task Inputs_are_packed_into_requests_of_at_most_2048_and_come_back_in_order()
    {
        const int Count = 5000;
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        string[] inputs = Enumerable.Range(0, Count).Select(i => $"chunk number {i}").ToArray();

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(inputs, maxWorkers: 4);

        result.Should().HaveCount(Count);
        result.AllSucceeded.Should().BeTrue();
        EmulatorStats stats = emulator.GetStats();
        stats.EmbeddingRequestsServed.Should().Be(3, "5,000 inputs fit in three requests of at most 2,048");
        stats.EmbeddingInputsServed.Should().Be(Count);

        // Each vector belongs to its own input: it equals the vector of that input embedded alone.
        foreach (int i in new[] { 0, 2047, 2048, 4999 })
        {
            EmbeddingVector alone = await client.CreateEmbeddingAsync(inputs[i]);
            result[i].Value!.Vector.ToArray().Should().Equal(alone.Vector.ToArray());
        }

        result.Usage.PromptTokens.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task The_token_budget_splits_requests_before_the_input_limit()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => o.EmbeddingTokensPerRequest = 1000);
        string[] inputs = Enumerable.Range(0, 10).Select(i => new string((char)('a' + i), 900)).ToArray(); // ~300 estimated tokens each

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(inputs);

        result.AllSucceeded.Should().BeTrue();
        emulator.GetStats().EmbeddingRequestsServed.Should().Be(4, "three inputs of ~300 tokens fit under a 1,000-token budget");
    }

    [Fact]
    public async Task Base64_vectors_decode_to_the_same_floats_the_server_sends_as_json_numbers()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);
        EmbeddingVector viaBase64 = await client.CreateEmbeddingAsync("The quick brown fox", dimensions: 64);

        using var http = new HttpClient();
        using HttpResponseMessage response = await http.PostAsJsonAsync(new Uri(emulator.BaseUrl, "embeddings"), new { model = "text-embedding-3-small", input = "The quick brown fox", dimensions = 64, encoding_format = "float" });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        float[] viaFloats = json.RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(e => e.GetSingle()).ToArray();

        viaBase64.Dimensions.Should().Be(64);
        viaBase64.Vector.ToArray().Should().Equal(viaFloats);
    }

    [Fact]
    public async Task A_failed_request_fails_every_input_it_carried_and_no_other()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator, o => { o.EmbeddingInputsPerRequest = 2; o.MaxRetries = 0; });

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(["a", "b", "c [[fail:503]]", "d", "e"]);

        result.Select(i => i.Succeeded).Should().Equal(true, true, false, false, true);
        result[3].Error!.StatusCode.Should().Be(503);
    }

    [Fact]
    public async Task An_empty_input_fails_its_own_item_and_is_never_sent()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        await using TypedBatchClient client = Create(emulator);

        BatchResult<EmbeddingVector> result = await client.CreateEmbeddingsBatchAsync(["fine", ""]);

        result[0].Succeeded.Should().BeTrue();
        result[1].Error!.Kind.Should().Be(BatchErrorKind.InvalidInput);
        emulator.GetStats().EmbeddingRequestsReceived.Should().Be(1, "one request carried the valid input");
        emulator.GetStats().EmbeddingInputsServed.Should().Be(1);
    }
}
