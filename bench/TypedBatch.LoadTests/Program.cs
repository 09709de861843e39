using TypedBatch.LoadTests;
using TypedBatch.LoadTests.Clients;
using TypedBatch.LoadTests.Scenarios;

if (args is [DeferredScenario.ChildCommand, .. string[] childArgs])
{
    // A measured run of the deferred scenario, in a process of its own (not listed in --help).
    return await DeferredScenario.RunChildAsync(childArgs);
}

LoadCommandLine parsed = LoadOptions.Parse(args);
if (parsed.HelpRequested)
{
    return await parsed.Result.InvokeAsync();
}

if (parsed.Options is not { } options)
{
    foreach (string error in parsed.Errors)
    {
        Console.Error.WriteLine(error);
    }

    Console.Error.WriteLine("Run with --help for the scenarios and options.");
    return 2;
}

if (!options.NoPin && !Pinning.IsPinned && Pinning.Available)
{
    return await Pinning.ReexecuteOnCoreZeroAsync(args);
}

Workload.CheckGeneratedPromptMatches();
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

string commandLine = "dotnet run -c Release --project bench/TypedBatch.LoadTests -- " + string.Join(' ', args);
Console.WriteLine($"{commandLine}\npinning: {Pinning.Description}\n");
string loadBefore = MachineInfo.LoadAverage;
string body = options.Scenario switch
{
    "limit" => await LimitScenario.RunAsync(options, cancellation.Token),
    "journal" => await JournalScenario.RunAsync(options, cancellation.Token),
    "deferred" => await DeferredScenario.RunAsync(options, cancellation.Token),
    "straggler" => await StragglerScenario.RunAsync(options, cancellation.Token),
    _ => await OverheadScenario.RunAsync(options, cancellation.Token),
};
string title = options.Scenario switch
{
    "limit" => "At the limit",
    "journal" => "Durable batches: the journal's cost",
    "deferred" => "Deferred mode: memory while preparing and reading a large batch",
    "straggler" => $"Stragglers: {Fmt.Percent(options.HangRate, 0)} of requests hang",
    _ when ChatClient(options) => $"TypedBatch over an M.E.AI IChatClient ({options.LatencyMs} ms latency)",
    _ when Streaming(options) => $"Streaming overhead ({options.LatencyMs} ms latency)",
    _ when Telemetry(options) => $"Telemetry overhead ({options.LatencyMs} ms latency)",
    _ when Hedging(options) => $"Hedging overhead ({options.LatencyMs} ms latency)",
    _ => options.ProfileAllocations ? "Client overhead: allocation sampling" : options.LatencyMs > 0 ? $"Client overhead at equal throughput ({options.LatencyMs} ms latency{(options.RateLimitHeaders ? ", with rate-limit headers" : "")})" : "Client overhead",
};
string section = $"""
    ### {title}

    {MachineInfo.Describe(commandLine, Pinning.Description)}
    - Load average (1 min) before/after: {loadBefore} / {MachineInfo.LoadAverage}

    {body}
    """;
Console.WriteLine();
Console.WriteLine(section);
if (options.Doc is { } doc)
{
    string path = Path.IsPathRooted(doc) ? doc : Path.Combine(RepoRoot.Path, doc);
    string name = options.Scenario == "straggler" ? "straggler" : ChatClient(options) ? "overhead-chatclient" : Streaming(options) ? "overhead-streaming" : Telemetry(options) ? "overhead-telemetry" : Hedging(options) ? "overhead-hedging" : options.Scenario + (options.ProfileAllocations ? "-allocations" : options.LatencyMs > 0 ? "-latency" : "") + (options.RateLimitHeaders ? "-headers" : "");
    Report.WriteSection(path, name, section);
    Console.WriteLine($"Updated {path}");
}

return 0;

// A run that measures a client with OpenTelemetry listening gets a section of its own.
static bool Telemetry(LoadOptions options)
    => options.Scenario == "overhead" && options.Clients?.Any(static c => c.EndsWith("-otel", StringComparison.Ordinal)) == true;

// A run that measures TypedBatch with hedging off next to it on gets a section of its own.
static bool Hedging(LoadOptions options)
    => options.Scenario == "overhead" && options.Clients?.Contains(ClientFactory.TypedBatchNoHedging) == true;

// A run that measures TypedBatch over an M.E.AI IChatClient (UseChatClient) gets a section of its own.
static bool ChatClient(LoadOptions options)
    => options.Scenario == "overhead" && options.Clients?.Contains(ClientFactory.TypedBatchChatClient) == true;

// A run that measures a client streaming its answers gets a section of its own.
static bool Streaming(LoadOptions options)
    => options.Scenario == "overhead" && options.Clients?.Any(static c => c.EndsWith("-stream", StringComparison.Ordinal)) == true;
