using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace TypedBatch.Tests.Mutation;

/// <summary>A logger that keeps every line it is given, formatted, with its level, event id and exception.</summary>
internal sealed class CapturingLogger<T>(LogLevel minimum = LogLevel.Trace) : ILogger<T>
{
    public ConcurrentQueue<LogLine> Lines { get; } = new();

    public IEnumerable<string> Messages => Lines.Select(l => l.Message);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Lines.Enqueue(new LogLine(logLevel, eventId.Id, formatter(state, exception), exception));
}

internal sealed record LogLine(LogLevel Level, int EventId, string Message, Exception? Exception);

/// <summary>Reports on the caller's thread, so a test sees each value as it happens.</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
