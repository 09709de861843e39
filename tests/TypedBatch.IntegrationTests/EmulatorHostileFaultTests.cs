using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>The emulator's command line, and the hostile-server faults that let a client's hardening be tested offline, over real loopback HTTP.</summary>
public sealed class EmulatorHostileFaultTests
{
    [Fact]
    public void Command_line_maps_every_flag_onto_the_options()
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse(
        [
            "--port", "8080", "--latency-ms", "50", "--jitter-ms", "7", "--seed", "3", "--fail-every", "10", "--fail-status", "503",
            "--api-key", "sk-test", "--github-token", "gh", "--copilot-token-lifetime-s", "90", "--embedding-dimensions", "64",
            "--rpm", "3000", "--tpm=150000", "--fault-seed", "9", "--error500-rate", "0.1", "--error503-rate", "0.2",
            "--reset-rate", "0.05", "--stall-rate", "0.05", "--stall-ms", "1500", "--malformed-rate", "0.1",
        ]);

        parsed.Errors.Should().BeEmpty();
        EmulatorOptions options = parsed.Options!;
        options.Port.Should().Be(8080);
        options.Latency.Should().Be(TimeSpan.FromMilliseconds(50));
        options.LatencyJitter.Should().Be(TimeSpan.FromMilliseconds(7));
        options.Seed.Should().Be(3);
        options.FailEveryNth.Should().Be(10);
        options.FailStatus.Should().Be(503);
        options.ApiKey.Should().Be("sk-test");
        options.GitHubToken.Should().Be("gh");
        options.CopilotTokenLifetime.Should().Be(TimeSpan.FromSeconds(90));
        options.EmbeddingDimensions.Should().Be(64);
        options.RequestsPerMinute.Should().Be(3000);
        options.TokensPerMinute.Should().Be(150_000, "the --name=value form works too");
        options.FaultSeed.Should().Be(9);
        options.Error500Rate.Should().Be(0.1);
        options.Error503Rate.Should().Be(0.2);
        options.ResetRate.Should().Be(0.05);
        options.StallRate.Should().Be(0.05);
        options.StallDuration.Should().Be(TimeSpan.FromMilliseconds(1500));
        options.MalformedRate.Should().Be(0.1);
    }

    [Fact]
    public void Command_line_maps_the_hostile_server_flags()
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse(["--hang-rate", "0.25", "--secondary-port", "0"]);

        parsed.Errors.Should().BeEmpty();
        parsed.Options!.HangRate.Should().Be(0.25);
        parsed.Options.SecondaryPort.Should().Be(0, "0 asks for a free port; without the flag there is no secondary origin");
        CommandLineOptions.Parse([]).Options!.SecondaryPort.Should().BeNull();
        CommandLineOptions.Parse(["--secondary-port", "-3"]).Errors.Should().ContainSingle().Which.Should().Contain("'--secondary-port'");
        CommandLineOptions.Parse(["--hang-rate", "0.6", "--stall-rate", "0.6"]).Errors.Should().ContainSingle().Which.Should().Contain("--hang-rate");
    }

    [Fact]
    public void Command_line_without_flags_gives_the_defaults()
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse([]);

        parsed.Errors.Should().BeEmpty();
        parsed.Options.Should().BeEquivalentTo(new EmulatorOptions(), o => o.Excluding(x => x.TimeProvider));
        parsed.Options!.RequestsPerMinute.Should().Be(0, "--rpm 0 (the default) means unlimited, as before");
    }

    [Theory]
    [InlineData("--latency-ms", "abc")]
    [InlineData("--rpm", "-1")]
    [InlineData("--port", "70000")]
    [InlineData("--fail-status", "200")]
    [InlineData("--stall-rate", "lots")]
    [InlineData("--malformed-rate", "1.5")]
    [InlineData("--embedding-dimensions", "0")]
    public void Command_line_rejects_a_bad_value_naming_the_flag(string flag, string value)
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse([flag, value]);

        parsed.Options.Should().BeNull();
        parsed.Errors.Should().ContainSingle().Which.Should().Contain($"'{flag}'");
    }

    [Fact]
    public void Command_line_rejects_rates_adding_up_to_more_than_one_and_unknown_flags()
    {
        CommandLineOptions.Parse(["--error500-rate", "0.7", "--reset-rate", "0.5"]).Errors.Should().ContainSingle()
            .Which.Should().Contain("--error500-rate").And.Contain("--reset-rate").And.Contain("at most 1");
        CommandLineOptions.Parse(["--latency", "5"]).Errors.Should().Contain(e => e.Contains("--latency", StringComparison.Ordinal));
        CommandLineOptions.Parse(["--rpm"]).Errors.Should().Contain(e => e.Contains("--rpm", StringComparison.Ordinal));
    }

    [Fact]
    public void Command_line_help_is_recognised()
    {
        CommandLineOptions.Parse(["--help"]).HelpRequested.Should().BeTrue();
        CommandLineOptions.Parse(["-h"]).HelpRequested.Should().BeTrue();
        CommandLineOptions.Parse(["--rpm", "5"]).HelpRequested.Should().BeFalse();
    }

    private const string Secret = "sk-emulator-secret-7f3a";

    // Generous: these bound how long a test may wait for something that should be immediate, never what it asserts.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Drip_error_announces_a_long_body_then_drips_it_and_stops_when_the_client_aborts()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage response = await SendChatAsync(http, "hello [[drip-error:500]]"))
        {
            response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            response.Content.Headers.ContentLength.Should().Be(100_000);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
            await using Stream body = await response.Content.ReadAsStreamAsync();
            using var firstByte = new CancellationTokenSource(Patience);
            byte[] buffer = new byte[100_000];
            (await body.ReadAsync(buffer, firstByte.Token)).Should().BeGreaterThan(0, "the first byte arrives");

            // At two bytes a second the body needs about 14 hours: it cannot be complete after one second.
            using var oneSecond = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            Func<Task> readToEnd = () => body.CopyToAsync(Stream.Null, oneSecond.Token);
            await readToEnd.Should().ThrowAsync<OperationCanceledException>();
        }

        await WaitUntilAsync(() => InFlight(emulator) == 0, "the server stops dripping once the client has gone");
        EmulatorStats stats = emulator.GetStats();
        stats.InjectedFaults.DripError.Should().Be(1);
        stats.ChatRequestsFailed.Should().Be(1);
        stats.Accepted.Should().Be(0);
    }

    [Theory]
    [InlineData("[[drip-ok]]", "text/plain")]
    [InlineData("[[drip-ok:none]]", null)]
    public async Task Drip_ok_answers_200_with_a_body_that_is_not_json_one_byte_at_a_time(string marker, string? mediaType)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using (HttpResponseMessage response = await SendChatAsync(http, "hello " + marker))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            response.Content.Headers.ContentLength.Should().Be(100_000);
            response.Content.Headers.ContentType?.MediaType.Should().Be(mediaType);
            await using Stream body = await response.Content.ReadAsStreamAsync();
            using var firstByte = new CancellationTokenSource(Patience);
            byte[] buffer = new byte[16];
            int read = await body.ReadAsync(buffer, firstByte.Token);
            read.Should().BeGreaterThan(0);
            buffer[0].Should().Be((byte)'d', "the body is plain text, not JSON");
        }

        await WaitUntilAsync(() => InFlight(emulator) == 0, "the server stops dripping once the client has gone");
        emulator.GetStats().InjectedFaults.DripOk.Should().Be(1);
    }

    [Fact]
    public async Task Echo_key_puts_the_bearer_token_in_every_error_field_and_the_request_id()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using HttpResponseMessage response = await SendChatAsync(http, "hi [[echo-key]]", request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.GetValues("x-request-id").Should().Equal(Secret);
        JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        error["code"]!.GetValue<string>().Should().Be(Secret);
        error["type"]!.GetValue<string>().Should().Be(Secret);
        error["param"]!.GetValue<string>().Should().Be(Secret);
        error["message"]!.GetValue<string>().Should().Contain(Secret);
        EmulatorStats stats = emulator.GetStats();
        stats.InjectedFaults.EchoKey.Should().Be(1);
        stats.ChatRequestsFailed.Should().Be(1);
    }

    [Fact]
    public async Task Echo_key_echoes_an_api_key_header_too()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using HttpResponseMessage response = await SendChatAsync(http, "hi [[echo-key]]", request => request.Headers.Add("api-key", Secret));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.GetValues("x-request-id").Should().Equal(Secret);
        (await response.Content.ReadAsStringAsync()).Should().Contain($"\"code\":\"{Secret}\"");
    }

    [Fact]
    public async Task Echo_key_html_answers_502_with_the_token_after_n_characters()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using HttpResponseMessage response = await SendChatAsync(
            http, "hi [[echo-key-html:5000]]", request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret));

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        string page = await response.Content.ReadAsStringAsync();
        page.IndexOf(Secret, StringComparison.Ordinal).Should().Be(5000);
        page.Length.Should().BeGreaterThan(5000 + Secret.Length + 1000, "the page goes on after the token");
        emulator.GetStats().InjectedFaults.EchoKey.Should().Be(1);
    }

    [Fact]
    public async Task Echo_key_on_the_copilot_route_echoes_the_copilot_session_token()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();
        using var exchange = new HttpRequestMessage(HttpMethod.Get, emulator.CopilotTokenUrl);
        exchange.Headers.Authorization = new AuthenticationHeaderValue("token", emulator.Options.GitHubToken);
        using HttpResponseMessage exchanged = await http.SendAsync(exchange);
        exchanged.StatusCode.Should().Be(HttpStatusCode.OK);
        string sessionToken = JsonNode.Parse(await exchanged.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();

        using var chat = new HttpRequestMessage(HttpMethod.Post, new Uri(emulator.RootUrl, "copilot/chat/completions")) { Content = ChatBody("hi [[echo-key]]") };
        chat.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sessionToken);
        chat.Headers.Add("Copilot-Integration-Id", "vscode-chat");
        using HttpResponseMessage response = await http.SendAsync(chat);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.GetValues("x-request-id").Should().Equal(sessionToken);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>().Should().Be(sessionToken);
    }

    [Fact]
    public async Task Redirect_points_to_the_same_path_on_the_secondary_origin_which_counts_credentials_it_receives()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { SecondaryPort = 0 });
        emulator.SecondaryBaseUrl.Should().NotBeNull();
        emulator.SecondaryBaseUrl!.Port.Should().NotBe(emulator.BaseUrl.Port, "another port is another origin");
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler);

        using var first = new HttpRequestMessage(HttpMethod.Post, new Uri(emulator.BaseUrl, "chat/completions?trace=1")) { Content = ChatBody("hi [[redirect:307]]") };
        first.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret);
        using HttpResponseMessage redirect = await http.SendAsync(first);

        redirect.StatusCode.Should().Be(HttpStatusCode.TemporaryRedirect);
        redirect.Headers.Location.Should().Be(new Uri(emulator.SecondaryBaseUrl, "chat/completions?trace=1"));
        emulator.GetStats().InjectedFaults.Redirect.Should().Be(1);

        // A careful client follows without the credential: the other origin answers and saw none.
        using (var follow = new HttpRequestMessage(HttpMethod.Post, redirect.Headers.Location) { Content = ChatBody("hi [[redirect:307]]") })
        using (HttpResponseMessage answer = await http.SendAsync(follow))
        {
            answer.StatusCode.Should().Be(HttpStatusCode.OK, "the redirect target serves the same routes and does not redirect again");
        }

        EmulatorStats afterCareful = emulator.GetStats();
        afterCareful.SecondaryOriginRequests.Should().Be(1);
        afterCareful.SecondaryOriginRequestsWithCredentials.Should().Be(0);

        // A careless client carries it along, and the secondary origin counts that.
        using (var leak = new HttpRequestMessage(HttpMethod.Post, redirect.Headers.Location) { Content = ChatBody("hi [[redirect:307]]") })
        {
            leak.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret);
            using HttpResponseMessage answer = await http.SendAsync(leak);
            answer.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        EmulatorStats afterLeak = emulator.GetStats();
        afterLeak.SecondaryOriginRequests.Should().Be(2);
        afterLeak.SecondaryOriginRequestsWithCredentials.Should().Be(1);
        using var statsHttp = new HttpClient();
        (await statsHttp.GetStringAsync(new Uri(emulator.RootUrl, "emulator/stats"))).Should().Contain("\"secondaryOriginRequestsWithCredentials\":1").And.NotContain(Secret);
    }

    [Fact]
    public async Task Redirect_without_a_secondary_origin_is_a_clear_400()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using HttpResponseMessage response = await SendChatAsync(http, "hi [[redirect:307]]");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("SecondaryPort");
    }

    [Theory]
    [InlineData("[[dup-index]]", new[] { 0, 1, 2, 0 })]
    [InlineData("[[missing-index]]", new[] { 0, 1 })]
    public async Task Embeddings_index_markers_duplicate_or_drop_an_entry(string marker, int[] indices)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);
        var body = new JsonObject { ["model"] = "text-embedding-3-small", ["input"] = new JsonArray("one " + marker, "two", "three") };

        using HttpResponseMessage response = await http.PostAsync("embeddings", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonArray data = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.AsArray();
        data.Select(static d => d!["index"]!.GetValue<int>()).Should().Equal(indices);
        InjectedFaultStats faults = emulator.GetStats().InjectedFaults;
        (faults.DuplicateIndex + faults.MissingIndex).Should().Be(1);
    }

    [Fact]
    public async Task Oversize_answers_a_valid_completion_of_about_the_asked_megabytes()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using HttpResponseMessage response = await SendChatAsync(http, "hi [[oversize:3]]");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        response.Content.Headers.ContentLength.Should().BeGreaterThan(3L * 1024 * 1024);
        JsonNode completion = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        completion["object"]!.GetValue<string>().Should().Be("chat.completion");
        completion["choices"]![0]!["message"]!["content"]!.GetValue<string>().Length.Should().Be(3 * 1024 * 1024);
        emulator.GetStats().InjectedFaults.Oversize.Should().Be(1);
    }

    [Fact]
    public async Task Hang_never_answers_until_the_client_gives_up()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);

        using var oneSecond = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        Func<Task> send = () => SendChatAsync(http, "hi [[hang]]", cancellationToken: oneSecond.Token);

        await send.Should().ThrowAsync<OperationCanceledException>();
        await WaitUntilAsync(() => InFlight(emulator) == 0, "the server lets go once the client has gone");
        EmulatorStats stats = emulator.GetStats();
        stats.InjectedFaults.Hang.Should().Be(1);
        stats.ChatRequestsServed.Should().Be(0);
    }

    [Fact]
    public async Task Hang_rate_is_seeded_like_the_other_rates_and_shutdown_ends_hung_requests()
    {
        EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { HangRate = 1 });
        using HttpClient http = Http(emulator);
        Task<HttpResponseMessage> hung = SendChatAsync(http, "plain question");
        await WaitUntilAsync(() => emulator.GetStats().InjectedFaults.Hang == 1, "the request arrives and hangs");
        hung.IsCompleted.Should().BeFalse();

        await emulator.DisposeAsync();

        Func<Task> outcome = () => hung;
        await outcome.Should().ThrowAsync<HttpRequestException>("stopping the server drops the hung connection");
    }

    [Fact]
    public async Task Reset_peak_concurrency_returns_the_peak_and_starts_a_new_mark_from_the_requests_in_flight()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using HttpClient http = Http(emulator);
        using var cancel = new CancellationTokenSource();
        Task[] hung = [.. Enumerable.Range(0, 3).Select(i => SendChatAsync(http, $"hang {i} [[hang]]", cancellationToken: cancel.Token))];
        await WaitUntilAsync(() => emulator.GetStats().InjectedFaults.Hang == 3, "three requests hang");

        emulator.ResetPeakConcurrency().Should().Be(3);
        emulator.GetStats().MaxConcurrentRequests.Should().Be(3, "the new mark starts from the three still in flight");

        await cancel.CancelAsync();
        await Task.WhenAll(hung.Select(static t => t.ContinueWith(static _ => { }, TaskScheduler.Default)));
        await WaitUntilAsync(() => InFlight(emulator) == 0, "the hung requests end");
        using (HttpResponseMessage one = await SendChatAsync(http, "one alone"))
        {
            one.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        emulator.GetStats().MaxConcurrentRequests.Should().Be(1, "the peak since the last mark, not since the start");
    }

    [Fact]
    public async Task Capture_keeps_method_path_headers_and_the_exact_body_with_credentials_masked()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true });
        using HttpClient http = Http(emulator);
        byte[] sent = Encoding.UTF8.GetBytes("{ \"model\":\"gpt-4o-mini\",\n  \"messages\":[{\"role\":\"user\",\"content\":\"caf\u00e9\"}] }");
        using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions?trace=on") { Content = new ByteArrayContent(sent) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret);
        request.Headers.Add("api-key", Secret);
        request.Headers.Add("x-client-tag", "wire-test");

        using (HttpResponseMessage response = await http.SendAsync(request))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using (HttpResponseMessage stats = await http.GetAsync(new Uri(emulator.RootUrl, "emulator/stats")))
        {
            stats.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        CapturedRequest captured = emulator.CapturedRequests.Should().ContainSingle("the emulator's own routes are not captured").Subject;
        captured.Method.Should().Be("POST");
        captured.PathAndQuery.Should().Be("/v1/chat/completions?trace=on");
        captured.Body.ToArray().Should().Equal(sent);
        captured.Headers["x-client-tag"].Should().Be("wire-test");
        captured.Headers["content-type"].Should().Be("application/json");
        captured.Headers["Authorization"].Should().Be(EmulatorOptions.CapturedCredentialMask);
        captured.Headers["api-key"].Should().Be(EmulatorOptions.CapturedCredentialMask);
        captured.SecondaryOrigin.Should().BeFalse();

        emulator.ClearCapturedRequests();
        emulator.CapturedRequests.Should().BeEmpty();
    }

    [Fact]
    public async Task Capture_keeps_credentials_only_when_a_test_opts_in_and_is_off_by_default()
    {
        await using EmulatorServer withCredentials = await EmulatorServer.StartAsync(new EmulatorOptions { CaptureRequests = true, CaptureCredentials = true });
        await using EmulatorServer off = await EmulatorServer.StartAsync();
        foreach (EmulatorServer emulator in new[] { withCredentials, off })
        {
            using HttpClient http = Http(emulator);
            using HttpResponseMessage response = await SendChatAsync(http, "hi", request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Secret));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        withCredentials.CapturedRequests.Should().ContainSingle().Which.Headers["Authorization"].Should().Be("Bearer " + Secret);
        off.CapturedRequests.Should().BeEmpty();
    }

    [Fact]
    public async Task Capture_keeps_the_last_ten_thousand_requests()
    {
        var capture = new RequestCapture();
        for (int i = 0; i < RequestCapture.Capacity + 5; i++)
        {
            var context = new DefaultHttpContext();
            context.Request.Method = "POST";
            context.Request.Path = "/v1/embeddings";
            context.Request.Body = new MemoryStream([(byte)'{', (byte)'}']);
            await capture.CaptureAsync(context, secondaryOrigin: false, keepCredentials: false);
        }

        IReadOnlyList<CapturedRequest> kept = capture.Snapshot();
        kept.Should().HaveCount(RequestCapture.Capacity);
        kept[0].Sequence.Should().Be(6, "the oldest five were dropped");
        kept[^1].Sequence.Should().Be(RequestCapture.Capacity + 5);
    }

    private static HttpClient Http(EmulatorServer emulator) => new() { BaseAddress = emulator.BaseUrl };

    private static StringContent ChatBody(string content)
    {
        var body = new JsonObject
        {
            ["model"] = "gpt-4o-mini",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        return new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
    }

    private static Task<HttpResponseMessage> SendChatAsync(
        HttpClient http, string content, Action<HttpRequestMessage>? configure = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = ChatBody(content) };
        configure?.Invoke(request);
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>The requests in flight now: a new peak mark starts from them, so the mark set by the first reset is the count.</summary>
    private static long InFlight(EmulatorServer emulator)
    {
        emulator.ResetPeakConcurrency();
        return emulator.ResetPeakConcurrency();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!condition())
        {
            patience.IsCancellationRequested.Should().BeFalse($"{what} within {Patience.TotalSeconds} s");
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
