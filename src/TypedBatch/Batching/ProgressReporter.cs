using Microsoft.Extensions.Logging;

namespace TypedBatch;

/// <summary>
/// Reports a batch's progress at most every <see cref="Interval"/>, and once more when the batch ends. A change that
/// comes sooner is not lost: a timer reports it when the interval is up, so the last report before a lull is current.
/// The first change is reported at once. Reports never overlap and never go back in time: one thread reports at a time
/// (a worker that finds another reporting goes on with its work rather than wait), and the snapshot is taken by the
/// reporting thread. A handler that throws is logged and the batch goes on.
/// </summary>
internal sealed class ProgressReporter
{
    /// <summary>The shortest time between two reports.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly IProgress<BatchProgress> _progress;
    private readonly Func<BatchProgress> _snapshot;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ITimer _timer;

    // Held while a report is taken and handed to the handler; workers only try it.
    private readonly Lock _reporting = new();

    // Held only to change or dispose the timer, never while user code runs.
    private readonly Lock _timerGate = new();
    private long _last;
    private bool _reported;
    private bool _ended;
    private bool _timerDisposed;
    private int _dirty;
    private int _armed;

    public ProgressReporter(IProgress<BatchProgress> progress, Func<BatchProgress> snapshot, TimeProvider time, ILogger logger)
    {
        _progress = progress;
        _snapshot = snapshot;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(static state => ((ProgressReporter)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Something the report shows has changed: reports now if the interval is up, else makes sure it will be.</summary>
    public void Changed()
    {
        Volatile.Write(ref _dirty, 1);
        Flush();
    }

    /// <summary>The batch has ended (finished, failed or cancelled): the last report, then nothing more.</summary>
    public void End()
    {
        lock (_timerGate)
        {
            _timerDisposed = true;
            _timer.Dispose();
        }

        lock (_reporting)
        {
            if (_ended)
            {
                return;
            }

            _ended = true;
            Report();
        }
    }

    private void Flush()
    {
        TimeSpan wait = Due();
        if (wait > TimeSpan.Zero)
        {
            Arm(wait);
            return;
        }

        if (!_reporting.TryEnter())
        {
            // Another thread is reporting, perhaps from a snapshot taken before this change: the timer catches up.
            Arm(Interval);
            return;
        }

        try
        {
            if (_ended)
            {
                return;
            }

            wait = Due();
            if (wait <= TimeSpan.Zero && Interlocked.Exchange(ref _dirty, 0) != 0)
            {
                Report();
            }
        }
        finally
        {
            _reporting.Exit();
        }

        if (wait > TimeSpan.Zero)
        {
            Arm(wait);
        }
    }

    /// <summary>How long until a report is due; zero or less when it is (always, before the first).</summary>
    private TimeSpan Due()
        => Volatile.Read(ref _reported) ? Interval - _time.GetElapsedTime(Volatile.Read(ref _last)) : TimeSpan.Zero;

    private void OnTimer()
    {
        Volatile.Write(ref _armed, 0);
        if (Volatile.Read(ref _dirty) != 0)
        {
            Flush();
        }
    }

    private void Arm(TimeSpan wait)
    {
        if (Interlocked.Exchange(ref _armed, 1) != 0)
        {
            return;
        }

        lock (_timerGate)
        {
            if (!_timerDisposed)
            {
                _timer.Change(wait, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Takes the snapshot and reports it; the caller holds <see cref="_reporting"/>.</summary>
    private void Report()
    {
        // Stamped before the handler runs, so that a change meanwhile arms the timer instead of waiting for this lock.
        Volatile.Write(ref _dirty, 0);
        Volatile.Write(ref _last, _time.GetTimestamp());
        Volatile.Write(ref _reported, true);
        try
        {
            _progress.Report(_snapshot());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.ProgressFailed(_logger, ex);
        }
    }
}
