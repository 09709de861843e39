// TypedBatch Native AOT sample: typed results (enum, record, list of records, string) parsed through a
// System.Text.Json source-generated context, published with PublishAot=true.
// It needs a server: set OPENAI_BASE_URL (for example to a TypedBatch emulator started with
// `dotnet run --project src/TypedBatch.Emulator -- --port 8080`, then OPENAI_BASE_URL=http://127.0.0.1:8080/v1).
// Exit codes: 0 all good, 1 an item failed or a value was wrong, 2 OPENAI_BASE_URL is not set.
using AotSample;
using TypedBatch;

if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OPENAI_BASE_URL")))
{
    await Console.Error.WriteLineAsync("OPENAI_BASE_URL is not set. Start an OpenAI-compatible server (for example the TypedBatch emulator: "
        + "dotnet run --project src/TypedBatch.Emulator -- --port 8080) and set OPENAI_BASE_URL=http://127.0.0.1:8080/v1.");
    return 2;
}

await using var client = TypedBatchClient.FromEnvironment();
Console.WriteLine($"Using {client.Options.Provider} at {client.Options.EffectiveBaseUrl} with model {client.Options.Model} (Native AOT: {!System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported}).");

IAotAssistant assistant = client.For<IAotAssistant>();
var options = new BatchOptions { MaxConcurrency = 4 };
var problems = new List<string>();

// 1. Enum result.
string[] reviews = ["I love this keyboard, it is perfect.", "The battery died after two days.", "It is a phone case.", "Shipping was fast but the box was dented."];
Check("classify", reviews, await assistant.ClassifyBatchAsync(reviews, options),
    s => Enum.IsDefined(s) ? null : $"undefined Sentiment value {(int)s}",
    s => s.ToString());

// 2. Record result with a nullable field.
string[] tasks = ["reverse a string", "check if a number is prime", "compute the nth Fibonacci number"];
Check("write code", tasks, await assistant.WriteCodeBatchAsync(tasks, options),
    c => c is null ? "null snippet"
        : string.IsNullOrWhiteSpace(c.Language) ? "empty language"
        : string.IsNullOrWhiteSpace(c.Code) ? "empty code"
        : c.Explanation is { } e && string.IsNullOrWhiteSpace(e) ? "blank explanation (should be null or text)"
        : null,
    c => $"{c.Language}: {c.Code} ({c.Explanation ?? "no explanation"})");

// 3. List of records.
string[] goals = ["learn Rust", "bake bread"];
Check("plan", goals, await assistant.PlanBatchAsync(goals, options),
    steps => steps is null or { Count: 0 } ? "no steps"
        : steps.FirstOrDefault(s => s is null || string.IsNullOrWhiteSpace(s.Title)) is { } bad ? $"step without a title: {bad}"
        : null,
    steps => string.Join("; ", steps.Select(s => $"{s.Order}. {s.Title}")));

// 4. String result.
string[] topics = ["Native AOT", "source generators", "JSON schema"];
Check("answer", topics, await assistant.AnswerBatchAsync(topics, options),
    a => string.IsNullOrWhiteSpace(a) ? "empty answer" : null,
    a => a);

if (problems.Count > 0)
{
    Console.WriteLine($"FAILED: {problems.Count} problem(s):");
    foreach (string problem in problems)
    {
        Console.WriteLine($"  - {problem}");
    }

    return 1;
}

Console.WriteLine("AOT sample OK: every item succeeded with a plausible value.");
return 0;

// Prints a batch, and records failed items and implausible values.
void Check<T>(string name, string[] inputs, BatchResult<T> result, Func<T, string?> validate, Func<T, string> show)
{
    Console.WriteLine($"== {name}: {result}");
    if (result.Count != inputs.Length)
    {
        problems.Add($"{name}: {result.Count} results for {inputs.Length} inputs");
    }

    foreach (BatchItem<T> item in result)
    {
        string input = inputs[item.Index];
        if (!item.Succeeded)
        {
            Console.WriteLine($"  [{item.Index}] {input}: FAILED: {item.Error}");
            problems.Add($"{name}[{item.Index}] failed: {item.Error}");
            continue;
        }

        T value = item.Value!;
        Console.WriteLine($"  [{item.Index}] {input} -> {show(value)}");
        if (validate(value) is { } problem)
        {
            problems.Add($"{name}[{item.Index}] ({input}): {problem}");
        }
    }
}
