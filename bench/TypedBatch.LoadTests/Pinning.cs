using System.Diagnostics;
using System.Reflection;

namespace TypedBatch.LoadTests;

/// <summary>
/// Keeps the client and the emulator off each other's core: the program re-executes itself under
/// <c>taskset -c 0</c> (so every thread of the client, and the runtime's view of the machine, is one core), and starts
/// the emulator under <c>taskset -c 1</c>. Skipped with <c>--no-pin</c>, on fewer than two cores or without taskset.
/// </summary>
internal static class Pinning
{
    private const string Variable = "TYPEDBATCH_LOADTESTS_PINNED";

    /// <summary>This process is the pinned re-execution.</summary>
    public static bool IsPinned => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Pinning is possible here.</summary>
    public static bool Available => OperatingSystem.IsLinux() && MachineInfo.Cores >= 2
        && (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(static d => File.Exists(Path.Combine(d, "taskset")));

    /// <summary>The core of the emulator: 1 when the client is pinned to 0, else none.</summary>
    public static int? EmulatorCore => IsPinned ? 1 : null;

    public static string Description => IsPinned
        ? "client re-executed under `taskset -c 0` (the whole process, so `Environment.ProcessorCount` is 1 inside it), emulator started under `taskset -c 1`"
        : "none (client and emulator share all cores)";

    /// <summary>Runs this program again with the same arguments under <c>taskset -c 0</c> and returns its exit code.</summary>
    public static async Task<int> ReexecuteOnCoreZeroAsync(string[] args)
    {
        var start = new ProcessStartInfo("taskset") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("0");
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        start.ArgumentList.Add(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[Variable] = "1";
        // Ctrl+C reaches the child too (same process group); this process just waits for it.
        Console.CancelKeyPress += static (_, e) => e.Cancel = true;
        using Process child = Process.Start(start) ?? throw new InvalidOperationException("Could not start taskset.");
        await child.WaitForExitAsync();
        return child.ExitCode;
    }
}
