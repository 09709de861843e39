using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>Structured outputs of the emulator (response_format json_schema / json_object) and the bad-answer markers, over raw HTTP.</summary>
public sealed class EmulatorStructuredOutputTests
{
    private const string Refusal = "I'm very sorry, but I can't assist with that request.";

    // Nested objects, arrays with bounds, enums, const, nullable unions, anyOf, $defs/$ref with
    // recursion (a self-referencing definition and root recursion), formats, a pattern, numeric bounds.
    private const string RichSchema = """
        {
          "type": "object",
          "properties": {
            "title": { "type": "string", "description": "ignored" },
            "status": { "type": "string", "enum": ["draft", "published", "archived"] },
            "kind": { "const": "article" },
            "rating": { "type": "number", "minimum": 1, "maximum": 5 },
            "count": { "type": "integer", "minimum": 10, "exclusiveMaximum": 20 },
            "ratio": { "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1 },
            "published": { "type": "boolean" },
            "subtitle": { "type": ["string", "null"] },
            "created": { "type": "string", "format": "date-time" },
            "day": { "type": "string", "format": "date" },
            "at": { "type": "string", "format": "time" },
            "length": { "type": "string", "format": "duration" },
            "email": { "type": "string", "format": "email" },
            "host": { "type": "string", "format": "hostname" },
            "v4": { "type": "string", "format": "ipv4" },
            "v6": { "type": "string", "format": "ipv6" },
            "id": { "type": "string", "format": "uuid" },
            "code": { "type": "string", "pattern": "^[A-Z]{3}-\\d{4}$" },
            "tags": { "type": "array", "items": { "type": "string" }, "minItems": 2, "maxItems": 4 },
            "author": { "$ref": "#/$defs/Person" },
            "contact": { "anyOf": [{ "$ref": "#/$defs/Person" }, { "type": "null" }] },
            "comments": { "type": "array", "items": { "$ref": "#/$defs/Comment" } },
            "related": { "anyOf": [{ "$ref": "#" }, { "type": "null" }] },
            "nothing": { "type": "null" }
          },
          "required": ["title", "status", "kind", "rating", "count", "ratio", "published", "subtitle", "created", "day", "at",
                       "length", "email", "host", "v4", "v6", "id", "code", "tags", "author", "contact", "comments", "related", "nothing"],
          "additionalProperties": false,
          "$defs": {
            "Person": {
              "type": "object",
              "properties": {
                "name": { "type": "string" },
                "age": { "type": ["integer", "null"], "minimum": 0, "maximum": 120 },
                "role": { "type": ["string", "null"], "enum": ["admin", "editor", null] }
              },
              "required": ["name", "age", "role"],
              "additionalProperties": false
            },
            "Comment": {
              "type": "object",
              "properties": {
                "text": { "type": "string" },
                "replies": { "type": "array", "items": { "$ref": "#/$defs/Comment" } }
              },
              "required": ["text", "replies"],
              "additionalProperties": false
            }
          }
        }
        """;

    private const string PersonSchema = """
        {"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":120}},"required":["name","age"],"additionalProperties":false}
        """;

    [Fact]
    public async Task Answers_to_a_rich_strict_schema_validate_and_cover_both_sides_of_each_union()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();
        JsonNode schema = JsonNode.Parse(RichSchema)!;
        var answers = new List<JsonNode>();
        for (int i = 0; i < 40; i++)
        {
            string content = (await PostAsync(emulator, http, SchemaRequest(RichSchema, User($"article {i}")))).Content!;
            content.Should().NotContain("\n").And.NotContain(": ", "the content is compact JSON");
            JsonNode answer = JsonNode.Parse(content)!;
            SchemaValidator.Validate(schema, answer).Should().BeEmpty($"answer {i} must fit the schema: {content}");
            answers.Add(answer);
        }

