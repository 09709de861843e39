using System.Diagnostics;
using System.Globalization;

namespace TypedBatch.LoadTests;

/// <summary>
/// How busy the machine is, from <c>/proc/stat</c>: the benchmarks share it with whatever else runs, so each run waits
/// for a quiet moment first and reports how many cores other processes used while it ran.
/// </summary>
internal static class MachineLoad
{
    private const double TicksPerSecond = 100; // USER_HZ

    /// <summary>Busy core-seconds of the whole machine since boot (user, nice, system, irq, softirq, steal).</summary>
    public static double BusySeconds()
    {
        if (!File.Exists("/proc/stat"))
        {
            return 0;
        }

        string[] fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        double busy = 0;
        foreach (int i in (int[])[1, 2, 3, 6, 7, 8])
        {
            busy += i < fields.Length ? double.Parse(fields[i], CultureInfo.InvariantCulture) : 0;
        }

        return busy / TicksPerSecond;
    }

    /// <summary>
    /// Waits until the machine, with this benchmark idle, uses less than <paramref name="threshold"/> cores over one
    /// second, at most <paramref name="maxWait"/>; returns the last reading (cores in use by others).
    /// </summary>
    public static async Task<double> WaitForQuietAsync(double threshold, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            double before = BusySeconds();
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            double cores = BusySeconds() - before;
            if (cores < threshold || waited.Elapsed >= maxWait)
            {
                return cores;
            }
        }
    }
}

/// <summary>Measures the cores other processes used during a run: machine busy time minus this process's and the emulator's.</summary>
internal sealed class OthersLoadMeter
{
    private readonly EmulatorProcess _emulator;
    private readonly double _machine;
    private readonly TimeSpan _self;
    private readonly TimeSpan _emulatorCpu;
    private readonly Stopwatch _wall = Stopwatch.StartNew();

    public OthersLoadMeter(EmulatorProcess emulator)
    {
        _emulator = emulator;
        _machine = MachineLoad.BusySeconds();
        _self = SelfCpu();
        _emulatorCpu = emulator.ProcessorTime;
    }

    /// <summary>The emulator's CPU time since the start.</summary>
    public TimeSpan EmulatorCpu => _emulator.ProcessorTime - _emulatorCpu;

    /// <summary>Average cores used by other processes since the start (0 where <c>/proc/stat</c> is missing).</summary>
    public double OthersCores()
    {
        double machine = MachineLoad.BusySeconds() - _machine;
        double ours = (SelfCpu() - _self + EmulatorCpu).TotalSeconds;
        return Math.Max(0, machine - ours) / Math.Max(0.001, _wall.Elapsed.TotalSeconds);
    }

    private static TimeSpan SelfCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}
