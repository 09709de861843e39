using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests.Emulator;

/// <summary>A plain HttpClient speaking Anthropic's wire to the emulator (the library has no Anthropic provider yet).</summary>
internal static class AnthropicWire
{
    public const string Model = "claude-sonnet-4-5";

    /// <summary>A client at the emulator's root (Anthropic's base URL) with <c>anthropic-version</c> and, when given, <c>x-api-key</c>.</summary>
    public static HttpClient Client(EmulatorServer emulator, string? apiKey = null, bool version = true)
    {
        var http = new HttpClient { BaseAddress = emulator.RootUrl };
        if (version)
        {
            http.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        }

        if (apiKey is not null)
        {
            http.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        return http;
    }

    public static JsonObject Body(string user, int maxTokens = 256, string? system = null)
    {
        var body = new JsonObject
        {
            ["model"] = Model,
            ["max_tokens"] = maxTokens,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = user }),
        };
        if (system is not null)
        {
            body["system"] = system;
        }

        return body;
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    public static async Task<(HttpResponseMessage Response, JsonNode Body)> PostAsync(HttpClient http, string path, JsonNode body)
    {
        HttpResponseMessage response = await http.PostAsync(path, Json(body));
        string text = await response.Content.ReadAsStringAsync();
        return (response, JsonNode.Parse(text)!);
    }

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out IEnumerable<string>? values) ? string.Join(",", values) : "";

    /// <summary>Checks <paramref name="value"/> against the subset of JSON Schema the tests use; returns the first problem.</summary>
    public static string? SchemaProblem(JsonNode? value, JsonNode schema, string path = "$")
    {
        string type = (string)schema["type"]!;
        switch (type)
        {
            case "object":
                if (value is not JsonObject obj)
                {
                    return $"{path}: expected an object";
                }

                foreach (JsonNode? required in schema["required"]?.AsArray() ?? [])
                {
                    if (!obj.ContainsKey((string)required!))
                    {
                        return $"{path}: missing '{required}'";
                    }
                }

                JsonObject properties = schema["properties"]?.AsObject() ?? [];
                foreach ((string name, JsonNode? child) in obj)
                {
                    if (!properties.ContainsKey(name))
                    {
                        return $"{path}: unexpected '{name}'";
                    }

                    if (SchemaProblem(child, properties[name]!, $"{path}.{name}") is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case "array":
                if (value is not JsonArray array)
                {
                    return $"{path}: expected an array";
                }

                for (int i = 0; i < array.Count; i++)
                {
                    if (SchemaProblem(array[i], schema["items"]!, $"{path}[{i}]") is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case "string":
                if (value?.GetValueKind() != JsonValueKind.String)
                {
                    return $"{path}: expected a string";
                }

                return schema["enum"] is JsonArray options && !options.Any(o => (string)o! == (string)value!) ? $"{path}: not in enum" : null;
            case "integer":
                if (value?.GetValueKind() != JsonValueKind.Number || value.GetValue<double>() % 1 != 0)
                {
                    return $"{path}: expected an integer";
                }

                double n = value.GetValue<double>();
                return (schema["minimum"] is { } min && n < (double)min) || (schema["maximum"] is { } max && n > (double)max) ? $"{path}: out of range" : null;
            case "boolean":
                return value?.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? null : $"{path}: expected a boolean";
            default:
                throw new NotSupportedException(type);
        }
    }

    /// <summary>The events of a server-sent-event body: each <c>event:</c> name with its <c>data:</c> JSON.</summary>
    public static List<(string Event, JsonNode Data)> Events(string body)
    {
        var events = new List<(string, JsonNode)>();
        foreach (string block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string[] lines = block.Split('\n');
            lines[0].Should().StartWith("event: ");
            lines[1].Should().StartWith("data: ");
            events.Add((lines[0]["event: ".Length..], JsonNode.Parse(lines[1]["data: ".Length..])!));
        }

        return events;
    }

    public static MediaTypeHeaderValue? ContentType(HttpResponseMessage response) => response.Content.Headers.ContentType;
}
