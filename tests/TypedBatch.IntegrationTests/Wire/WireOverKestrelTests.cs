using System.Text;
using System.Text.Json;

namespace TypedBatch.IntegrationTests.Wire;

[PromptClient(Model = "wire-model")]
public partial interface IWireWriter
{
    [User("Write about {topic}")]
    [Completion(Temperature = 0.7, TopP = 0.9, Seed = 42, Stop = ["END", "STOP"], MaxTokens = 64)]
    Task<string> WriteAsync(string topic, CancellationToken cancellationToken = default);
}

/// <summary>
/// What the production client (TypedBatchClient.Create: the real JSON context, Refit and the handler chain) puts
/// on the wire, read as raw bytes by a Kestrel server. Checked by dropping a setting on the way (e.g. not mapping
/// TopP in the provider's wire mapping): the matching assertion fails.
/// </summary>
public sealed class WireOverKestrelTests : IAsyncLifetime
{
    private RecordingServer _server = null!;
    private TypedBatchClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await RecordingServer.StartAsync();
        _client = TypedBatchClient.Create(new TypedBatchOptions
        {
            Provider = ProviderKind.OpenAICompatible,
            BaseUrl = _server.BaseUrl,
            Model = "client-model",
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        });
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Completion_settings_arrive_on_the_wire_as_set()
    {
        await _client.CreateChatCompletionAsync(
            [PromptMessage.User("hello")],
            new CompletionSettings { Temperature = 1.25, TopP = 0.5, Stop = ["###"], Seed = 1234567890123, MaxTokens = 17 });

        JsonElement body = SingleBody();
        body.GetProperty("model").GetString().Should().Be("client-model");
        body.GetProperty("temperature").GetDouble().Should().Be(1.25);
        body.GetProperty("top_p").GetDouble().Should().Be(0.5);
        body.GetProperty("stop").EnumerateArray().Select(s => s.GetString()).Should().Equal("###");
        body.GetProperty("seed").GetInt64().Should().Be(1234567890123);
        MaxTokens(body).Should().Be(17);
    }

    [Fact]
    public async Task A_generated_method_sends_its_completion_attribute_settings()
    {
        await _client.For<IWireWriter>().WriteAsync("tides");

        JsonElement body = SingleBody();
        body.GetProperty("model").GetString().Should().Be("wire-model");
        body.GetProperty("temperature").GetDouble().Should().Be(0.7);
        body.GetProperty("top_p").GetDouble().Should().Be(0.9);
        body.GetProperty("seed").GetInt64().Should().Be(42);
        body.GetProperty("stop").EnumerateArray().Select(s => s.GetString()).Should().Equal("END", "STOP");
        MaxTokens(body).Should().Be(64);
    }

    [Fact]
    public async Task Batch_options_override_the_attribute_temperature_on_the_wire()
    {
        await _client.For<IWireWriter>().WriteBatchAsync(["tides"], new BatchOptions { Temperature = 1.5, Model = "override-model" });

        JsonElement body = SingleBody();
        body.GetProperty("temperature").GetDouble().Should().Be(1.5);
        body.GetProperty("model").GetString().Should().Be("override-model");
    }

    [Fact]
    public async Task Non_ascii_text_travels_as_utf8_without_escapes()
    {
        const string Text = "日本語 café";

        await _client.CreateChatCompletionAsync([PromptMessage.User(Text)]);

        byte[] raw = _server.Bodies.Should().ContainSingle().Subject;
        string json = Encoding.UTF8.GetString(raw);
        json.Should().Contain(Text, "the text is sent as UTF-8 bytes");
        json.Should().NotContain("\\u", "no character is escaped");
        raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Text)).Should().BeGreaterThanOrEqualTo(0);
    }

    private static int MaxTokens(JsonElement body)
        => body.TryGetProperty("max_completion_tokens", out JsonElement v) ? v.GetInt32() : body.GetProperty("max_tokens").GetInt32();

    private JsonElement SingleBody()
    {
        byte[] raw = _server.Bodies.Should().ContainSingle().Subject;
        return JsonDocument.Parse(raw).RootElement.Clone();
    }
}
