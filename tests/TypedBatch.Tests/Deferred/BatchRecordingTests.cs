using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TypedBatch.Deferred;
using TypedBatch.Tests.Wire;

namespace TypedBatch.Tests.Deferred;

/// <summary>
/// The Batch API client against OpenAI's recorded Files and Batch exchanges (<c>Recordings/BatchTests_*.json</c>,
/// <c>FilesTests_*.json</c>, from the official .NET SDK's tests): it sends what the SDK sent and reads what OpenAI answered.
/// </summary>
public sealed class BatchRecordingTests
{
    private const string CreateGetAndCancel = "BatchTests_CreateGetAndCancelBatchProtocol";
    private const string Rehydrate = "BatchTests_CanRehydrateBatchOperationFalse";
    private const string UploadBinary = "FilesTests_UploadFileUsingBinaryData";

    [Fact]
    public async Task Upload_sends_purpose_batch_and_the_file_as_multipart_and_reads_the_recorded_file_object()
    {
        IReadOnlyList<RecordedExchange> recording = RecordedExchange.LoadAll(CreateGetAndCancel);
        using var harness = new BatchApiHarness(Serve(recording));
        byte[] content = RecordedUpload(recording[0]);

        RemoteFile file = await harness.Api.UploadAsync(new MemoryStream(content), "test-batch-file", CancellationToken.None);

        JsonElement recorded = recording[0].ResponseBody!.Value;
        file.Should().Be(new RemoteFile(recorded.GetProperty("id").GetString()!, recorded.GetProperty("bytes").GetInt64()));
        file.Bytes.Should().Be(233);

        ReceivedRequest sent = harness.Requests.Single();
        sent.Method.Should().Be(HttpMethod.Post);
        sent.Uri.Should().Be(new Uri(recording[0].RequestUri));
        sent.Header("Content-Type").Should().StartWith("multipart/form-data; boundary=");
        sent.Header("Authorization").Should().Be("Bearer " + BatchApiHarness.ApiKey);
        Dictionary<string, (string? FileName, string? ContentType, byte[] Body)> parts = await sent.PartsAsync();
        parts.Keys.Should().BeEquivalentTo("purpose", "file");
        Encoding.UTF8.GetString(parts["purpose"].Body).Should().Be("batch");
        parts["file"].FileName.Should().Be("test-batch-file");
        parts["file"].ContentType.Should().Be(OpenAIBatchApi.FileContentType);
        parts["file"].Body.Should().Equal(content, "the file goes as the bytes given, as the SDK sent them");
    }

    [Fact]
    public async Task Create_sends_the_recorded_body_and_create_and_cancel_read_the_recorded_batch_objects()
    {
        IReadOnlyList<RecordedExchange> recording = RecordedExchange.LoadAll(CreateGetAndCancel);
        using var harness = new BatchApiHarness(Serve(recording));
        JsonElement recordedRequest = recording[1].RequestBody!.Value;
        var metadata = recordedRequest.GetProperty("metadata").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);

        RemoteBatch created = await harness.Api.CreateBatchAsync(
            recordedRequest.GetProperty("input_file_id").GetString()!, harness.Api.ChatEndpoint, metadata, CancellationToken.None);
        RemoteBatch cancelling = await harness.Api.CancelBatchAsync(created.Id, CancellationToken.None);

        JsonNode.DeepEquals(JsonNode.Parse(harness.Requests[0].BodyText), JsonNode.Parse(recordedRequest.GetRawText()))
            .Should().BeTrue($"the body {harness.Requests[0].BodyText} should be the SDK's {recordedRequest.GetRawText()}");
        harness.Requests[0].Header("Content-Type").Should().StartWith("application/json");
        created.Should().BeEquivalentTo(new RemoteBatch("batch_690467101b488190972cdce590a00ae3", "validating"));
        created.IsTerminal.Should().BeFalse();

