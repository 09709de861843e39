using Microsoft.Extensions.Logging;

namespace QuickStart;

/// <summary>
/// Writes log lines to the console at once, on the calling thread, under the same lock as nothing else needs: the
/// framework's console logger writes from a background queue, so its lines land in the middle of the program's own
/// output. Samples only; a service logs through its host's providers.
/// </summary>
internal sealed class InlineConsoleLoggerProvider : ILoggerProvider
{
    private static readonly Lock Gate = new();

    public ILogger CreateLogger(string categoryName) => new InlineLogger(categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class InlineLogger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            string level = logLevel switch
            {
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error or LogLevel.Critical => "fail",
                _ => "dbug",
            };
            lock (Gate)
            {
                ConsoleOutput.WriteLine($"  [{level}] {category}: {formatter(state, exception)}");
                if (exception is not null)
                {
                    ConsoleOutput.WriteLine($"         {exception.GetType().Name}: {exception.Message}");
                }
            }
        }
    }
}
