using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace TypedBatch.LoadTests.Clients;

/// <summary>
/// Another runner with the OpenTelemetry SDK subscribed to <paramref name="sourceName"/> (traces, every span sampled,
/// through the batch export processor) and to the meter of the same name (a periodic reader, every second), as an
/// application exporting to a collector would be, with exporters that only count what reaches them. The subscription
/// lives exactly as long as this runner, so the runner without telemetry measured next to it has no listener.
/// </summary>
internal sealed class TelemetryRunner : IClientRunner
{
    private readonly IClientRunner _inner;
    private readonly TracerProvider _tracing;
    private readonly MeterProvider _metrics;
    private readonly CountingSpanExporter _spans = new();
    private readonly CountingMetricExporter _points = new();

    public TelemetryRunner(IClientRunner inner, string sourceName)
    {
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(sourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(_spans))
            .Build();
        _metrics = Sdk.CreateMeterProviderBuilder()
            .AddMeter(sourceName)
            .AddReader(new PeriodicExportingMetricReader(_points, exportIntervalMilliseconds: 1000))
            .Build();
        _inner = inner;
    }

    public string Name => _inner.Name + " + OpenTelemetry";

    public async Task<RunOutcome> RunAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        long spansBefore = _spans.Exported;
        RunOutcome outcome = await _inner.RunAsync(topics, cancellationToken);
        _tracing.ForceFlush();
        if (_spans.Exported == spansBefore)
        {
            // Nothing listened after all: the measurement would be of the client without telemetry.
            throw new InvalidOperationException($"{Name}: no span reached the exporter; is the source name right?");
        }

        return outcome;
    }

    public async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync();
        _tracing.Dispose();
        _metrics.Dispose();
    }

    private sealed class CountingSpanExporter : BaseExporter<Activity>
    {
        private long _exported;

        public long Exported => Interlocked.Read(ref _exported);

        public override ExportResult Export(in Batch<Activity> batch)
        {
            Interlocked.Add(ref _exported, batch.Count);
            return ExportResult.Success;
        }
    }

    private sealed class CountingMetricExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch)
        {
            foreach (Metric metric in batch)
            {
                foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
                {
                    _ = point.EndTime;
                }
            }

            return ExportResult.Success;
        }
    }
}
