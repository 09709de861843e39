// Deferred mode against an independent server that implements OpenAI's Files and Batches API (aimock): the manual check
// of issue 11, run by ../run.sh, which installs and starts the server. Usage: IndependentCheck [base-url]
// (default http://127.0.0.1:4010/v1/). Prints one PASS / FAIL / NOTE row per check and a table; exits 1 on any FAIL.
using IndependentCheck;
using TypedBatch;

var baseUrl = new Uri((args.Length > 0 ? args[0] : "http://127.0.0.1:4010/v1").TrimEnd('/') + "/");
Console.WriteLine($"Independent Batch API server at {baseUrl}");

var options = new TypedBatchOptions
{
    Provider = ProviderKind.OpenAICompatible,
    BaseUrl = baseUrl,
    ApiKey = "independent-check",
};

// Built apart from the declaration: whether a static factory's type is "apparent" is judged differently by the
// build's analyzer (IDE0007) and dotnet format (IDE0008); an explicit type for a non-apparent call satisfies both.
using TypedBatchClient client = Connect(options);

using var admin = new ServerAdmin(baseUrl);
var report = new Report();
var checks = new Checks(client.For<ICheckPrompts>(), admin, report);
await checks.RunAllAsync();
report.PrintTable();
return report.Failed ? 1 : 0;

static TypedBatchClient Connect(TypedBatchOptions options) => TypedBatchClient.Create(options);
