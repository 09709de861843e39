using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace TypedBatch.LoadTests;

/// <summary>What the numbers were measured on: cores, CPU model, .NET, OS, commit, date and load.</summary>
internal static class MachineInfo
{
    /// <summary>Online cores of the machine (not of this process, which may be pinned to one).</summary>
    public static int Cores { get; } = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").Count(static l => l.StartsWith("processor", StringComparison.Ordinal))
        : Environment.ProcessorCount;

    public static string CpuModel { get; } = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(static l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
        : RuntimeInformation.ProcessArchitecture.ToString();

    /// <summary>The 1-minute load average now (other work on the machine skews the numbers).</summary>
    public static string LoadAverage => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    public static string Describe(string commandLine, string pinning)
    {
        string sdk = Run("dotnet", "--version") ?? "unknown";
        string commit = Run("git", "-C", RepoRoot.Path, "rev-parse", "--short", "HEAD") ?? "unknown";
        string dirty = string.IsNullOrWhiteSpace(Run("git", "-C", RepoRoot.Path, "status", "--porcelain", "--", "src", "generators")) ? "" : " (with uncommitted changes in src/ or generators/)";
        return $"""
            - Command: `{commandLine}`
            - Date: {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC; commit {commit}{dirty}
            - Machine: {Cores} cores (`nproc`), {CpuModel}; {RuntimeInformation.OSDescription}
            - .NET: {RuntimeInformation.FrameworkDescription} (SDK {sdk}), Release, workstation GC, tiered compilation on
            - Pinning: {pinning}
            """;
    }

    private static string? Run(string file, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
