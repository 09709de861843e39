using System.Globalization;
using BenchmarkDotNet.Running;
using TypedBatch.Benchmarks;

// dotnet run -c Release --project bench/TypedBatch.Benchmarks -- --filter '*'    BenchmarkDotNet (any BDN arguments)
// dotnet run -c Release --project bench/TypedBatch.Benchmarks -- accuracy        estimate vs exact o200k on ~200 texts
// dotnet run -c Release --project bench/TypedBatch.Benchmarks -- load o200k      one-time tokenizer cost (fresh process)
// dotnet run -c Release --project bench/TypedBatch.Benchmarks -- verify          baselines produce the same messages and JSON
// dotnet run -c Release --project bench/TypedBatch.Benchmarks -- journal         per-item journal cost (fingerprint, mask, append)
switch (args)
{
    case ["accuracy", ..]:
        TokenizerStudy.Accuracy(
            count: args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 210,
            maxTokens: args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200);
        break;
    case ["load", string encoding]:
        TokenizerStudy.Load(encoding);
        break;
    case ["verify"]:
        Payloads.Verify();
        break;
    case ["journal", .. string[] rest]:
        BenchmarkSwitcher.FromAssembly(typeof(Render).Assembly).Run(["--filter", "*JournalAppend*", .. rest]);
        break;
    default:
        Payloads.Verify();
        BenchmarkSwitcher.FromAssembly(typeof(Render).Assembly).Run(args);
        break;
}