        harness.Requests[1].Method.Should().Be(HttpMethod.Post);
        harness.Requests[1].Uri.Should().Be(new Uri(recording[2].RequestUri));
        harness.Requests[1].Body.Should().BeEmpty();
        cancelling.Id.Should().Be(created.Id);
        cancelling.Status.Should().Be("cancelling");
        cancelling.OutputFileId.Should().BeNull();
        cancelling.Errors.Should().BeEmpty();
    }

    [Fact]
    public async Task Get_reads_the_recorded_batch()
    {
        IReadOnlyList<RecordedExchange> recording = RecordedExchange.LoadAll(Rehydrate);
        using var harness = new BatchApiHarness(Serve(recording));
        string id = recording[2].ResponseBody!.Value.GetProperty("id").GetString()!;

        RemoteBatch batch = await harness.Api.GetBatchAsync(id, CancellationToken.None);

        harness.Requests.Single().Method.Should().Be(HttpMethod.Get);
        harness.Requests.Single().Uri.Should().Be(new Uri(recording[2].RequestUri));
        batch.Should().BeEquivalentTo(new RemoteBatch(id, "validating") { Total = 0, Completed = 0, Failed = 0 });
    }

    [Fact]
    public async Task Delete_goes_to_the_recorded_route_and_the_recorded_upload_answer_gives_its_size()
    {
        IReadOnlyList<RecordedExchange> recording = RecordedExchange.LoadAll(UploadBinary);
        using var harness = new BatchApiHarness(Serve(recording));

        RemoteFile file = await harness.Api.UploadAsync(new MemoryStream([1, 2, 3]), "images_dog_and_cat.png", CancellationToken.None);
        await harness.Api.DeleteFileAsync(file.Id, CancellationToken.None);

        file.Should().Be(new RemoteFile("file-XF99R149oP81Kr64h41SYe", 3162696), "the size is the provider's count, not the bytes this test sent");
        harness.Requests[1].Method.Should().Be(HttpMethod.Delete);
        harness.Requests[1].Uri.Should().Be(new Uri(recording[1].RequestUri));
    }

    [Fact]
    public void The_chat_endpoint_is_the_one_in_the_recorded_batch_and_its_input_lines()
    {
        IReadOnlyList<RecordedExchange> recording = RecordedExchange.LoadAll(CreateGetAndCancel);
        using var harness = new BatchApiHarness(Serve(recording));
        JsonElement line = JsonDocument.Parse(RecordedUpload(recording[0])).RootElement;

        harness.Api.ChatEndpoint.Should().Be(recording[1].RequestBody!.Value.GetProperty("endpoint").GetString());
        harness.Api.ChatEndpoint.Should().Be(line.GetProperty("url").GetString());
        harness.Api.EmbeddingsEndpoint.Should().Be("/v1/embeddings");
    }

    [Fact]
    public async Task No_management_call_carries_a_call_context()
    {
        IReadOnlyList<RecordedExchange> recording = RecordedExchange.LoadAll(CreateGetAndCancel);
        using var harness = new BatchApiHarness(Serve(recording));

        RemoteFile file = await harness.Api.UploadAsync(new MemoryStream(RecordedUpload(recording[0])), "test-batch-file", CancellationToken.None);
        RemoteBatch batch = await harness.Api.CreateBatchAsync(file.Id, harness.Api.ChatEndpoint, new Dictionary<string, string>(), CancellationToken.None);
        await harness.Api.CancelBatchAsync(batch.Id, CancellationToken.None);

        harness.Requests.Should().HaveCount(3).And.OnlyContain(r => !r.HasCallContext, "the chat rate-limit gates charge only requests with a CallContext");
        JsonNode.Parse(harness.Requests[1].BodyText)!.AsObject().ContainsKey("metadata").Should().BeFalse("no metadata is sent as none");
    }

    /// <summary>The JSON Lines file the SDK uploaded: the base64 part of the recorded multipart body.</summary>
    private static byte[] RecordedUpload(RecordedExchange upload)
        => Convert.FromBase64String(upload.RequestBody!.Value.EnumerateArray().Select(part => part.GetString()!).Single(part => part.StartsWith("b64:", StringComparison.Ordinal))["b64:".Length..]);

    /// <summary>Answers each request with the first recorded exchange of its method and path not yet used.</summary>
    private static Func<ReceivedRequest, HttpResponseMessage> Serve(IReadOnlyList<RecordedExchange> recording)
    {
        var used = new HashSet<int>();
        return request =>
        {
            for (int i = 0; i < recording.Count; i++)
            {
                if (!used.Contains(i) && recording[i].RequestMethod == request.Method.Method && new Uri(recording[i].RequestUri).AbsolutePath == request.Uri.AbsolutePath)
                {
                    used.Add(i);
                    return RecordingHandler.CreateResponse(recording[i]);
                }
            }

            throw new InvalidOperationException($"No recorded exchange for {request.Method} {request.Uri}.");
        };
    }
}
