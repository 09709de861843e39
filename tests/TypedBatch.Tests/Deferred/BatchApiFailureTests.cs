using System.Net;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Deferred;

namespace TypedBatch.Tests.Deferred;

/// <summary>How the Batch API client fails: one clear error per cause, the provider's words, no secret, retries where they help.</summary>
public sealed class BatchApiFailureTests
{
    private const string Batch = """{"id":"batch_1","object":"batch","status":"in_progress","request_counts":{"total":3,"completed":1,"failed":0}}""";

    [Theory]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.MethodNotAllowed)]
    public async Task Uploading_to_a_server_without_the_Files_API_is_one_error_naming_the_endpoint(HttpStatusCode status)
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Json(status, """{"error":{"message":"Invalid URL (POST /v1/files)","type":"invalid_request_error"}}"""),
            o => o.BaseUrl = new Uri("http://localhost:11434/v1"));

        ProviderException error = (await harness.Api.Invoking(a => a.UploadAsync(new MemoryStream([1]), "in.jsonl", CancellationToken.None))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.StatusCode.Should().Be((int)status);
        error.Kind.Should().Be(BatchErrorKind.Http);
        error.Message.Should().Contain("POST http://localhost:11434/v1/files").And.Contain("Deferred mode needs an OpenAI-compatible Files and Batches API");
        harness.Requests.Should().ContainSingle("a missing endpoint is not retried");
    }

    [Fact]
    public async Task Deleting_a_file_that_is_already_gone_is_not_an_error()
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Json(HttpStatusCode.NotFound, """{"error":{"message":"No such File object: file-1","type":"invalid_request_error","param":"id"}}"""));

        await harness.Api.Invoking(a => a.DeleteFileAsync("file-1", CancellationToken.None)).Should().NotThrowAsync();

        harness.Requests.Should().ContainSingle().Which.Uri.Should().Be(new Uri("https://api.openai.com/v1/files/file-1"));
    }

    [Fact]
    public async Task Other_failed_deletes_throw_with_the_providers_words()
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Json(HttpStatusCode.Forbidden, """{"error":{"message":"You may not delete this file.","type":"permission_error","code":"forbidden"}}"""));

        ProviderException error = (await harness.Api.Invoking(a => a.DeleteFileAsync("file-1", CancellationToken.None)).Should().ThrowAsync<ProviderException>()).Which;

        error.StatusCode.Should().Be(403);
        error.ProviderMessage.Should().Be("You may not delete this file.");
        error.ErrorType.Should().Be("permission_error");
        error.ErrorCode.Should().Be("forbidden");
    }

    [Fact]
    public async Task An_error_answer_is_masked_and_carries_the_request_id()
    {
        string echoed = $$$"""{"error":{"message":"Incorrect API key provided: {{{BatchApiHarness.ApiKey}}} (Authorization: Bearer {{{BatchApiHarness.ApiKey}}}), prefix {{{BatchApiHarness.ApiKey[..8]}}}","type":"invalid_request_error","code":"invalid_api_key","param":"{{{BatchApiHarness.ApiKey}}}"}}""";
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Json(HttpStatusCode.Unauthorized, echoed, ("x-request-id", "req_batch_7")));

        ProviderException error = (await harness.Api.Invoking(a => a.GetBatchAsync("batch_1", CancellationToken.None)).Should().ThrowAsync<ProviderException>()).Which;

        error.StatusCode.Should().Be(401);
        error.ErrorCode.Should().Be("invalid_api_key");
        error.RequestId.Should().Be("req_batch_7");
        foreach (string text in new[] { error.ToString(), error.ProviderMessage, error.Param ?? "" })
        {
            text.Should().NotContain(BatchApiHarness.ApiKey[..8]).And.NotContain(BatchApiHarness.ApiKey[^8..]);
        }

        error.Message.Should().Contain("Incorrect API key provided: ***");
    }

    [Fact]
    public async Task A_transport_failure_is_masked_and_holds_no_request()
    {
        using var harness = new BatchApiHarness(_ => throw new HttpRequestException($"Connection refused while sending Authorization: Bearer {BatchApiHarness.ApiKey}"), o => o.MaxRetries = 1);

        ProviderException error = (await harness.Api.Invoking(a => a.CancelBatchAsync("batch_1", CancellationToken.None)).Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.Transport);
        error.Message.Should().Contain("Connection refused").And.NotContain(BatchApiHarness.ApiKey[..8]);
        error.ProviderMessage.Should().NotContain(BatchApiHarness.ApiKey[..8]);
        error.InnerException.Should().BeOfType<HttpRequestException>("the transport's own exception, not Refit's, which holds the request and its headers");
        harness.Requests.Should().HaveCount(2, "a transport failure is retried by the pipeline");
    }

    [Fact]
    public async Task A_quota_429_fails_at_once_as_quota_exceeded()
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Json(HttpStatusCode.TooManyRequests, """{"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","code":"insufficient_quota"}}"""));

        ProviderException error = (await harness.Api.Invoking(a => a.CreateBatchAsync("file-1", "/v1/chat/completions", new Dictionary<string, string>(), CancellationToken.None))
            .Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.QuotaExceeded);
        harness.Requests.Should().ContainSingle();
    }

    [Fact]
    public async Task A_503_is_retried_by_the_pipeline()
    {
        int calls = 0;
        using var harness = new BatchApiHarness(_ => ++calls == 1 ? BatchApiHarness.Json(HttpStatusCode.ServiceUnavailable, """{"error":{"message":"busy"}}""") : BatchApiHarness.Ok(Batch));

        RemoteBatch batch = await harness.Api.GetBatchAsync("batch_1", CancellationToken.None);

        batch.Should().BeEquivalentTo(new RemoteBatch("batch_1", "in_progress") { Total = 3, Completed = 1 });
        harness.Requests.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_retried_upload_sends_the_whole_file_again_and_leaves_the_stream_open()
    {
        byte[] content = "{\"custom_id\":\"a\"}\n{\"custom_id\":\"b\"}\n"u8.ToArray();
        int calls = 0;
        using var harness = new BatchApiHarness(_ => ++calls == 1
            ? BatchApiHarness.Json(HttpStatusCode.InternalServerError, """{"error":{"message":"try again"}}""")
            : BatchApiHarness.Ok("""{"id":"file-9","object":"file","bytes":36,"purpose":"batch"}"""));
        using var stream = new MemoryStream(content);

        RemoteFile file = await harness.Api.UploadAsync(stream, "in.jsonl", CancellationToken.None);

        file.Should().Be(new RemoteFile("file-9", 36));
        harness.Requests.Should().HaveCount(2);
        foreach (ReceivedRequest attempt in harness.Requests)
        {
            (await attempt.PartsAsync())["file"].Body.Should().Equal(content);
        }

        stream.CanSeek.Should().BeTrue("the caller's stream is read, not disposed");
    }

    [Fact]
    public async Task An_upload_stream_that_cannot_seek_is_refused_before_sending()
    {
        using var harness = new BatchApiHarness(_ => throw new InvalidOperationException("nothing may be sent"));

        (await harness.Api.Invoking(a => a.UploadAsync(new NonSeekable(), "in.jsonl", CancellationToken.None)).Should().ThrowAsync<ArgumentException>())
            .Which.ParamName.Should().Be("jsonl");
        harness.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task A_failed_batch_gives_its_validation_errors_masked_with_their_lines()
    {
        string body = $$"""
            {"id":"batch_2","object":"batch","status":"failed","errors":{"object":"list","data":[
              {"code":"invalid_json_line","message":"This line is not parseable as valid JSON.","param":null,"line":2},
              {"code":"duplicate_custom_id","message":"The custom_id for this request is a duplicate of another request.","param":"custom_id","line":"5"},
              {"code":400,"message":"Bad key {{BatchApiHarness.ApiKey}} on this line","line":null}]},
             "request_counts":{"total":0,"completed":0,"failed":0},"output_file_id":null,"error_file_id":null}
            """;
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Ok(body));

        RemoteBatch batch = await harness.Api.GetBatchAsync("batch_2", CancellationToken.None);

        batch.Status.Should().Be("failed");
        batch.IsTerminal.Should().BeTrue();
        batch.Errors.Should().Equal(
            new RemoteBatchError("invalid_json_line", "This line is not parseable as valid JSON.", 2),
            new RemoteBatchError("duplicate_custom_id", "The custom_id for this request is a duplicate of another request.", 5),
            new RemoteBatchError("400", "Bad key *** on this line", null));
    }

    [Fact]
    public async Task A_batch_object_with_only_an_id_and_a_status_is_read()
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Ok("""{"id":"batch_3","status":"completed","output_file_id":"file-out","error_file_id":"","errors":null,"usage":{"weird":[1]}}"""));

        RemoteBatch batch = await harness.Api.GetBatchAsync("batch_3", CancellationToken.None);

        batch.Should().BeEquivalentTo(new RemoteBatch("batch_3", "completed") { OutputFileId = "file-out" });
    }

    [Theory]
    [InlineData("""{"status":"completed"}""")]
    [InlineData("""{"id":"batch_4"}""")]
    public async Task A_batch_object_without_an_id_or_status_is_an_unusable_answer(string body)
    {
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Ok(body));

        ProviderException error = (await harness.Api.Invoking(a => a.GetBatchAsync("batch_4", CancellationToken.None)).Should().ThrowAsync<ProviderException>()).Which;

        error.Kind.Should().Be(BatchErrorKind.InvalidOutput);
    }

    [Fact]
    public async Task Management_calls_are_not_held_by_the_chat_rate_limit_gates()
    {
        // One request a minute on a clock that never moves: a second gated request would wait forever.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var harness = new BatchApiHarness(_ => BatchApiHarness.Ok(Batch), o => o.RequestsPerMinute = 1, time);

        Task polls = Task.WhenAll(Enumerable.Range(0, 5).Select(_ => harness.Api.GetBatchAsync("batch_1", CancellationToken.None)));
        await polls.WaitAsync(TimeSpan.FromSeconds(30));

        harness.Requests.Should().HaveCount(5).And.OnlyContain(r => !r.HasCallContext);
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }
}
