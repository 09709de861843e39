namespace TypedBatch.Emulator;

/// <summary>The executable: parse arguments, start the server, wait for Ctrl+C or SIGTERM.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (!CommandLineOptions.TryParse(args, out EmulatorOptions? options, out string? error, out bool helpRequested))
        {
            TextWriter output = helpRequested ? Console.Out : Console.Error;
            if (error is not null)
            {
                await output.WriteLineAsync(error);
            }

            await output.WriteLineAsync(CommandLineOptions.Usage);
            return helpRequested ? 0 : 2;
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
        await shutdown.Task;
        return 0;
    }
}
