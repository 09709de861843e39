using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Deferred;
using TypedBatch.Emulator;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.IntegrationTests.Deferred;

/// <summary>
/// The production Batch API client (<see cref="IRemoteBatchApi"/> of a provider built by the runtime: its handler chain,
/// Refit and the JSON context) over real HTTP against the emulator's Files and Batch APIs. The emulator's batches move
/// on a fake clock that only the test advances, so no outcome depends on this machine's speed.
/// </summary>
public sealed class RemoteBatchApiOverHttpTests
{
    private const string Model = "gpt-4o-mini";
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Upload_create_poll_stream_the_output_larger_than_MaxResponseBytes_and_delete()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 10);
        using ServiceProvider services = Services(emulator, o => o.MaxResponseBytes = 1024);
        IRemoteBatchApi api = BatchesOf(services);
        byte[] input = Encoding.UTF8.GetBytes(ChatLines(api.ChatEndpoint, 25));

        RemoteFile file = await api.UploadAsync(new MemoryStream(input), "run-1.jsonl", CancellationToken.None);
        RemoteBatch batch = await api.CreateBatchAsync(file.Id, api.ChatEndpoint, new Dictionary<string, string> { ["run"] = "run-1" }, CancellationToken.None);
        batch.Status.Should().Be("validating");
        batch = await PollToEndAsync(api, time, batch.Id);

        file.Bytes.Should().Be(input.Length);
        batch.Status.Should().Be("completed");
        batch.Should().BeEquivalentTo(new { Total = 25, Completed = 25, Failed = 0, ErrorFileId = (string?)null });
        List<string> lines;
        await using (Stream content = await api.OpenContentAsync(batch.OutputFileId!, CancellationToken.None))
        {
            lines = await ReadLinesAsync(content);
        }

        lines.Sum(l => Encoding.UTF8.GetByteCount(l) + 1).Should().BeGreaterThan(1024, "the output file is larger than MaxResponseBytes, which would refuse it buffered");
        lines.Select(l => (string)JsonNode.Parse(l)!["custom_id"]!).Should().BeEquivalentTo(Enumerable.Range(0, 25).Select(i => $"req-{i}"));
        JsonNode first = JsonNode.Parse(lines[0])!;
        ((int)first["response"]!["status_code"]!).Should().Be(200);

        await api.DeleteFileAsync(file.Id, CancellationToken.None);
        await api.DeleteFileAsync(batch.OutputFileId!, CancellationToken.None);
        await api.DeleteFileAsync(batch.OutputFileId!, CancellationToken.None); // gone already: not an error
        ProviderException gone = (await api.Invoking(a => a.OpenContentAsync(batch.OutputFileId!, CancellationToken.None)).Should().ThrowAsync<ProviderException>()).Which;
        gone.StatusCode.Should().Be(404);
        gone.ProviderMessage.Should().Contain(batch.OutputFileId!);
        emulator.GetStats().FilesUploaded.Should().Be(1);
    }

    [Fact]
    public async Task Cancel_answers_cancelling_and_the_batch_ends_cancelled_with_the_lines_already_answered()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 10);
        using ServiceProvider services = Services(emulator);
        IRemoteBatchApi api = BatchesOf(services);
        RemoteFile file = await api.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(ChatLines(api.ChatEndpoint, 30))), "in.jsonl", CancellationToken.None);
        RemoteBatch batch = await api.CreateBatchAsync(file.Id, api.ChatEndpoint, new Dictionary<string, string>(), CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(2)); // validated, then 10 lines answered
        RemoteBatch cancelling = await api.CancelBatchAsync(batch.Id, CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        RemoteBatch cancelled = await api.GetBatchAsync(batch.Id, CancellationToken.None);

        cancelling.Status.Should().Be("cancelling");
        cancelling.IsTerminal.Should().BeFalse();
        cancelled.Status.Should().Be("cancelled");
        cancelled.IsTerminal.Should().BeTrue();
        cancelled.Completed.Should().Be(10);
        await using Stream content = await api.OpenContentAsync(cancelled.OutputFileId!, CancellationToken.None);
        (await ReadLinesAsync(content)).Should().HaveCount(10);
    }

    [Fact]
    public async Task An_invalid_file_fails_the_batch_with_its_errors_and_their_lines()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using ServiceProvider services = Services(emulator);
        IRemoteBatchApi api = BatchesOf(services);
        string jsonl = "{not json\n" + Line("a", api.ChatEndpoint, 0) + Line("a", api.ChatEndpoint, 1);
        RemoteFile file = await api.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), "bad.jsonl", CancellationToken.None);
        RemoteBatch batch = await api.CreateBatchAsync(file.Id, api.ChatEndpoint, new Dictionary<string, string>(), CancellationToken.None);

        batch = await PollToEndAsync(api, time, batch.Id);

        batch.Status.Should().Be("failed");
        batch.OutputFileId.Should().BeNull();
        batch.Errors.Select(e => (e.Code, e.Line)).Should().Equal(("invalid_json_line", 1), ("duplicate_custom_id", 3));
        batch.Errors.Should().OnlyContain(e => e.Message.Length > 0);
    }

    [Fact]
    public async Task A_server_without_the_Files_API_is_one_clear_error_naming_the_endpoint()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        var baseUrl = new Uri(emulator.RootUrl, "no-batches/v1");
        using ServiceProvider services = Services(emulator, o => o.BaseUrl = baseUrl);
        IRemoteBatchApi api = BatchesOf(services);

        ProviderException error = (await api.Invoking(a => a.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(ChatLines(a.ChatEndpoint, 1))), "in.jsonl", CancellationToken.None))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.StatusCode.Should().Be(404);
        error.Message.Should().Contain($"POST {baseUrl.AbsoluteUri}/files").And.Contain("Deferred mode needs an OpenAI-compatible Files and Batches API");
        emulator.GetStats().FilesUploaded.Should().Be(0);
    }

    [Fact]
    public async Task A_wrong_key_fails_every_call_and_no_exception_holds_the_key()
    {
        const string wrongKey = "sk-wrong-key-for-batches-0123456789";
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using ServiceProvider services = Services(emulator, o => o.ApiKey = wrongKey);
        IRemoteBatchApi api = BatchesOf(services);
        Func<Task>[] calls =
        [
            () => api.UploadAsync(new MemoryStream([1]), "in.jsonl", CancellationToken.None),
            () => api.CreateBatchAsync("file-1", api.ChatEndpoint, new Dictionary<string, string>(), CancellationToken.None),
            () => api.GetBatchAsync("batch_1", CancellationToken.None),
            () => api.CancelBatchAsync("batch_1", CancellationToken.None),
            () => api.OpenContentAsync("file-1", CancellationToken.None),
            () => api.DeleteFileAsync("file-1", CancellationToken.None),
        ];

        foreach (Func<Task> call in calls)
        {
            ProviderException error = (await call.Should().ThrowAsync<ProviderException>()).Which;
            error.StatusCode.Should().Be(401);
            error.ErrorCode.Should().Be("invalid_api_key");
            error.RequestId.Should().NotBeNullOrEmpty("the emulator sends an x-request-id with every answer");
            error.ToString().Should().NotContain(wrongKey[..8]).And.NotContain(wrongKey[^8..]).And.NotContain("Authorization");
        }
    }

    [Fact]
    public async Task Azure_v1_runs_a_batch_under_openai_v1_with_openais_endpoints()
    {
        const string token = "entra-token-for-the-emulator";
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.ApiKey = token;
            o.CaptureRequests = true;
        });
        using ServiceProvider services = Services(emulator, o =>
        {
            o.Provider = ProviderKind.AzureOpenAI;
            o.BaseUrl = emulator.RootUrl;
            o.ApiKey = null;
            o.AzureUseV1Api = true;
            o.AzureTokenProvider = _ => ValueTask.FromResult(token);
        });
        IRemoteBatchApi api = BatchesOf(services);

        RemoteFile file = await api.UploadAsync(new MemoryStream(Encoding.UTF8.GetBytes(ChatLines(api.ChatEndpoint, 3))), "in.jsonl", CancellationToken.None);
        RemoteBatch batch = await api.CreateBatchAsync(file.Id, api.ChatEndpoint, new Dictionary<string, string>(), CancellationToken.None);
        batch = await PollToEndAsync(api, time, batch.Id);
        await using (Stream content = await api.OpenContentAsync(batch.OutputFileId!, CancellationToken.None))
        {
            (await ReadLinesAsync(content)).Should().HaveCount(3);
        }

        batch.Status.Should().Be("completed");
        emulator.CapturedRequests.Should().OnlyContain(r => r.PathAndQuery.StartsWith("/openai/v1/", StringComparison.Ordinal));
    }

    private static Task<EmulatorServer> StartAsync(FakeTimeProvider time, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { TimeProvider = time, BatchStep = TimeSpan.FromSeconds(1), ApiKey = "sk-emulator-batch-key-0123456789" };
        configure?.Invoke(options);
        return EmulatorServer.StartAsync(options);
    }

    /// <summary>A client of the emulator on the system clock: only the emulator's batches run on the fake one.</summary>
    private static ServiceProvider Services(EmulatorServer emulator, Action<TypedBatchOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.OpenAICompatible;
            o.BaseUrl = emulator.BaseUrl;
            o.ApiKey = emulator.Options.ApiKey;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            configure?.Invoke(o);
        });
        return services.BuildServiceProvider();
    }

    private static IRemoteBatchApi BatchesOf(ServiceProvider services)
        => ((OpenAICompatibleProvider)services.GetRequiredService<ProviderRuntime>().Provider).Batches!;

    // Reads the batch and advances the emulator's clock one step at a time until the batch reaches a final status.
    private static async Task<RemoteBatch> PollToEndAsync(IRemoteBatchApi api, FakeTimeProvider time, string batchId)
    {
        for (int step = 0; step < 100; step++)
        {
            RemoteBatch batch = await api.GetBatchAsync(batchId, CancellationToken.None);
            if (batch.IsTerminal)
            {
                return batch;
            }

            time.Advance(TimeSpan.FromSeconds(1));
        }

        throw new InvalidOperationException($"Batch {batchId} did not finish within 100 steps.");
    }

    private static async Task<List<string>> ReadLinesAsync(Stream content)
    {
        using var reader = new StreamReader(content);
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    private static string Line(string customId, string url, int i) => new JsonObject
    {
        ["custom_id"] = customId,
        ["method"] = "POST",
        ["url"] = url,
        ["body"] = new JsonObject
        {
            ["model"] = Model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"item {i}" }),
        },
    }.ToJsonString() + "\n";

    private static string ChatLines(string url, int count) => string.Concat(Enumerable.Range(0, count).Select(i => Line($"req-{i}", url, i)));
}
