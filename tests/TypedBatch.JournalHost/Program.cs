using System.Globalization;
using TypedBatch;
using TypedBatch.JournalHost;

// Runs "item 0" … "item N-1" as one journaled chat batch against an OpenAI-compatible server (the emulator) and prints
// "done <succeeded> <from journal>" at the end. Usage: JournalHost <base-url> <api-key or -> <journal> <count> <concurrency>.
if (args.Length != 5)
{
    Console.Error.WriteLine("usage: TypedBatch.JournalHost <base-url> <api-key or -> <journal> <count> <concurrency>");
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
    new BatchOptions { Journal = BatchJournal.File(args[2]), MaxConcurrency = concurrency });
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {result.SucceededCount} {result.FromJournalCount}"));
return 0;
