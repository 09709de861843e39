using System.Globalization;
using TypedBatch;
using TypedBatch.JournalHost;

// Runs "item 0" … "item N-1" as one journaled chat batch against an OpenAI-compatible server (the emulator) and prints
// "done <succeeded> <from journal>" at the end. Usage: JournalHost <base-url> <api-key or -> <journal> <count> <concurrency>
// [deferred <requests per remote batch>]; deferred, it prints "remote <n>" once n remote batches are submitted and journaled.
if (args.Length is not (5 or 7) || (args.Length == 7 && args[5] != "deferred"))
{
    Console.Error.WriteLine("usage: TypedBatch.JournalHost <base-url> <api-key or -> <journal> <count> <concurrency> [deferred <requests per remote batch>]");
    return 2;
}

int count = int.Parse(args[3], CultureInfo.InvariantCulture);
int concurrency = int.Parse(args[4], CultureInfo.InvariantCulture);
using var client = TypedBatchClient.Create(new TypedBatchOptions
{
    Provider = ProviderKind.OpenAICompatible,
    BaseUrl = new Uri(args[0]),
    ApiKey = args[1] == "-" ? null : args[1],
});

Console.WriteLine("started");
BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync(
    JournalHostInputs.Create(count),
    new BatchOptions
    {
        Journal = BatchJournal.File(args[2]),
        MaxConcurrency = concurrency,
        Mode = args.Length == 7 ? BatchMode.Deferred : BatchMode.Live,
        Deferred = args.Length == 7 ? HostDeferred(int.Parse(args[6], CultureInfo.InvariantCulture)) : null,
        Progress = args.Length == 7 ? new RemoteProgress() : null,
    });
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {result.SucceededCount} {result.FromJournalCount}"));
return 0;

static DeferredOptions HostDeferred(int perBatch) => new()
{
    MaxRequestsPerBatch = perBatch,
    PollInterval = TimeSpan.FromMilliseconds(100),
    MaxPollInterval = TimeSpan.FromMilliseconds(200),
};

/// <summary>Prints the remote batches as they are submitted, synchronously, so the parent can kill after any of them.</summary>
internal sealed class RemoteProgress : IProgress<BatchProgress>
{
    private int _printed;

    public void Report(BatchProgress value)
    {
        if (value.Deferred is { Batches: > 0 } remote && remote.Batches > _printed)
        {
            _printed = remote.Batches;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"remote {remote.Batches}"));
        }
    }
}
