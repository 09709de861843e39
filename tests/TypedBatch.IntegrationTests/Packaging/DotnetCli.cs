using System.Diagnostics;
using System.Text;

namespace TypedBatch.IntegrationTests.Packaging;

/// <summary>Runs the dotnet CLI and captures what it printed.</summary>
internal static class DotnetCli
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The child must not inherit the test host's MSBuild settings.
        foreach (string name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach ((string name, string? value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        var output = new StringBuilder();
        Task readOut = PumpAsync(process.StandardOutput, output);
        Task readErr = PumpAsync(process.StandardError, output);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', arguments)} did not finish in 5 minutes:\n{output}");
        }

        await Task.WhenAll(readOut, readErr);
        return (process.ExitCode, output.ToString());
    }

    public static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TypedBatch.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("TypedBatch.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The configuration the tests were built in (Debug or Release), read from the output path.</summary>
    public static string BuildConfiguration()
        => AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
