using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using TypedBatch.Emulator;
using static TypedBatch.IntegrationTests.Emulator.AnthropicWire;

namespace TypedBatch.IntegrationTests.Emulator;

/// <summary>
/// The emulator's Anthropic Message Batches API over real HTTP, on a fake clock: a batch moves only when the
/// test advances the clock, so no outcome depends on how fast this machine is.
/// </summary>
public sealed class AnthropicMessageBatchTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_batch_runs_on_the_batch_clock_to_ended_and_its_results_answer_every_custom_id_once_in_shuffled_order()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 5);
        using HttpClient http = Client(emulator);
        JsonObject create = Requests(12, i => i is 3 or 8 ? $"item {i} [[fail:500]]" : $"item {i}");

        (HttpResponseMessage created, JsonNode batch) = await PostAsync(http, "v1/messages/batches", create);

        created.StatusCode.Should().Be(HttpStatusCode.OK);
        string id = (string)batch["id"]!;
        id.Should().StartWith("msgbatch_");
        ((string)batch["type"]!).Should().Be("message_batch");
        ((string)batch["processing_status"]!).Should().Be("in_progress");
        batch["request_counts"]!.ToJsonString().Should().Be("""{"processing":12,"succeeded":0,"errored":0,"canceled":0,"expired":0}""");
        DateTimeOffset.Parse((string)batch["created_at"]!, CultureInfo.InvariantCulture).Should().Be(Start);
        DateTimeOffset.Parse((string)batch["expires_at"]!, CultureInfo.InvariantCulture).Should().Be(Start.AddHours(24));
        batch["ended_at"].Should().BeNull();
        batch["results_url"].Should().BeNull();
        batch["archived_at"].Should().BeNull();
        batch["cancel_initiated_at"].Should().BeNull();
        (await http.GetAsync($"v1/messages/batches/{id}/results")).StatusCode.Should().Be(HttpStatusCode.BadRequest, "no results before the end");

        time.Advance(TimeSpan.FromSeconds(1));
        batch = await GetAsync(http, id);
        ((int)batch["request_counts"]!["processing"]!).Should().Be(7);
        time.Advance(TimeSpan.FromSeconds(2));
        batch = await GetAsync(http, id);
        ((string)batch["processing_status"]!).Should().Be("ended");
        batch["request_counts"]!.ToJsonString().Should().Be("""{"processing":0,"succeeded":10,"errored":2,"canceled":0,"expired":0}""");
        DateTimeOffset.Parse((string)batch["ended_at"]!, CultureInfo.InvariantCulture).Should().Be(Start.AddSeconds(3));
        string resultsUrl = (string)batch["results_url"]!;
        resultsUrl.Should().Be(new Uri(emulator.RootUrl, $"v1/messages/batches/{id}/results").AbsoluteUri);

        List<JsonNode> lines = await ResultsAsync(http, resultsUrl);
        List<string> customIds = [.. lines.Select(l => (string)l["custom_id"]!)];
        customIds.Should().BeEquivalentTo(Enumerable.Range(0, 12).Select(i => $"req-{i}"), "every custom_id is answered exactly once");
        customIds.Should().NotEqual(Enumerable.Range(0, 12).Select(i => $"req-{i}"), "results come in an order other than the input's");
        foreach (JsonNode line in lines)
        {
            int i = int.Parse(((string)line["custom_id"]!)["req-".Length..], CultureInfo.InvariantCulture);
            JsonNode result = line["result"]!;
            if (i is 3 or 8)
            {
                ((string)result["type"]!).Should().Be("errored");
                ((string)result["error"]!["type"]!).Should().Be("error");
                ((string)result["error"]!["error"]!["type"]!).Should().Be("api_error");
            }
            else
            {
                ((string)result["type"]!).Should().Be("succeeded");
                JsonNode message = result["message"]!;
                ((string)message["type"]!).Should().Be("message");
                ((string)message["content"]![0]!["text"]!).Should().Be($"Re: item {i}");
                ((string)message["stop_reason"]!).Should().Be("end_turn");
            }
        }

        EmulatorStats stats = emulator.GetStats();
        stats.AnthropicBatchesCreated.Should().Be(1);
        stats.AnthropicBatchRequestsProcessed.Should().Be(12);
        stats.AnthropicMessagesReceived.Should().Be(0, "batch requests are not live requests");
    }

    [Fact]
    public async Task A_canceled_batch_ends_after_canceling_with_the_unprocessed_requests_canceled()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchLinesPerStep = 2);
        using HttpClient http = Client(emulator);
        string id = (string)(await PostAsync(http, "v1/messages/batches", Requests(6, i => $"item {i}"))).Body["id"]!;
        time.Advance(TimeSpan.FromSeconds(1));

        (HttpResponseMessage response, JsonNode canceling) = await PostAsync(http, $"v1/messages/batches/{id}/cancel", new JsonObject());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        ((string)canceling["processing_status"]!).Should().Be("canceling");
        DateTimeOffset.Parse((string)canceling["cancel_initiated_at"]!, CultureInfo.InvariantCulture).Should().Be(Start.AddSeconds(1));
        time.Advance(TimeSpan.FromSeconds(1));
        JsonNode ended = await GetAsync(http, id);
        ((string)ended["processing_status"]!).Should().Be("ended");
        ended["request_counts"]!.ToJsonString().Should().Be("""{"processing":0,"succeeded":2,"errored":0,"canceled":4,"expired":0}""");
        List<JsonNode> lines = await ResultsAsync(http, (string)ended["results_url"]!);
        lines.Count(l => (string)l["result"]!["type"]! == "canceled").Should().Be(4);
        lines.Where(l => (string)l["result"]!["type"]! == "canceled").Should().OnlyContain(l => ((JsonObject)l["result"]!).Count == 1);
        (await PostAsync(http, $"v1/messages/batches/{id}/cancel", new JsonObject())).Response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_batch_expires_half_done_when_drawn_by_the_expiry_rate_and_any_batch_at_expires_at()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time, o => o.BatchExpiryRate = 1);
        using HttpClient http = Client(emulator);
        string drawn = (string)(await PostAsync(http, "v1/messages/batches", Requests(10, i => $"item {i}"))).Body["id"]!;
        time.Advance(TimeSpan.FromSeconds(1));
        JsonNode batch = await GetAsync(http, drawn);
        batch["request_counts"]!.ToJsonString().Should().Be("""{"processing":0,"succeeded":5,"errored":0,"canceled":0,"expired":5}""");
        List<JsonNode> lines = await ResultsAsync(http, (string)batch["results_url"]!);
        lines.Count(l => (string)l["result"]!["type"]! == "expired").Should().Be(5);

        emulator.Options.BatchExpiryRate = 0;
        emulator.Options.BatchStep = TimeSpan.FromHours(1);
        emulator.Options.BatchLinesPerStep = 1;
        string slow = (string)(await PostAsync(http, "v1/messages/batches", Requests(30, i => $"slow {i}"))).Body["id"]!;
        time.Advance(TimeSpan.FromHours(25));
        batch = await GetAsync(http, slow);
        ((string)batch["processing_status"]!).Should().Be("ended");
        batch["request_counts"]!.ToJsonString().Should().Be("""{"processing":0,"succeeded":23,"errored":0,"canceled":0,"expired":7}""");
    }

    [Fact]
    public async Task Invalid_params_are_errored_results_not_a_failed_batch()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Client(emulator);
        JsonObject create = Requests(2, i => $"item {i}");
        create["requests"]![1]!["params"]!.AsObject().Remove("max_tokens");

        string id = (string)(await PostAsync(http, "v1/messages/batches", create)).Body["id"]!;
        time.Advance(TimeSpan.FromSeconds(1));
        JsonNode batch = await GetAsync(http, id);

        List<JsonNode> lines = await ResultsAsync(http, (string)batch["results_url"]!);
        JsonNode errored = lines.Single(l => (string)l["custom_id"]! == "req-1")["result"]!;
        ((string)errored["type"]!).Should().Be("errored");
        ((string)errored["error"]!["error"]!["type"]!).Should().Be("invalid_request_error");
        ((string)errored["error"]!["error"]!["message"]!).Should().Be("max_tokens: Field required");
    }

    [Theory]
    [InlineData("duplicate", "requests.1.custom_id: Duplicate custom_id")]
    [InlineData("pattern", "requests.0.custom_id: String should match pattern")]
    [InlineData("long", "requests.0.custom_id: String should match pattern")]
    [InlineData("empty", "requests: List should have at least 1 item")]
    [InlineData("too-many", "requests: List should have at most 3 items after validation, not 4")]
    [InlineData("no-params", "requests.0.params: Field required")]
    public async Task A_batch_that_breaks_the_rules_is_a_400_naming_the_field(string problem, string message)
    {
        await using EmulatorServer emulator = await StartAsync(new FakeTimeProvider(Start), o => o.AnthropicBatchMaxRequests = 3);
        using HttpClient http = Client(emulator);
        JsonObject body = Requests(problem == "too-many" ? 4 : 2, i => $"item {i}");
        JsonArray requests = body["requests"]!.AsArray();
        switch (problem)
        {
            case "duplicate":
                requests[1]!["custom_id"] = "req-0";
                break;
            case "pattern":
                requests[0]!["custom_id"] = "has space";
                break;
            case "long":
                requests[0]!["custom_id"] = new string('a', 65);
                break;
            case "empty":
                requests.Clear();
                break;
            case "no-params":
                requests[0]!.AsObject().Remove("params");
                break;
        }

        (HttpResponseMessage response, JsonNode error) = await PostAsync(http, "v1/messages/batches", body);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        ((string)error["error"]!["type"]!).Should().Be("invalid_request_error");
        ((string)error["error"]!["message"]!).Should().StartWith(message);
        emulator.GetStats().AnthropicBatchesCreated.Should().Be(0);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_request_too_large_and_an_unknown_batch_is_404_not_found_error()
    {
        await using EmulatorServer emulator = await StartAsync(new FakeTimeProvider(Start), o => o.AnthropicBatchMaxBytes = 1000);
        using HttpClient http = Client(emulator);

        (HttpResponseMessage tooLarge, JsonNode error) = await PostAsync(http, "v1/messages/batches", Requests(20, i => $"item {i}"));
        tooLarge.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        ((string)error["error"]!["type"]!).Should().Be("request_too_large");

        using HttpResponseMessage missing = await http.GetAsync("v1/messages/batches/msgbatch_nope");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
        ((string)JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["error"]!["type"]!).Should().Be("not_found_error");
    }

    [Fact]
    public async Task The_list_pages_newest_first_with_after_id_and_before_id_and_only_an_ended_batch_can_be_deleted()
    {
        var time = new FakeTimeProvider(Start);
        await using EmulatorServer emulator = await StartAsync(time);
        using HttpClient http = Client(emulator);
        var ids = new List<string>();
        for (int b = 0; b < 3; b++)
        {
            ids.Add((string)(await PostAsync(http, "v1/messages/batches", Requests(1, i => $"batch {b}"))).Body["id"]!);
        }

        JsonNode first = JsonNode.Parse(await http.GetStringAsync("v1/messages/batches?limit=2"))!;
        first["data"]!.AsArray().Select(d => (string)d!["id"]!).Should().Equal(ids[2], ids[1]);
        ((bool)first["has_more"]!).Should().BeTrue();
        ((string)first["first_id"]!).Should().Be(ids[2]);
        JsonNode next = JsonNode.Parse(await http.GetStringAsync($"v1/messages/batches?limit=2&after_id={first["last_id"]}"))!;
        next["data"]!.AsArray().Select(d => (string)d!["id"]!).Should().Equal(ids[0]);
        ((bool)next["has_more"]!).Should().BeFalse();
        JsonNode previous = JsonNode.Parse(await http.GetStringAsync($"v1/messages/batches?limit=1&before_id={ids[0]}"))!;
        previous["data"]!.AsArray().Select(d => (string)d!["id"]!).Should().Equal(ids[1]);
        (await http.GetAsync("v1/messages/batches?limit=0")).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        (await http.DeleteAsync($"v1/messages/batches/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.BadRequest, "it is still processing");
        time.Advance(TimeSpan.FromSeconds(1));
        using HttpResponseMessage deleted = await http.DeleteAsync($"v1/messages/batches/{ids[0]}");
        deleted.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode.Parse(await deleted.Content.ReadAsStringAsync())!.ToJsonString().Should().Be($$"""{"id":"{{ids[0]}}","type":"message_batch_deleted"}""");
        (await http.GetAsync($"v1/messages/batches/{ids[0]}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    private static Task<EmulatorServer> StartAsync(FakeTimeProvider time, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { TimeProvider = time, BatchStep = TimeSpan.FromSeconds(1) };
        configure?.Invoke(options);
        return EmulatorServer.StartAsync(options);
    }

    private static JsonObject Requests(int count, Func<int, string> user)
    {
        var requests = new JsonArray();
        for (int i = 0; i < count; i++)
        {
            requests.Add(new JsonObject { ["custom_id"] = $"req-{i}", ["params"] = Body(user(i), maxTokens: 64) });
        }

        return new JsonObject { ["requests"] = requests };
    }

    private static async Task<JsonNode> GetAsync(HttpClient http, string id) =>
        JsonNode.Parse(await http.GetStringAsync($"v1/messages/batches/{id}"))!;

    private static async Task<List<JsonNode>> ResultsAsync(HttpClient http, string resultsUrl)
    {
        string text = await http.GetStringAsync(resultsUrl);
        text.Should().EndWith("\n");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(static l => JsonNode.Parse(l)!)];
    }
}
