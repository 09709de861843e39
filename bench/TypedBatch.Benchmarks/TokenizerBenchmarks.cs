using BenchmarkDotNet.Attributes;
using Microsoft.ML.Tokenizers;
using TypedBatch.Limits;

namespace TypedBatch.Benchmarks;

/// <summary>The length of a benchmark text.</summary>
public enum TextSize
{
    /// <summary>About 50 characters.</summary>
    Chars50 = 50,

    /// <summary>About 1 KB.</summary>
    Chars1K = 1024,

    /// <summary>About 16 KB.</summary>
    Chars16K = 16384,
}

/// <summary>
/// Prompt tokens of one user message: the estimate TypedBatch reserves with (chars/4 + 4 per message + 3) against an
/// exact count with the o200k (gpt-4o) and cl100k (gpt-4) tokenizers plus the same chat overhead. Tokenizers are
/// created once in setup (their cost is measured by the <c>load</c> command).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class TokenCount
{
    private const int ChatOverhead = 4 + 3;

    private Tokenizer _o200k = null!;
    private Tokenizer _cl100k = null!;
    private PromptMessage[] _messages = null!;
    private string _text = null!;

    [Params(TextKind.Prose, TextKind.Code, TextKind.Chinese)]
    public TextKind Kind { get; set; }

    [Params(TextSize.Chars50, TextSize.Chars1K, TextSize.Chars16K)]
    public TextSize Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _o200k = TiktokenTokenizer.CreateForModel("gpt-4o");
        _cl100k = TiktokenTokenizer.CreateForEncoding("cl100k_base");
        _text = Texts.Make(Kind, (int)Size, seed: 7);
        _messages = [PromptMessage.User(_text)];
    }

    [Benchmark(Baseline = true, Description = "TokenEstimator.EstimatePrompt")]
    public int Estimate() => TokenEstimator.EstimatePrompt(_messages);

    [Benchmark(Description = "Script-aware estimate (study, not in src)")]
    public int ScriptAware() => TokenizerStudy.ScriptAwareEstimate(_messages);

    [Benchmark(Description = "o200k CountTokens")]
    public int O200k() => ChatOverhead + _o200k.CountTokens(_messages[0].Content);

    [Benchmark(Description = "cl100k CountTokens")]
    public int Cl100k() => ChatOverhead + _cl100k.CountTokens(_messages[0].Content);
}
