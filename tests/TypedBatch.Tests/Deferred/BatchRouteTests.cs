using System.Net;
using System.Text.Json.Nodes;
using TypedBatch.Deferred;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Tests.Deferred;

/// <summary>Where each provider's Batch API calls go, with which credentials, and which endpoints its lines name.</summary>
public sealed class BatchRouteTests
{
    private const string Resource = "https://res.openai.azure.com";

    [Fact]
    public async Task Azure_classic_routes_are_under_openai_with_the_api_version_and_the_api_key()
    {
        using var harness = new BatchApiHarness(Answer, o =>
        {
            o.Provider = ProviderKind.AzureOpenAI;
            o.BaseUrl = new Uri(Resource + "/");
            o.AzureApiVersion = "2024-10-21";
        });

        await RunEveryCallAsync(harness.Api);

        harness.Requests.Select(r => $"{r.Method} {r.Uri}").Should().Equal(
            $"POST {Resource}/openai/files?api-version=2024-10-21",
            $"POST {Resource}/openai/batches?api-version=2024-10-21",
            $"GET {Resource}/openai/batches/batch_1?api-version=2024-10-21",
            $"POST {Resource}/openai/batches/batch_1/cancel?api-version=2024-10-21",
            $"GET {Resource}/openai/files/file_1/content?api-version=2024-10-21",
            $"DELETE {Resource}/openai/files/file_1?api-version=2024-10-21");
        harness.Requests.Should().OnlyContain(r => r.Header("api-key") == BatchApiHarness.ApiKey && r.Header("Authorization") == null);
        harness.Api.ChatEndpoint.Should().Be("/chat/completions");
        harness.Api.EmbeddingsEndpoint.Should().Be("/embeddings");
        JsonNode.Parse(harness.Requests[1].BodyText)!["endpoint"]!.GetValue<string>().Should().Be("/chat/completions");
    }

    [Fact]
    public async Task Azure_v1_routes_are_under_openai_v1_without_an_api_version()
    {
        using var harness = new BatchApiHarness(Answer, o =>
        {
            o.Provider = ProviderKind.AzureOpenAI;
            o.BaseUrl = new Uri(Resource);
            o.AzureUseV1Api = true;
        });

        await RunEveryCallAsync(harness.Api);

        harness.Requests.Select(r => $"{r.Method} {r.Uri}").Should().Equal(
            $"POST {Resource}/openai/v1/files",
            $"POST {Resource}/openai/v1/batches",
            $"GET {Resource}/openai/v1/batches/batch_1",
            $"POST {Resource}/openai/v1/batches/batch_1/cancel",
            $"GET {Resource}/openai/v1/files/file_1/content",
            $"DELETE {Resource}/openai/v1/files/file_1");
        harness.Api.ChatEndpoint.Should().Be("/v1/chat/completions");
        harness.Api.EmbeddingsEndpoint.Should().Be("/v1/embeddings");
    }

    [Fact]
    public async Task A_compatible_server_gets_the_routes_under_its_base_url_with_the_base_urls_query()
    {
        using var harness = new BatchApiHarness(Answer, o =>
        {
            o.Provider = ProviderKind.OpenAICompatible;
            o.BaseUrl = new Uri("http://localhost:8000/proxy/v1?route=eu");
        });

        await RunEveryCallAsync(harness.Api);

        harness.Requests.Select(r => $"{r.Method} {r.Uri}").Should().Equal(
            "POST http://localhost:8000/proxy/v1/files?route=eu",
            "POST http://localhost:8000/proxy/v1/batches?route=eu",
            "GET http://localhost:8000/proxy/v1/batches/batch_1?route=eu",
            "POST http://localhost:8000/proxy/v1/batches/batch_1/cancel?route=eu",
            "GET http://localhost:8000/proxy/v1/files/file_1/content?route=eu",
            "DELETE http://localhost:8000/proxy/v1/files/file_1?route=eu");
        harness.Requests.Should().OnlyContain(r => r.Header("Authorization") == "Bearer " + BatchApiHarness.ApiKey);
        harness.Api.ChatEndpoint.Should().Be("/v1/chat/completions");
    }

    [Fact]
    public async Task An_id_from_the_server_stays_one_path_segment()
    {
        using var harness = new BatchApiHarness(Answer);

        await harness.Api.GetBatchAsync("../files/x?y=1", CancellationToken.None);

        harness.Requests.Single().Uri.AbsolutePath.Should().Be("/v1/batches/..%2Ffiles%2Fx%3Fy%3D1");
    }

    [Fact]
    public void Copilot_has_no_Batch_API_and_each_provider_of_a_chain_has_its_own()
    {
        using var harness = new BatchApiHarness(Answer, o =>
        {
            o.Provider = ProviderKind.GitHubCopilot;
            o.ApiKey = null;
            o.GitHubToken = "gho_batch_test_token_0123456789";
            o.Fallbacks.Add(new ProviderOptions { Provider = ProviderKind.OpenAI, ApiKey = "sk-fallback-key-0123456789" });
        });

        IReadOnlyList<IChatProvider> chain = ((FallbackChatProvider)harness.Runtime.Provider).Providers;

        ((OpenAICompatibleProvider)chain[0]).Batches.Should().BeNull();
        ((OpenAICompatibleProvider)chain[1]).Batches.Should().NotBeNull().And.BeOfType<OpenAIBatchApi>()
            .Which.ProviderName.Should().Be(chain[1].Name);
    }

    private static async Task RunEveryCallAsync(IRemoteBatchApi api)
    {
        RemoteFile file = await api.UploadAsync(new MemoryStream("{}\n"u8.ToArray()), "in.jsonl", CancellationToken.None);
        RemoteBatch batch = await api.CreateBatchAsync(file.Id, api.ChatEndpoint, new Dictionary<string, string> { ["run"] = "1" }, CancellationToken.None);
        await api.GetBatchAsync(batch.Id, CancellationToken.None);
        await api.CancelBatchAsync(batch.Id, CancellationToken.None);
        await (await api.OpenContentAsync(file.Id, CancellationToken.None)).DisposeAsync();
        await api.DeleteFileAsync(file.Id, CancellationToken.None);
    }

    private static HttpResponseMessage Answer(ReceivedRequest request)
    {
        string path = request.Uri.AbsolutePath;
        return path.EndsWith("/content", StringComparison.Ordinal) ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent("{}\n"u8.ToArray()) }
            : path.Contains("/files", StringComparison.Ordinal) ? BatchApiHarness.Ok("""{"id":"file_1","object":"file","bytes":3}""")
            : BatchApiHarness.Ok("""{"id":"batch_1","object":"batch","status":"validating"}""");
    }
}
