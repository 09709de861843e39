namespace TypedBatch.Emulator;

/// <summary>The executable: parse arguments, start the server, wait for Ctrl+C or SIGTERM.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse(args);
        if (parsed.HelpRequested)
        {
            return await parsed.Result.InvokeAsync();
        }

        if (parsed.Options is not { } options)
        {
            foreach (string error in parsed.Errors)
            {
                await Console.Error.WriteLineAsync(error);
            }

            await Console.Error.WriteLineAsync("Run with --help for the options.");
            return 2;
        }

        using var shutdown = new ShutdownSignal();
        EmulatorServer server;
        try
        {
            server = await EmulatorServer.StartAsync(options);
        }
        catch (IOException exception)
        {
            await Console.Error.WriteLineAsync($"Cannot listen on 127.0.0.1:{options.Port}: {exception.Message}");
            return 1;
        }

        await using EmulatorServer running = server;
        Console.WriteLine($"TypedBatch emulator listening on {server.BaseUrl}");
        if (server.SecondaryBaseUrl is { } secondary)
        {
            Console.WriteLine($"Secondary origin (target of [[redirect:S]]) on {secondary}");
        }
        await shutdown.Task;
        return 0;
    }
}
