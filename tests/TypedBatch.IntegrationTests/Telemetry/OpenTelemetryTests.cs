using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests.Telemetry;

/// <summary>
/// The spans and metrics of a batch over real HTTP, collected by the OpenTelemetry SDK's in-memory exporters the way an
/// application subscribes (<c>AddSource("TypedBatch")</c>, <c>AddMeter("TypedBatch")</c>). Each test uses a model name
/// of its own, so that batches of tests running at the same time do not mix into its figures.
/// </summary>
public sealed class OpenTelemetryTests : IAsyncLifetime
{
    private readonly List<Activity> _spans = [];
    private readonly List<Metric> _metrics = [];
    private readonly string _model = $"otel-model-{Guid.NewGuid():N}";
    private EmulatorServer _emulator = null!;

    public async Task InitializeAsync() => _emulator = await EmulatorServer.StartAsync(new EmulatorOptions { Error500Rate = 0.3, FaultSeed = 3 });

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    private ServiceProvider Services(bool recordContent = false)
    {
        var services = new ServiceCollection();
        services.AddTypedBatch(o =>
        {
            o.Provider = ProviderKind.OpenAICompatible;
            o.BaseUrl = _emulator.BaseUrl;
            o.ApiKey = _emulator.Options.ApiKey;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            o.MaxRetries = 8;
            o.Model = _model;
            o.Prices.Set(_model, new ModelPrice(1m, 2m));
            o.RecordContent = recordContent;
        });
        services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(TypedBatchTelemetry.Name).AddInMemoryExporter(_spans))
            .WithMetrics(m => m.AddMeter(TypedBatchTelemetry.Name).AddInMemoryExporter(_metrics));
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_batch_emits_its_span_a_client_span_per_call_with_the_gen_ai_attributes_and_the_metrics()
    {
        await using ServiceProvider services = Services();
        TracerProvider tracing = services.GetRequiredService<TracerProvider>();
        MeterProvider metering = services.GetRequiredService<MeterProvider>();
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
            Enumerable.Range(0, 20).Select(i => (IReadOnlyList<PromptMessage>)[PromptMessage.User($"otel item {i}")]).ToList(),
            new BatchOptions { Temperature = 0.2, MaxTokens = 50 });
        tracing.ForceFlush();
        metering.ForceFlush();

        result.AllSucceeded.Should().BeTrue();
        Activity batch = _spans.Should().ContainSingle(s => s.OperationName == "typedbatch.batch" && (string?)s.GetTagItem("gen_ai.request.model") == _model).Subject;
        batch.GetTagItem("typedbatch.batch.delivered").Should().Be(20);
        batch.GetTagItem("typedbatch.batch.failed").Should().Be(0);
        batch.GetTagItem("typedbatch.batch.mode").Should().Be("live");
        ((double)batch.GetTagItem("typedbatch.batch.cost")!).Should().BeApproximately((double)result.Cost!.Value, 1e-12);

        var calls = _spans.Where(s => s.ParentSpanId == batch.SpanId).ToList();
        calls.Should().HaveCount(20, "one client span per provider call, each a child of the batch's span");
        calls.Should().OnlyContain(s => s.DisplayName == $"chat {_model}" && s.Kind == ActivityKind.Client);
        calls.Should().OnlyContain(s =>
            (string?)s.GetTagItem("gen_ai.operation.name") == "chat"
            && (string?)s.GetTagItem("gen_ai.provider.name") == "openai_compatible"
            && (string?)s.GetTagItem("gen_ai.request.model") == _model
            && s.GetTagItem("gen_ai.response.model") != null
            && (double?)s.GetTagItem("gen_ai.request.temperature") == 0.2
            && (int?)s.GetTagItem("gen_ai.request.max_tokens") == 50
            && ((string[])s.GetTagItem("gen_ai.response.finish_reasons")!).Length == 1
            && s.GetTagItem("gen_ai.input.messages") == null);
        calls.Sum(s => (long)s.GetTagItem("gen_ai.usage.input_tokens")!).Should().Be(result.Usage.PromptTokens);
        calls.Sum(s => (long)s.GetTagItem("gen_ai.usage.output_tokens")!).Should().Be(result.Usage.CompletionTokens);
        int retried = result.Sum(item => item.Attempts - 1);
        retried.Should().BeGreaterThan(0, "the emulator fails 30 % of the attempts");
        calls.Sum(s => s.Events.Count(e => e.Name == "typedbatch.retry")).Should().Be(retried, "every retry is an event on its call's span");

        Points("gen_ai.client.token.usage", ("gen_ai.token.type", "input")).Sum(p => p.GetHistogramSum()).Should().Be(result.Usage.PromptTokens);
        Points("gen_ai.client.token.usage", ("gen_ai.token.type", "output")).Sum(p => p.GetHistogramSum()).Should().Be(result.Usage.CompletionTokens);
        Points("gen_ai.client.operation.duration").Sum(p => p.GetHistogramCount()).Should().Be(20);
        Points("typedbatch.items", ("typedbatch.outcome", "succeeded")).Sum(p => p.GetSumLong()).Should().Be(20);
        Points("typedbatch.cost").Sum(p => p.GetSumDouble()).Should().BeApproximately((double)result.Cost!.Value, 1e-12);
        _metrics.Should().Contain(m => m.Name == "typedbatch.inflight").And.Contain(m => m.Name == "typedbatch.ratelimit.wait");
        _metrics.Single(m => m.Name == "gen_ai.client.token.usage").Unit.Should().Be("{token}");
        _metrics.Single(m => m.Name == "gen_ai.client.operation.duration").Unit.Should().Be("s");
    }

    [Fact]
    public async Task Prompts_and_answers_are_recorded_only_when_asked()
    {
        await using ServiceProvider services = Services(recordContent: true);
        TracerProvider tracing = services.GetRequiredService<TracerProvider>();
        TypedBatchClient client = services.GetRequiredService<TypedBatchClient>();

        ChatCompletion answer = await client.CreateChatCompletionAsync([PromptMessage.User("a secret-free prompt")]);
        tracing.ForceFlush();

        Activity call = _spans.Should().ContainSingle(s => s.DisplayName == $"chat {_model}").Subject;
        ((string)call.GetTagItem("gen_ai.input.messages")!).Should().Contain("\"role\":\"user\"").And.Contain("a secret-free prompt");
        ((string)call.GetTagItem("gen_ai.output.messages")!).Should().Contain(System.Text.Json.JsonEncodedText.Encode(answer.Content!).ToString());
    }

    private IEnumerable<MetricPoint> Points(string name, params (string Key, string Value)[] tags)
    {
        foreach (Metric metric in _metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                bool model = false;
                int matched = 0;
                foreach (KeyValuePair<string, object?> tag in point.Tags)
                {
                    model |= (tag.Key == "gen_ai.request.model" || tag.Key == "typedbatch.operation") && (tag.Value as string) == _model;
                    matched += tags.Count(t => t.Key == tag.Key && t.Value == (tag.Value as string));
                }

                if (model && matched == tags.Length)
                {
                    yield return point;
                }
            }
        }
    }
}