        answers.Select(a => a["title"]!.GetValue<string>()).Distinct().Should().HaveCountGreaterThan(30, "different requests get different values");
        answers.Should().Contain(a => a["subtitle"] == null).And.Contain(a => a["subtitle"] != null);
        answers.Should().Contain(a => a["related"] == null).And.Contain(a => a["related"] != null, "root recursion is taken sometimes");
        answers.Should().Contain(a => a["contact"] == null).And.Contain(a => a["contact"] != null);
        answers.Should().Contain(a => a["comments"]!.AsArray().Any(c => c!["replies"]!.AsArray().Count > 0), "recursive definitions nest");
        answers[0]["title"]!.GetValue<string>().Should().MatchRegex("^title-[0-9a-f]{4}$");
        answers[0]["kind"]!.GetValue<string>().Should().Be("article");
    }

    [Fact]
    public async Task The_same_request_gets_the_same_answer_and_a_recursive_schema_terminates()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();
        const string Tree = """
            {"type":"object","properties":{"label":{"type":"string"},"children":{"type":"array","items":{"$ref":"#"},"maxItems":2}},
             "required":["label","children"],"additionalProperties":false}
            """;

        Answer first = await PostAsync(emulator, http, SchemaRequest(RichSchema, User("same question")));
        Answer second = await PostAsync(emulator, http, SchemaRequest(RichSchema, User("same question")));
        second.Content.Should().Be(first.Content);

        // A root recursion through an array: the depth guard ends it with empty arrays.
        Answer tree = await PostAsync(emulator, http, SchemaRequest(Tree, User("a tree")));
        SchemaValidator.Validate(JsonNode.Parse(Tree)!, JsonNode.Parse(tree.Content!)!).Should().BeEmpty();
    }

    [Fact]
    public async Task Invalid_json_marker_gives_text_that_is_not_json_for_structured_and_plain_requests()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        Answer structured = await PostAsync(emulator, http, SchemaRequest(PersonSchema, User("who? [[invalid-json]]")));
        Answer plain = await PostAsync(emulator, http, PlainRequest(User("who? [[invalid-json]]")));

        structured.FinishReason.Should().Be("stop");
        IsJson(structured.Content!).Should().BeFalse();
        structured.Content.Should().Be("I think the answer is 42. {\"broken\": ");
        plain.Content.Should().Be(structured.Content);
    }

    [Fact]
    public async Task Wrong_shape_marker_gives_json_that_does_not_fit_the_schema()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        Answer answer = await PostAsync(emulator, http, SchemaRequest(RichSchema, User("shape [[wrong-shape]]")));
        Answer person = await PostAsync(emulator, http, SchemaRequest(PersonSchema, User("person [[wrong-shape]]")));

        SchemaValidator.Validate(JsonNode.Parse(RichSchema)!, JsonNode.Parse(answer.Content!)!).Should().NotBeEmpty();
        JsonNode wrong = JsonNode.Parse(person.Content!)!;
        wrong["name"]!.GetValueKind().Should().Be(JsonValueKind.Number, "the first required property gets a value of the wrong type");
        SchemaValidator.Validate(JsonNode.Parse(PersonSchema)!, wrong).Should().NotBeEmpty();
    }

    [Fact]
    public async Task Fenced_marker_wraps_the_good_json_in_a_markdown_fence()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        Answer answer = await PostAsync(emulator, http, SchemaRequest(PersonSchema, User("fence [[fenced]]")));

        answer.Content.Should().StartWith("```json\n").And.EndWith("\n```");
        string inner = answer.Content!["```json\n".Length..^"\n```".Length];
        SchemaValidator.Validate(JsonNode.Parse(PersonSchema)!, JsonNode.Parse(inner)!).Should().BeEmpty();
    }

    [Fact]
    public async Task Truncated_marker_cuts_the_answer_in_half_with_finish_reason_length()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        Answer structured = await PostAsync(emulator, http, SchemaRequest(RichSchema, User("cut [[truncated]]")));
        Answer plain = await PostAsync(emulator, http, PlainRequest(User("cut this [[truncated]]")));

        structured.FinishReason.Should().Be("length");
        structured.Content.Should().StartWith("{");
        IsJson(structured.Content!).Should().BeFalse();
        plain.FinishReason.Should().Be("length");
        string full = "Re: cut this [[truncated]]";
        plain.Content.Should().Be(full[..(full.Length / 2)]);
    }

    [Fact]
    public async Task Refuse_marker_answers_with_a_refusal_and_null_content_like_the_real_service()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        foreach (JsonObject? body in new[] { SchemaRequest(PersonSchema, User("rob a bank [[refuse]]")), PlainRequest(User("rob a bank [[refuse]]")) })
        {
            JsonNode message = (await PostRawAsync(emulator, http, body))["choices"]![0]!;
            message["finish_reason"]!.GetValue<string>().Should().Be("stop");
            message["message"]!.AsObject().ContainsKey("content").Should().BeTrue();
            message["message"]!["content"].Should().BeNull();
            message["message"]!["refusal"]!.GetValue<string>().Should().Be(Refusal);
        }
    }

    [Fact]
    public async Task A_counted_marker_spoils_only_the_first_answers_of_a_conversation_even_when_the_re_ask_appends_messages()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();
        const string Question = "who is it? [[invalid-json:1]]";

        Answer first = await PostAsync(emulator, http, SchemaRequest(PersonSchema, User(Question)));
        Answer reAsk = await PostAsync(emulator, http, SchemaRequest(
            PersonSchema, User(Question), Message("assistant", first.Content!), User("That was not valid JSON. Answer with JSON only.")));

        IsJson(first.Content!).Should().BeFalse();
        SchemaValidator.Validate(JsonNode.Parse(PersonSchema)!, JsonNode.Parse(reAsk.Content!)!).Should().BeEmpty();

        // Without a count the marker stays in the conversation's first user message and keeps spoiling.
        const string Always = "who is it? [[wrong-shape]]";
        Answer bad = await PostAsync(emulator, http, SchemaRequest(PersonSchema, User(Always)));
        Answer stillBad = await PostAsync(emulator, http, SchemaRequest(
            PersonSchema, User(Always), Message("assistant", bad.Content!), User("That did not match the schema.")));
        SchemaValidator.Validate(JsonNode.Parse(PersonSchema)!, JsonNode.Parse(stillBad.Content!)!).Should().NotBeEmpty();

        // The identical request sent again counts against the same conversation, and a reset restarts it.
        Answer plainRetry = await PostAsync(emulator, http, PlainRequest(User("again [[refuse:1]]")));
        Answer plainRetry2 = await PostAsync(emulator, http, PlainRequest(User("again [[refuse:1]]")));
        emulator.ResetStats();
        Answer afterReset = await PostAsync(emulator, http, PlainRequest(User("again [[refuse:1]]")));
        plainRetry.Content.Should().BeNull();
        plainRetry2.Content.Should().Be("Re: again [[refuse:1]]");
        afterReset.Content.Should().BeNull();
    }

    [Fact]
    public async Task Json_object_uses_a_schema_from_the_system_message_or_answers_an_answer_object()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();
        JsonObject system = Message("system", "Reply with JSON only, no prose {like this}. The JSON must follow this schema:\n" + RichSchema + "\nThanks.");

        Answer withSchema = await PostAsync(emulator, http, JsonObjectRequest(system, User("an article")));
        Answer without = await PostAsync(emulator, http, JsonObjectRequest(Message("system", "Answer in JSON."), User("say \"hi\"")));

        SchemaValidator.Validate(JsonNode.Parse(RichSchema)!, JsonNode.Parse(withSchema.Content!)!).Should().BeEmpty();
        without.Content.Should().Be("""{"answer":"Re: say \"hi\""}""");
        EmulatorStats stats = emulator.GetStats();
        stats.StructuredRequests.Should().Be(2);
        stats.ChatRequestsServed.Should().Be(2);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"strin"}},"required":["a"],"additionalProperties":false}""", "'strin' is not a valid type")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}""", "additionalProperties")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"string"}},"required":["a"],"additionalProperties":false}""", "Missing 'b'")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"#/$defs/Nope"}},"required":["a"],"additionalProperties":false}""", "#/$defs/Nope")]
    [InlineData("""{"type":"object","properties":{"a":{"allOf":[{"type":"string"}]}},"required":["a"],"additionalProperties":false}""", "'allOf' is not permitted")]
    [InlineData("""{"type":"array","items":{"type":"string"}}""", "type: \"object\"")]
    public async Task An_invalid_schema_is_answered_400_naming_the_problem(string schema, string expected)
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.PostAsync(Endpoint(emulator), Json(SchemaRequest(schema, User("x"))));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        error["type"]!.GetValue<string>().Should().Be("invalid_request_error");
        error["param"]!.GetValue<string>().Should().Be("response_format");
        error["message"]!.GetValue<string>().Should().StartWith("Invalid schema for response_format 'answer': ").And.Contain(expected);
    }

    [Fact]
    public async Task A_required_recursion_without_an_exit_is_answered_400()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();
        const string Endless = """{"type":"object","properties":{"next":{"$ref":"#"}},"required":["next"],"additionalProperties":false}""";

        using HttpResponseMessage response = await http.PostAsync(Endpoint(emulator), Json(SchemaRequest(Endless, User("x"))));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("no finite instance");
    }

    [Fact]
    public async Task Streaming_sends_the_same_structured_content_and_a_refusal_as_refusal_deltas()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        Answer whole = await PostAsync(emulator, http, SchemaRequest(RichSchema, User("stream me")));
        Answer streamed = await StreamAsync(emulator, http, SchemaRequest(RichSchema, User("stream me")));
        Answer refused = await StreamAsync(emulator, http, SchemaRequest(PersonSchema, User("no [[refuse]]")));

        streamed.Content.Should().Be(whole.Content);
        streamed.FinishReason.Should().Be("stop");
        refused.Content.Should().BeEmpty();
        refused.Refusal.Should().Be(Refusal);
    }

    [Fact]
    public async Task Plain_requests_still_echo_the_last_user_message()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        using var http = new HttpClient();

        Answer answer = await PostAsync(emulator, http, PlainRequest(User("plain [[fenced]] [[wrong-shape]]")));
        Answer text = await PostAsync(emulator, http, new JsonObject
        {
            ["model"] = "gpt-4o-mini",
            ["messages"] = new JsonArray(User("typed text")),
            ["response_format"] = new JsonObject { ["type"] = "text" },
        });

        answer.Content.Should().Be("Re: plain [[fenced]] [[wrong-shape]]", "fenced and wrong-shape only change structured answers");
        text.Content.Should().Be("Re: typed text");
        emulator.GetStats().StructuredRequests.Should().Be(0);
    }

    private sealed record Answer(string? Content, string? Refusal, string FinishReason);

    private static Uri Endpoint(EmulatorServer emulator) => new(emulator.BaseUrl, "chat/completions");

    private static JsonObject User(string content) => Message("user", content);

    private static JsonObject Message(string role, string content) => new() { ["role"] = role, ["content"] = content };

    private static JsonObject PlainRequest(params JsonObject[] messages) =>
        new() { ["model"] = "gpt-4o-mini", ["messages"] = new JsonArray(messages) };

    private static JsonObject JsonObjectRequest(params JsonObject[] messages)
    {
        JsonObject request = PlainRequest(messages);
        request["response_format"] = new JsonObject { ["type"] = "json_object" };
        return request;
    }

    private static JsonObject SchemaRequest(string schema, params JsonObject[] messages)
    {
        JsonObject request = PlainRequest(messages);
        request["response_format"] = new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new JsonObject { ["name"] = "answer", ["schema"] = JsonNode.Parse(schema), ["strict"] = true },
        };
        return request;
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static async Task<JsonNode> PostRawAsync(EmulatorServer emulator, HttpClient http, JsonNode body)
    {
        using HttpResponseMessage response = await http.PostAsync(Endpoint(emulator), Json(body));
        string text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<Answer> PostAsync(EmulatorServer emulator, HttpClient http, JsonNode body)
    {
        JsonNode choice = (await PostRawAsync(emulator, http, body))["choices"]![0]!;
        JsonNode message = choice["message"]!;
        return new Answer(message["content"]?.GetValue<string>(), message["refusal"]?.GetValue<string>(), choice["finish_reason"]!.GetValue<string>());
    }

    private static async Task<Answer> StreamAsync(EmulatorServer emulator, HttpClient http, JsonObject body)
    {
        body["stream"] = true;
        using HttpResponseMessage response = await http.PostAsync(Endpoint(emulator), Json(body));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var content = new StringBuilder();
        var refusal = new StringBuilder();
        string? finishReason = null;
        foreach (string line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal))
            {
                continue;
            }

            JsonNode choice = JsonNode.Parse(line["data: ".Length..])!["choices"]![0]!;
            content.Append(choice["delta"]!["content"]?.GetValue<string>());
            refusal.Append(choice["delta"]!["refusal"]?.GetValue<string>());
            finishReason ??= choice["finish_reason"]?.GetValue<string>();
        }

        return new Answer(content.ToString(), refusal.ToString(), finishReason!);
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A validator for the JSON schema constructs these tests use; returns the problems found, with their paths.</summary>
    private static class SchemaValidator
    {
        public static List<string> Validate(JsonNode schema, JsonNode? value)
        {
            var problems = new List<string>();
            Check(schema, schema, value, "$", problems);
            return problems;
        }

        private static void Check(JsonNode root, JsonNode schema, JsonNode? value, string path, List<string> problems)
        {
            if (schema["$ref"] is { } reference)
            {
                Check(root, Resolve(root, reference.GetValue<string>()), value, path, problems);
                return;
            }

            if (schema["const"] is { } constant && !JsonNode.DeepEquals(constant, value))
            {
                problems.Add($"{path}: expected const {constant.ToJsonString()}");
            }

            if (schema["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, value)))
            {
                problems.Add($"{path}: {value?.ToJsonString() ?? "null"} is not in the enum");
            }

            if (schema["anyOf"] is JsonArray branches && !branches.Any(b => MatchesBranch(root, b!, value, path)))
            {
                problems.Add($"{path}: matches no anyOf branch");
            }

            if (schema["type"] is { } type)
            {
                List<string> types = type is JsonArray list ? list.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
                string actual = TypeOf(value);
                if (!types.Contains(actual) && !(actual == "integer" && types.Contains("number")))
                {
                    problems.Add($"{path}: expected {string.Join("|", types)}, got {actual}");
                    return;
                }
            }

            switch (value)
            {
                case JsonObject obj:
                    CheckObject(root, schema, obj, path, problems);
                    break;
                case JsonArray array:
                    CheckArray(root, schema, array, path, problems);
                    break;
                case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.Number:
                    CheckNumber(schema, scalar.GetValue<double>(), path, problems);
                    break;
                case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                    CheckString(schema, scalar.GetValue<string>(), path, problems);
                    break;
            }
        }

        private static bool MatchesBranch(JsonNode root, JsonNode schema, JsonNode? value, string path)
        {
            var problems = new List<string>();
            Check(root, schema, value, path, problems);
            return problems.Count == 0;
        }

        private static JsonNode Resolve(JsonNode root, string reference)
        {
            JsonNode target = root;
            foreach (string segment in reference.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                target = target[segment]!;
            }

            return target;
        }

        private static string TypeOf(JsonNode? value) => value?.GetValueKind() switch
        {
            null or JsonValueKind.Null => "null",
            JsonValueKind.Object => "object",
            JsonValueKind.Array => "array",
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => value.GetValue<double>() == Math.Floor(value.GetValue<double>()) ? "integer" : "number",
        };

        private static void CheckObject(JsonNode root, JsonNode schema, JsonObject obj, string path, List<string> problems)
        {
            JsonObject? properties = schema["properties"]?.AsObject();
            foreach (JsonNode? required in schema["required"]?.AsArray() ?? [])
            {
                if (!obj.ContainsKey(required!.GetValue<string>()))
                {
                    problems.Add($"{path}: missing required '{required}'");
                }
            }

            foreach ((string? name, JsonNode? child) in obj)
            {
                if (properties?[name] is { } propertySchema)
                {
                    Check(root, propertySchema, child, $"{path}.{name}", problems);
                }
                else if (schema["additionalProperties"]?.GetValueKind() == JsonValueKind.False)
                {
                    problems.Add($"{path}: unexpected property '{name}'");
                }
            }
        }

        private static void CheckArray(JsonNode root, JsonNode schema, JsonArray array, string path, List<string> problems)
        {
            if (schema["minItems"] is { } min && array.Count < min.GetValue<int>())
            {
                problems.Add($"{path}: fewer than {min} items");
            }

            if (schema["maxItems"] is { } max && array.Count > max.GetValue<int>())
            {
                problems.Add($"{path}: more than {max} items");
            }

            for (int i = 0; i < array.Count; i++)
            {
                if (schema["items"] is { } items)
                {
                    Check(root, items, array[i], $"{path}[{i}]", problems);
                }
            }
        }

        private static void CheckNumber(JsonNode schema, double value, string path, List<string> problems)
        {
            bool broken = (schema["minimum"] is { } min && value < min.GetValue<double>())
                || (schema["maximum"] is { } max && value > max.GetValue<double>())
                || (schema["exclusiveMinimum"] is { } exMin && value <= exMin.GetValue<double>())
                || (schema["exclusiveMaximum"] is { } exMax && value >= exMax.GetValue<double>());
            if (broken)
            {
                problems.Add($"{path}: {value} is out of bounds");
            }
        }

        private static void CheckString(JsonNode schema, string value, string path, List<string> problems)
        {
            bool valid = schema["format"]?.GetValue<string>() switch
            {
                "date-time" => Regex.IsMatch(value, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
                    && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                "date" => DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                "time" => TimeOnly.TryParseExact(value, "HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                "duration" => Regex.IsMatch(value, @"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"),
                "email" => Regex.IsMatch(value, @"^[a-z0-9._-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$"),
                "hostname" => Regex.IsMatch(value, @"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$"),
                "ipv4" => IPAddress.TryParse(value, out IPAddress? v4) && v4.AddressFamily == AddressFamily.InterNetwork && value.Count(c => c == '.') == 3,
                "ipv6" => IPAddress.TryParse(value, out IPAddress? v6) && v6.AddressFamily == AddressFamily.InterNetworkV6,
                "uuid" => Guid.TryParseExact(value, "D", out _),
                _ => true,
            };
            if (!valid)
            {
                problems.Add($"{path}: '{value}' is not a valid {schema["format"]}");
            }

            if (schema["pattern"] is { } pattern && !Regex.IsMatch(value, pattern.GetValue<string>()))
            {
                problems.Add($"{path}: '{value}' does not match {pattern}");
            }
        }
    }
}
