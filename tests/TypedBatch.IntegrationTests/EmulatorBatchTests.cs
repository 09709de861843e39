using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>
/// The emulator's OpenAI Files and Batch APIs over real HTTP, on a fake clock: the batch lifecycle moves only when the
/// test advances the clock, so no outcome depends on how fast this machine is.
/// </summary>
public sealed class EmulatorBatchTests
{
    private const string Model = "gpt-4o-mini";
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_chat_batch_goes_validating_in_progress_finalizing_completed_and_answers_every_custom_id_once_in_shuffled_order()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 10);
        using HttpClient http = Http(emulator);

        JsonNode file = await UploadAsync(http, ChatLines(30));
        ((string)file["purpose"]!).Should().Be("batch");
        ((long)file["bytes"]!).Should().Be(Encoding.UTF8.GetByteCount(ChatLines(30)));
        ((long)file["expires_at"]!).Should().Be(Start.ToUnixTimeSeconds() + (30 * 24 * 3600));

        JsonNode batch = await CreateAsync(http, (string)file["id"]!, "/v1/chat/completions", new JsonObject { ["run"] = "one" });
        string id = (string)batch["id"]!;
        ((string)batch["status"]!).Should().Be("validating");
        ((string)batch["metadata"]!["run"]!).Should().Be("one");
        ((long)batch["created_at"]!).Should().Be(Start.ToUnixTimeSeconds());
        ((long)batch["expires_at"]!).Should().Be(Start.ToUnixTimeSeconds() + (24 * 3600));
        batch["request_counts"]!.ToJsonString().Should().Be("""{"total":0,"completed":0,"failed":0}""");

        (await GetAsync(http, id))["status"]!.GetValue<string>().Should().Be("validating", "no time has passed");
        time.Advance(TimeSpan.FromSeconds(1));
        batch = await GetAsync(http, id);
        ((string)batch["status"]!).Should().Be("in_progress");
        ((long)batch["in_progress_at"]!).Should().Be(Start.ToUnixTimeSeconds() + 1);
        batch["request_counts"]!.ToJsonString().Should().Be("""{"total":30,"completed":0,"failed":0}""");

        time.Advance(TimeSpan.FromSeconds(1));
        ((int)(await GetAsync(http, id))["request_counts"]!["completed"]!).Should().Be(10);
        time.Advance(TimeSpan.FromSeconds(2));
        batch = await GetAsync(http, id);
        ((string)batch["status"]!).Should().Be("finalizing");
        ((long)batch["finalizing_at"]!).Should().Be(Start.ToUnixTimeSeconds() + 4);
        batch["output_file_id"]!.Should().BeNull("the files are written when finalizing ends");

        time.Advance(TimeSpan.FromSeconds(1));
        batch = await GetAsync(http, id);
        ((string)batch["status"]!).Should().Be("completed");
        ((long)batch["completed_at"]!).Should().Be(Start.ToUnixTimeSeconds() + 5);
        batch["request_counts"]!.ToJsonString().Should().Be("""{"total":30,"completed":30,"failed":0}""");
        batch["error_file_id"].Should().BeNull();
        ((string)batch["model"]!).Should().Be(Model);
        ((long)batch["usage"]!["total_tokens"]!).Should().BePositive();

        List<JsonNode> lines = await ContentLinesAsync(http, (string)batch["output_file_id"]!);
        List<string> customIds = [.. lines.Select(l => (string)l["custom_id"]!)];
        customIds.Should().BeEquivalentTo(Enumerable.Range(0, 30).Select(i => $"req-{i}"), "every custom_id is answered exactly once");
        customIds.Should().NotContainInOrder(Enumerable.Range(0, 30).Select(i => $"req-{i}"), "the output order is shuffled");

        string liveBody;
        using (HttpResponseMessage live = await http.PostAsync("chat/completions", Json(ChatBody(0))))
        {
            live.StatusCode.Should().Be(HttpStatusCode.OK);
            liveBody = await live.Content.ReadAsStringAsync();
        }

        foreach (JsonNode line in lines)
        {
            string customId = (string)line["custom_id"]!;
            line["error"].Should().BeNull();
            ((string)line["id"]!).Should().StartWith("batch_req_");
            JsonNode response = line["response"]!;
            ((int)response["status_code"]!).Should().Be(200);
            ((string)response["request_id"]!).Should().NotBeNullOrEmpty();
            JsonNode body = response["body"]!;
            ((string)body["object"]!).Should().Be("chat.completion");
            ((string)body["choices"]![0]!["message"]!["content"]!).Should().Be($"Re: item {customId["req-".Length..]}");
            Names(body).Should().Equal(Names(JsonNode.Parse(liveBody)!), "a body is shaped like the live endpoint's answer");
        }

        EmulatorStats stats = emulator.GetStats();
        stats.FilesUploaded.Should().Be(1);
        stats.BatchesCreated.Should().Be(1);
        stats.BatchLinesProcessed.Should().Be(30);
        stats.BatchAnswersByFingerprint.Should().HaveCount(30).And.OnlyContain(p => p.Value == 1);
        stats.BatchAnswersByFingerprint.Should().ContainKey(FingerprintOf(7));

        JsonNode wire = JsonNode.Parse(await http.GetStringAsync(new Uri(emulator.RootUrl, "emulator/stats")))!;
        ((long)wire["filesUploaded"]!).Should().Be(1);
        ((long)wire["batchesCreated"]!).Should().Be(1);
        ((long)wire["batchLinesProcessed"]!).Should().Be(30);
        ((long)wire["batchAnswersByFingerprint"]![FingerprintOf(7)]!).Should().Be(1);
    }

    [Fact]
    public async Task Json_schema_lines_get_structured_answers_and_embeddings_lines_get_vectors()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);

        JsonObject structured = ChatBody(1);
        structured["response_format"] = JsonNode.Parse("""
            {"type":"json_schema","json_schema":{"name":"answer","strict":true,"schema":{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}}}
            """);
        JsonNode chat = await RunToEndAsync(http, time, Line("s-1", "/v1/chat/completions", structured), "/v1/chat/completions");
        ((string)chat["status"]!).Should().Be("completed");
        JsonNode answer = (await ContentLinesAsync(http, (string)chat["output_file_id"]!)).Single();
        string content = (string)answer["response"]!["body"]!["choices"]![0]!["message"]!["content"]!;
        JsonNode.Parse(content)!["n"]!.GetValueKind().Should().Be(JsonValueKind.Number);

        string embeddings = string.Concat(Enumerable.Range(0, 3).Select(i =>
            Line($"e-{i}", "/v1/embeddings", new JsonObject { ["model"] = "text-embedding-3-small", ["input"] = $"text {i}", ["dimensions"] = 8 })));
        JsonNode batch = await RunToEndAsync(http, time, embeddings, "/v1/embeddings");
        ((string)batch["status"]!).Should().Be("completed");
        List<JsonNode> lines = await ContentLinesAsync(http, (string)batch["output_file_id"]!);
        lines.Select(l => (string)l["custom_id"]!).Should().BeEquivalentTo(["e-0", "e-1", "e-2"]);
        foreach (JsonNode line in lines)
        {
            JsonNode body = line["response"]!["body"]!;
            ((string)body["object"]!).Should().Be("list");
            body["data"]![0]!["embedding"]!.AsArray().Should().HaveCount(8);
        }
    }

    public static TheoryData<string, string, int> InvalidFiles => new()
    {
        { Line("a", "/v1/chat/completions", ChatBody(0)) + Line("a", "/v1/chat/completions", ChatBody(1)), "duplicate_custom_id", 2 },
        { Line("a", "/v1/chat/completions", ChatBody(0)) + Line("b", "/v1/embeddings", ChatBody(1)), "url_mismatch", 2 },
        { Line("a", "/v1/chat/completions", ChatBody(0)) + Line("b", "/v1/chat/completions", new JsonObject { ["model"] = "gpt-4o", ["messages"] = new JsonArray() }), "model_mismatch", 2 },
        { "{not json\n" + Line("b", "/v1/chat/completions", ChatBody(1)), "invalid_json_line", 1 },
        { """{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{}}""" + "\n", "invalid_method", 1 },
        { """{"method":"POST","url":"/v1/chat/completions","body":{}}""" + "\n", "missing_required_parameter", 1 },
    };

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public async Task An_invalid_input_file_fails_the_batch_with_errors_naming_the_line(string jsonl, string code, int line)
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);

        JsonNode batch = await RunToEndAsync(http, time, jsonl, "/v1/chat/completions");

        ((string)batch["status"]!).Should().Be("failed");
        ((long)batch["failed_at"]!).Should().Be(Start.ToUnixTimeSeconds() + 1);
        ((string)batch["errors"]!["object"]!).Should().Be("list");
        JsonNode error = batch["errors"]!["data"]![0]!;
        ((string)error["code"]!).Should().Be(code);
        ((int)error["line"]!).Should().Be(line);
        ((string)error["message"]!).Should().NotBeNullOrEmpty();
        batch["output_file_id"].Should().BeNull();
        batch["request_counts"]!.ToJsonString().Should().Be("""{"total":0,"completed":0,"failed":0}""");
        emulator.GetStats().BatchLinesProcessed.Should().Be(0);
    }

    [Fact]
    public async Task Too_many_lines_or_too_large_a_file_fail_the_batch()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchMaxRequests = 3;
            o.BatchMaxFileBytes = 2000;
        });
        using HttpClient http = Http(emulator);

        JsonNode tooMany = await RunToEndAsync(http, time, ChatLines(4), "/v1/chat/completions");
        ((string)tooMany["status"]!).Should().Be("failed");
        ((string)tooMany["errors"]!["data"]![0]!["code"]!).Should().Be("too_many_tasks");

        ((string)(await RunToEndAsync(http, time, ChatLines(3), "/v1/chat/completions"))["status"]!).Should().Be("completed");

        using HttpResponseMessage tooLarge = await PostFileAsync(http, new string('x', 2001), "batch");
        tooLarge.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await tooLarge.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>().Should().Be("file_too_large");
    }

    [Fact]
    public async Task Cancel_goes_cancelling_then_cancelled_with_the_lines_already_answered()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 10);
        using HttpClient http = Http(emulator);
        JsonNode file = await UploadAsync(http, ChatLines(30));
        string id = (string)(await CreateAsync(http, (string)file["id"]!, "/v1/chat/completions"))["id"]!;

        time.Advance(TimeSpan.FromSeconds(2)); // validated, then 10 lines
        JsonNode cancelling = await CancelAsync(http, id, HttpStatusCode.OK);
        ((string)cancelling["status"]!).Should().Be("cancelling");
        ((long)cancelling["cancelling_at"]!).Should().Be(Start.ToUnixTimeSeconds() + 2);

        time.Advance(TimeSpan.FromSeconds(1));
        JsonNode cancelled = await GetAsync(http, id);
        ((string)cancelled["status"]!).Should().Be("cancelled");
        ((long)cancelled["cancelled_at"]!).Should().Be(Start.ToUnixTimeSeconds() + 3);
        cancelled["request_counts"]!.ToJsonString().Should().Be("""{"total":30,"completed":10,"failed":0}""");
        (await ContentLinesAsync(http, (string)cancelled["output_file_id"]!)).Should().HaveCount(10);
        emulator.GetStats().BatchLinesProcessed.Should().Be(10, "nothing runs after the cancel");

        JsonNode conflict = await CancelAsync(http, id, HttpStatusCode.Conflict);
        ((string)conflict["error"]!["message"]!).Should().Contain("cancelled");
    }

    [Fact]
    public async Task A_batch_cancelled_while_validating_ends_cancelled_with_no_files_and_nothing_run()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);
        JsonNode file = await UploadAsync(http, ChatLines(5));
        string id = (string)(await CreateAsync(http, (string)file["id"]!, "/v1/chat/completions"))["id"]!;

        ((string)(await CancelAsync(http, id, HttpStatusCode.OK))["status"]!).Should().Be("cancelling");
        ((string)(await CancelAsync(http, id, HttpStatusCode.OK))["status"]!).Should().Be("cancelling", "cancelling again is harmless");
        time.Advance(TimeSpan.FromSeconds(5));
        JsonNode batch = await GetAsync(http, id);

        ((string)batch["status"]!).Should().Be("cancelled");
        batch["in_progress_at"].Should().BeNull();
        batch["output_file_id"].Should().BeNull();
        batch["error_file_id"].Should().BeNull();
        emulator.GetStats().BatchLinesProcessed.Should().Be(0);
    }

    [Fact]
    public async Task An_upload_larger_than_kestrels_default_body_limit_streams_in_and_out_intact()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);
        byte[] content = new byte[32 * 1024 * 1024];
        new Random(5).NextBytes(content);

        string id;
        using (var form = new MultipartFormDataContent())
        {
            form.Add(new ByteArrayContent(content), "file", "big.bin");
            form.Add(new StringContent("user_data"), "purpose");
            using HttpResponseMessage response = await http.PostAsync("files", form);
            string text = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, text);
            JsonNode file = JsonNode.Parse(text)!;
            ((long)file["bytes"]!).Should().Be(content.Length);
            file["expires_at"].Should().BeNull("only batch files expire");
            id = (string)file["id"]!;
        }

        byte[] downloaded = await http.GetByteArrayAsync($"files/{id}/content");
        downloaded.AsSpan().SequenceEqual(content).Should().BeTrue();
    }

    [Fact]
    public async Task A_batch_drawn_to_expire_keeps_the_lines_it_finished_and_lists_the_rest_as_batch_expired()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchLinesPerStep = 5;
            o.BatchExpiryRate = 1;
        });
        using HttpClient http = Http(emulator);

        JsonNode batch = await RunToEndAsync(http, time, ChatLines(20), "/v1/chat/completions");

        ((string)batch["status"]!).Should().Be("expired");
        ((long)batch["expired_at"]!).Should().Be(Start.ToUnixTimeSeconds() + 3);
        batch["request_counts"]!.ToJsonString().Should().Be("""{"total":20,"completed":10,"failed":0}""");
        List<JsonNode> done = await ContentLinesAsync(http, (string)batch["output_file_id"]!);
        List<JsonNode> expired = await ContentLinesAsync(http, (string)batch["error_file_id"]!);
        done.Should().HaveCount(10);
        expired.Should().HaveCount(10);
        done.Concat(expired).Select(l => (string)l["custom_id"]!).Should().BeEquivalentTo(Enumerable.Range(0, 20).Select(i => $"req-{i}"));
        foreach (JsonNode line in expired)
        {
            line["response"].Should().BeNull();
            ((string)line["error"]!["code"]!).Should().Be("batch_expired");
            ((string)line["error"]!["message"]!).Should().NotBeNullOrEmpty();
        }
    }

    [Fact]
    public async Task A_batch_still_running_when_its_24h_window_ends_expires()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchStep = TimeSpan.FromHours(1);
            o.BatchLinesPerStep = 1;
        });
        using HttpClient http = Http(emulator);
        JsonNode file = await UploadAsync(http, ChatLines(40));
        string id = (string)(await CreateAsync(http, (string)file["id"]!, "/v1/chat/completions"))["id"]!;

        time.Advance(TimeSpan.FromHours(23));
        ((string)(await GetAsync(http, id))["status"]!).Should().Be("in_progress");
        time.Advance(TimeSpan.FromHours(1));
        JsonNode batch = await GetAsync(http, id);

        ((string)batch["status"]!).Should().Be("expired");
        ((long)batch["expired_at"]!).Should().Be((long)batch["expires_at"]!);
        int completed = (int)batch["request_counts"]!["completed"]!;
        completed.Should().Be(22, "lines ran from hour 2 to hour 23");
        (await ContentLinesAsync(http, (string)batch["error_file_id"]!)).Should().HaveCount(40 - completed);
    }

    [Fact]
    public async Task Failed_lines_go_to_the_error_file_and_a_resubmission_answers_them()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o =>
        {
            o.BatchLineFailureRate = 0.3;
            o.FaultSeed = 7;
        });
        using HttpClient http = Http(emulator);
        string jsonl = ChatLines(40)
            + Line("marked", "/v1/chat/completions", ChatBody(0, "once [[fail:500:1]]"))
            + Line("bad", "/v1/chat/completions", new JsonObject { ["model"] = Model });

        JsonNode batch = await RunToEndAsync(http, time, jsonl, "/v1/chat/completions");

        ((string)batch["status"]!).Should().Be("completed");
        int failed = (int)batch["request_counts"]!["failed"]!;
        int completed = (int)batch["request_counts"]!["completed"]!;
        (failed + completed).Should().Be(42);
        failed.Should().BeGreaterThan(2, "a 30 % rate over 40 lines fails some of them");
        List<JsonNode> errors = await ContentLinesAsync(http, (string)batch["error_file_id"]!);
        (await ContentLinesAsync(http, (string)batch["output_file_id"]!)).Should().HaveCount(completed);
        errors.Should().HaveCount(failed);
        foreach (JsonNode line in errors)
        {
            line["error"].Should().BeNull();
            int status = (int)line["response"]!["status_code"]!;
            string type = (string)line["response"]!["body"]!["error"]!["type"]!;
            (status, type).Should().Be((string)line["custom_id"]! == "bad" ? (400, "invalid_request_error") : (500, "server_error"));
        }

        errors.Select(l => (string)l["custom_id"]!).Should().Contain(["marked", "bad"]);

        // Resubmit the marked line alone, without the seeded rate: [[fail:500:1]] failed its first run only.
        string fingerprint = RequestFingerprint.Compute(Model, [("system", "You are terse."), ("user", "once [[fail:500:1]]")]);
        emulator.GetStats().BatchAnswersByFingerprint.Should().NotContainKey(fingerprint);
        emulator.Options.BatchLineFailureRate = 0;
        JsonNode again = await RunToEndAsync(http, time, Line("marked", "/v1/chat/completions", ChatBody(0, "once [[fail:500:1]]")), "/v1/chat/completions");
        again["request_counts"]!.ToJsonString().Should().Be("""{"total":1,"completed":1,"failed":0}""");
        emulator.GetStats().BatchAnswersByFingerprint[fingerprint].Should().Be(1);
    }

    [Fact]
    public async Task Batches_list_newest_first_with_after_and_limit()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);
        string fileId = (string)(await UploadAsync(http, ChatLines(1)))["id"]!;
        var ids = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            ids.Add((string)(await CreateAsync(http, fileId, "/v1/chat/completions"))["id"]!);
        }

        ids.Reverse();
        JsonNode first = JsonNode.Parse(await http.GetStringAsync("batches?limit=2"))!;
        ((string)first["object"]!).Should().Be("list");
        first["data"]!.AsArray().Select(b => (string)b!["id"]!).Should().Equal(ids[0], ids[1]);
        ((string)first["first_id"]!).Should().Be(ids[0]);
        ((string)first["last_id"]!).Should().Be(ids[1]);
        ((bool)first["has_more"]!).Should().BeTrue();

        JsonNode second = JsonNode.Parse(await http.GetStringAsync($"batches?limit=2&after={ids[1]}"))!;
        second["data"]!.AsArray().Select(b => (string)b!["id"]!).Should().Equal(ids[2], ids[3]);
        ((bool)second["has_more"]!).Should().BeTrue();

        JsonNode last = JsonNode.Parse(await http.GetStringAsync($"batches?limit=2&after={ids[3]}"))!;
        last["data"]!.AsArray().Select(b => (string)b!["id"]!).Should().Equal(ids[4]);
        ((bool)last["has_more"]!).Should().BeFalse();

        JsonNode all = JsonNode.Parse(await http.GetStringAsync("batches"))!;
        all["data"]!.AsArray().Should().HaveCount(5, "the default limit is 20");

        using HttpResponseMessage badLimit = await http.GetAsync("batches?limit=101");
        badLimit.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Files_list_newest_first_by_purpose_with_after_and_limit()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add((string)(await UploadAsync(http, ChatLines(1)))["id"]!);
        }

        using (HttpResponseMessage vision = await PostFileAsync(http, "png", "vision"))
        {
            vision.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        JsonNode page = JsonNode.Parse(await http.GetStringAsync("files?purpose=batch&limit=2"))!;
        ((string)page["object"]!).Should().Be("list");
        page["data"]!.AsArray().Select(f => (string)f!["id"]!).Should().Equal(ids[2], ids[1]);
        ((bool)page["has_more"]!).Should().BeTrue();
        JsonNode rest = JsonNode.Parse(await http.GetStringAsync($"files?purpose=batch&limit=2&after={(string)page["last_id"]!}"))!;
        rest["data"]!.AsArray().Select(f => (string)f!["id"]!).Should().Equal(ids[0]);
        ((bool)rest["has_more"]!).Should().BeFalse();
        JsonNode ascending = JsonNode.Parse(await http.GetStringAsync("files?order=asc"))!;
        ascending["data"]!.AsArray().Should().HaveCount(4);
        ((string)ascending["first_id"]!).Should().Be(ids[0]);
    }

    [Fact]
    public async Task Files_upload_get_download_and_delete_and_a_deleted_file_is_gone()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.FileStorageLimitBytes = 1024 * 1024);
        using HttpClient http = Http(emulator);
        string content = ChatLines(3);

        JsonNode file = await UploadAsync(http, content, "input.jsonl");
        string id = (string)file["id"]!;
        ((string)file["filename"]!).Should().Be("input.jsonl");
        ((string)(JsonNode.Parse(await http.GetStringAsync($"files/{id}"))!)["id"]!).Should().Be(id);
        (await http.GetStringAsync($"files/{id}/content")).Should().Be(content);

        using (HttpResponseMessage deleted = await http.DeleteAsync($"files/{id}"))
        {
            deleted.StatusCode.Should().Be(HttpStatusCode.OK);
            JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!.ToJsonString().Should().Be($$"""{"object":"file","deleted":true,"id":"{{id}}"}""");
        }

        foreach (string path in new[] { $"files/{id}", $"files/{id}/content" })
        {
            using HttpResponseMessage gone = await http.GetAsync(path);
            gone.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        using (HttpResponseMessage missing = await http.DeleteAsync($"files/{id}"))
        {
            missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        using (HttpResponseMessage tooBig = await PostFileAsync(http, new string('x', (1024 * 1024) + 1), "user_data"))
        {
            tooBig.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        }

        using (HttpResponseMessage badPurpose = await PostFileAsync(http, "x", "nonsense"))
        {
            badPurpose.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        }

        emulator.GetStats().FilesUploaded.Should().Be(1);
    }

    [Fact]
    public async Task The_recorded_exchanges_replay_against_the_emulator_with_the_same_shapes()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);
        JsonNode recording = Recording("BatchTests_CreateGetAndCancelBatchProtocol");
        JsonArray entries = recording["Entries"]!.AsArray();

        // The recorded upload: its file bytes are the part after the file's headers, base64 in the recording.
        string fileBytes = Encoding.UTF8.GetString(Convert.FromBase64String(
            entries[0]!["RequestBody"]!.AsArray().Select(p => (string)p!).First(p => p.StartsWith("b64:", StringComparison.Ordinal))["b64:".Length..]));
        JsonNode recordedFile = entries[0]!["ResponseBody"]!;
        JsonNode file = await UploadAsync(http, fileBytes, "test-batch-file");
        Names(file).Should().Equal(Names(recordedFile));
        ((long)file["bytes"]!).Should().Be((long)recordedFile["bytes"]!);

        JsonObject request = entries[1]!["RequestBody"]!.AsObject().DeepClone().AsObject();
        request["input_file_id"] = (string)file["id"]!;
        JsonNode created;
        using (HttpResponseMessage response = await http.PostAsync("batches", Json(request)))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            created = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }

        JsonNode recordedBatch = entries[1]!["ResponseBody"]!;
        Names(created).Should().Equal(Names(recordedBatch), "the batch object has the recorded fields in the recorded order");
        Names(created["usage"]!).Should().Equal(Names(recordedBatch["usage"]!));
        foreach (string field in new[] { "object", "endpoint", "model", "errors", "completion_window", "status", "output_file_id", "request_counts", "metadata" })
        {
            created[field]?.ToJsonString().Should().Be(recordedBatch[field]?.ToJsonString(), field);
        }

        JsonNode cancelled = await CancelAsync(http, (string)created["id"]!, HttpStatusCode.OK);
        JsonNode recordedCancel = entries[2]!["ResponseBody"]!;
        ((string)cancelled["status"]!).Should().Be((string)recordedCancel["status"]!);
        ((long)cancelled["cancelling_at"]!).Should().Be((long)cancelled["created_at"]!);

        JsonNode other = Recording("BatchTests_CanRehydrateBatchOperationFalse")["Entries"]![2]!["ResponseBody"]!;
        Names(await GetAsync(http, (string)created["id"]!)).Should().Equal(Names(other));

        JsonNode filesRecording = Recording("FilesTests_UploadFileUsingBinaryData");
        JsonNode deleted = JsonNode.Parse(await (await http.DeleteAsync($"files/{(string)file["id"]!}")).Content.ReadAsStringAsync())!;
        Names(deleted).Should().Equal(Names(filesRecording["Entries"]![1]!["ResponseBody"]!));

        // The recorded file runs to completion and answers request-1.
        JsonNode run = await RunToEndAsync(http, time, fileBytes, "/v1/chat/completions");
        ((string)run["status"]!).Should().Be("completed");
        ((string)(await ContentLinesAsync(http, (string)run["output_file_id"]!)).Single()["custom_id"]!).Should().Be("request-1");
    }

    [Fact]
    public async Task Create_rejects_unknown_files_wrong_purposes_endpoints_and_windows()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Http(emulator);
        string batchFile = (string)(await UploadAsync(http, ChatLines(1)))["id"]!;
        string visionFile;
        using (HttpResponseMessage vision = await PostFileAsync(http, "png", "vision"))
        {
            visionFile = (string)JsonNode.Parse(await vision.Content.ReadAsStringAsync())!["id"]!;
        }

        (await CreateStatusAsync(http, "file-missing", "/v1/chat/completions", "24h")).Should().Be(HttpStatusCode.NotFound);
        (await CreateStatusAsync(http, visionFile, "/v1/chat/completions", "24h")).Should().Be(HttpStatusCode.BadRequest);
        (await CreateStatusAsync(http, batchFile, "/v1/completions", "24h")).Should().Be(HttpStatusCode.BadRequest);
        (await CreateStatusAsync(http, batchFile, "/v1/chat/completions", "1h")).Should().Be(HttpStatusCode.BadRequest);
        (await CreateStatusAsync(http, batchFile, "/v1/chat/completions", "24h")).Should().Be(HttpStatusCode.OK);
        using HttpResponseMessage unknown = await http.GetAsync("batches/batch_missing");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        emulator.GetStats().BatchesCreated.Should().Be(1);
    }

    [Fact]
    public void The_command_line_sets_the_batch_options()
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse(
            ["--batch-step", "250ms", "--batch-lines-per-step", "7", "--batch-max-requests", "9", "--batch-max-file-mb", "3",
                "--batch-line-failure-rate", "0.25", "--batch-expiry-rate", "0.5"]);
        parsed.Errors.Should().BeEmpty();
        EmulatorOptions options = parsed.Options!;
        options.BatchStep.Should().Be(TimeSpan.FromMilliseconds(250));
        options.BatchLinesPerStep.Should().Be(7);
        options.BatchMaxRequests.Should().Be(9);
        options.BatchMaxFileBytes.Should().Be(3L * 1024 * 1024);
        options.BatchLineFailureRate.Should().Be(0.25);
        options.BatchExpiryRate.Should().Be(0.5);
        CommandLineOptions.Parse(["--batch-step", "2s"]).Options!.BatchStep.Should().Be(TimeSpan.FromSeconds(2));
        CommandLineOptions.Parse([]).Options!.BatchStep.Should().Be(TimeSpan.FromSeconds(1));
        CommandLineOptions.Parse(["--batch-step", "0"]).Errors.Should().ContainSingle().Which.Should().Contain("--batch-step");
        CommandLineOptions.Parse(["--batch-step", "soon"]).Errors.Should().ContainSingle().Which.Should().Contain("--batch-step");
        CommandLineOptions.Parse(["--batch-expiry-rate", "2"]).Errors.Should().ContainSingle().Which.Should().Contain("--batch-expiry-rate");
    }

    private static Task<EmulatorServer> StartAsync(FakeTimeProvider time, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { TimeProvider = time, BatchStep = TimeSpan.FromSeconds(1) };
        configure?.Invoke(options);
        return EmulatorServer.StartAsync(options);
    }

    private static HttpClient Http(EmulatorServer emulator) => new() { BaseAddress = emulator.BaseUrl };

    private static JsonObject ChatBody(int i, string? content = null) => new()
    {
        ["model"] = Model,
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "You are terse." },
            new JsonObject { ["role"] = "user", ["content"] = content ?? $"item {i}" }),
    };

    private static string FingerprintOf(int i) => RequestFingerprint.Compute(Model, [("system", "You are terse."), ("user", $"item {i}")]);

    private static string Line(string customId, string url, JsonObject body) =>
        new JsonObject { ["custom_id"] = customId, ["method"] = "POST", ["url"] = url, ["body"] = body }.ToJsonString() + "\n";

    private static string ChatLines(int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i => Line($"req-{i}", "/v1/chat/completions", ChatBody(i))));

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static List<string> Names(JsonNode node) => [.. node.AsObject().Select(p => p.Key)];

    private static async Task<HttpResponseMessage> PostFileAsync(HttpClient http, string content, string purpose, string fileName = "batch.jsonl")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(content));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        form.Add(new StringContent(purpose), "purpose");
        return await http.PostAsync("files", form);
    }

    private static async Task<JsonNode> UploadAsync(HttpClient http, string content, string fileName = "batch.jsonl")
    {
        using HttpResponseMessage response = await PostFileAsync(http, content, "batch", fileName);
        string text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<JsonNode> CreateAsync(HttpClient http, string fileId, string endpoint, JsonObject? metadata = null)
    {
        var body = new JsonObject { ["input_file_id"] = fileId, ["endpoint"] = endpoint, ["completion_window"] = "24h", ["metadata"] = metadata };
        using HttpResponseMessage response = await http.PostAsync("batches", Json(body));
        string text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<HttpStatusCode> CreateStatusAsync(HttpClient http, string fileId, string endpoint, string window)
    {
        var body = new JsonObject { ["input_file_id"] = fileId, ["endpoint"] = endpoint, ["completion_window"] = window };
        using HttpResponseMessage response = await http.PostAsync("batches", Json(body));
        return response.StatusCode;
    }

    private static async Task<JsonNode> GetAsync(HttpClient http, string id) => JsonNode.Parse(await http.GetStringAsync($"batches/{id}"))!;

    private static async Task<JsonNode> CancelAsync(HttpClient http, string id, HttpStatusCode expected)
    {
        using HttpResponseMessage response = await http.PostAsync($"batches/{id}/cancel", null);
        string text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(expected, text);
        return JsonNode.Parse(text)!;
    }

    // Uploads, creates and advances the fake clock one step at a time until the batch reaches a final status.
    private static async Task<JsonNode> RunToEndAsync(HttpClient http, FakeTimeProvider time, string jsonl, string endpoint)
    {
        JsonNode file = await UploadAsync(http, jsonl);
        string id = (string)(await CreateAsync(http, (string)file["id"]!, endpoint))["id"]!;
        for (int step = 0; step < 1000; step++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            JsonNode batch = await GetAsync(http, id);
            if ((string)batch["status"]! is "completed" or "failed" or "expired" or "cancelled")
            {
                return batch;
            }
        }

        throw new InvalidOperationException($"Batch {id} did not finish within 1000 steps.");
    }

    private static async Task<List<JsonNode>> ContentLinesAsync(HttpClient http, string fileId)
    {
        string content = await http.GetStringAsync($"files/{fileId}/content");
        content.Should().EndWith("\n");
        return [.. content.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)];
    }

    private static JsonNode Recording(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Recordings", name + ".json")))!;
}
