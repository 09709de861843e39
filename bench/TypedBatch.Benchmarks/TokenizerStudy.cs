using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Tokenizers;
using TypedBatch.Limits;

namespace TypedBatch.Benchmarks;

/// <summary>
/// The tokenizer study outside BenchmarkDotNet: the one-time cost of creating a tokenizer (cold, in a fresh process),
/// and the accuracy of the estimate, raw and corrected by usage as <see cref="RateLimitGate.LearnPromptTokens"/> does.
/// </summary>
internal static class TokenizerStudy
{
    private const int PerMessage = 4;
    private const int PerReply = 3;
    private const string SystemPrompt = "You are a helpful assistant. Answer briefly.";

    /// <summary>Creates one tokenizer in this (fresh) process and reports time, allocations and retained memory.</summary>
    public static void Load(string encoding)
    {
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetBefore = Environment.WorkingSet;
        var clock = Stopwatch.StartNew();
        Tokenizer tokenizer = Create(encoding);
        TimeSpan create = clock.Elapsed;
        clock.Restart();
        int first = tokenizer.CountTokens("Hello, world!");
        TimeSpan firstCount = clock.Elapsed;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        long retained = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        long workingSet = Environment.WorkingSet - workingSetBefore;
        clock.Restart();
        Tokenizer again = Create(encoding);
        TimeSpan second = clock.Elapsed;
        GC.KeepAlive(again);
        GC.KeepAlive(tokenizer);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {encoding} | {create.TotalMilliseconds:F0} ms | {firstCount.TotalMilliseconds:F1} ms | {allocated / 1048576.0:F1} MB | {retained / 1048576.0:F1} MB | {workingSet / 1048576.0:F1} MB | {second.TotalMilliseconds:F2} ms | {first} |"));
    }

    /// <summary>Exact o200k counts of a varied corpus against the estimate, raw and corrected; Markdown tables on stdout.</summary>
    public static void Accuracy(int count, int maxTokens)
    {
        Tokenizer o200k = Create("o200k");
        Tokenizer cl100k = Create("cl100k");

        // The recorded HelloWorldChat: prompt_tokens 11 for one user message "Hello, world!" on gpt-4o-mini.
        int hello = PerReply + PerMessage + o200k.CountTokens("Hello, world!");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Check against the recording: exact o200k chat count of \"Hello, world!\" = {hello} (server said 11); estimate = {TokenEstimator.EstimatePrompt([PromptMessage.User("Hello, world!")])}."));
        Console.WriteLine();

        List<(TextKind Kind, string Text)> corpus = Texts.Corpus(count, seed: 2025);
        var items = new List<Item>(corpus.Count);
        foreach ((TextKind kind, string text) in corpus)
        {
            PromptMessage[] messages = [PromptMessage.System(SystemPrompt), PromptMessage.User(text)];
            int exact = PerReply + messages.Sum(m => PerMessage + o200k.CountTokens(m.Content));
            int exactCl = PerReply + messages.Sum(m => PerMessage + cl100k.CountTokens(m.Content));
            items.Add(new Item(kind, text.Length, TokenEstimator.EstimatePrompt(messages), exact, exactCl, ScriptAwareEstimate(messages)));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Corpus: {items.Count} conversations (system + user), {items.Sum(i => i.Chars):N0} characters, {items.Sum(i => i.Exact):N0} exact o200k prompt tokens; user text {items.Min(i => i.Chars)}–{items.Max(i => i.Chars)} characters."));
        Console.WriteLine();

        // Mixed: one gate sees every kind in random order (a gate is per endpoint and model, so mixed prompts share it).
        // Per kind: a batch of one prompt template over similar inputs, so the gate only sees that kind.
        const int Shuffles = 50;
        var mixed = new Dictionary<Item, List<int>>();
        var perKind = new Dictionary<Item, List<int>>();
        var converged = new Dictionary<Item, List<int>>();
        var altMixed = new Dictionary<Item, List<int>>();
        var altConverged = new Dictionary<Item, List<int>>();
        var scriptMixed = new Dictionary<Item, List<int>>();
        var scriptConverged = new Dictionary<Item, List<int>>();
        var random = new Random(42);
        for (int s = 0; s < Shuffles; s++)
        {
            List<Item> order = Shuffle(items, random);
            Simulate(order, mixed);
            Simulate(order, altMixed, alternative: true);
            Simulate(order, scriptMixed, scriptAware: true);
            foreach (IGrouping<TextKind, Item> group in items.GroupBy(i => i.Kind))
            {
                Simulate(Shuffle(group.ToList(), random), perKind);

                // A long one-kind batch (300 draws), measured once the gate has learned from 30 items.
                var kindItems = group.ToList();
                var draws = Enumerable.Range(0, 300).Select(_ => kindItems[random.Next(kindItems.Count)]).ToList();
                Simulate(draws, converged, skip: 30);
                Simulate(draws, altConverged, skip: 30, alternative: true);
                Simulate(draws, scriptConverged, skip: 30, scriptAware: true);
            }
        }

        Console.WriteLine("Prompt-token error |estimate − exact| / exact against o200k (signed mean: + over-reserves, − under-reserves). " +
            $"Corrected = ceil(estimate × PromptCorrection) with the correction learned from the previous items' exact counts through a real RateLimitGate; {Shuffles} random orders.");
        Console.WriteLine();
        Console.WriteLine("| Kind | n | chars/token (o200k) | o200k/cl100k | Raw MAPE | Raw P95 | Raw bias | Corrected, mixed stream: MAPE | P95 | bias | Corrected, one-kind batch of 30: MAPE | P95 | bias | Corrected, one-kind batch after 30 items: MAPE | P95 | bias |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (IGrouping<TextKind, Item> group in items.GroupBy(i => i.Kind).OrderBy(g => g.Key))
        {
            WriteRow(group.Key.ToString(), group.ToList(), mixed, perKind, converged);
        }

        WriteRow("**All**", items, mixed, perKind, converged);
        Console.WriteLine();

        // What the TPM gate actually reserves: prompt + max_tokens.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Reservation error with max_tokens = {maxTokens} (reserved = corrected prompt + {maxTokens}, against exact prompt + {maxTokens}), mixed stream:"));
        Console.WriteLine();
        Console.WriteLine("| Kind | Raw MAPE | Corrected MAPE | Corrected P95 |");
        Console.WriteLine("|---|--:|--:|--:|");
        foreach (IGrouping<TextKind, Item> group in items.GroupBy(i => i.Kind).OrderBy(g => g.Key).Concat(items.GroupBy(_ => (TextKind)(-1))))
        {
            var list = group.ToList();
            double[] raw = list.Select(i => Math.Abs((double)(i.Estimate + maxTokens) - (i.Exact + maxTokens)) / (i.Exact + maxTokens)).ToArray();
            double[] corrected = list.SelectMany(i => mixed[i].Select(c => Math.Abs((double)(c + maxTokens) - (i.Exact + maxTokens)) / (i.Exact + maxTokens))).ToArray();
            string name = (int)group.Key < 0 ? "**All**" : group.Key.ToString();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Pct(raw.Average())} | {Pct(corrected.Average())} | {Pct(Percentile(corrected, 0.95))} |"));
        }

        Console.WriteLine();
        Console.WriteLine("Alternative correction (not in src): content-only, ratio of decayed sums — mixed stream, and one-kind batch after 30 items:");
        Console.WriteLine();
        Console.WriteLine("| Kind | Mixed MAPE | P95 | bias | One-kind after 30: MAPE | P95 | bias |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (IGrouping<TextKind, Item> group in items.GroupBy(i => i.Kind).OrderBy(g => g.Key))
        {
            WriteAlternativeRow(group.Key.ToString(), group.ToList(), altMixed, altConverged);
        }

        WriteAlternativeRow("**All**", items, altMixed, altConverged);
        Console.WriteLine();
        Console.WriteLine("Alternative estimate (not in src): script-aware character weights (ASCII 1/4, ASCII digit 0.4, CJK/kana/hangul 0.75, " +
            "other non-ASCII 0.5 per UTF-16 unit) + the same overhead, corrected by the library's RateLimitGate:");
        Console.WriteLine();
        Console.WriteLine("| Kind | Raw MAPE | Raw P95 | Raw bias | Mixed MAPE | P95 | bias | One-kind after 30: MAPE | P95 | bias |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (IGrouping<TextKind, Item> group in items.GroupBy(i => i.Kind).OrderBy(g => g.Key).Concat(items.GroupBy(_ => (TextKind)(-1))))
        {
            var list = group.ToList();
            double[] raw = list.Select(i => Error(i.ScriptEstimate, i.Exact)).ToArray();
            double rawBias = list.Average(i => Signed(i.ScriptEstimate, i.Exact));
            Console.Write(string.Create(CultureInfo.InvariantCulture,
                $"| {((int)group.Key < 0 ? "**All**" : group.Key.ToString())} | {Pct(raw.Average())} | {Pct(Percentile(raw, 0.95))} | {SignedPct(rawBias)} "));
            WriteAlternativeRow(string.Empty, list, scriptMixed, scriptConverged, continued: true);
        }

        Console.WriteLine();
        Console.WriteLine("By length (all kinds, raw estimate vs o200k):");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| User text | n | mean exact prompt tokens | Raw MAPE | Raw P95 | Corrected (mixed) MAPE | Raw reservation MAPE (+{maxTokens}) | Corrected reservation MAPE (+{maxTokens}) |"));
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach ((string label, int min, int max) in new[] { ("< 200 chars", 0, 200), ("200–2,000 chars", 200, 2000), ("> 2,000 chars", 2000, int.MaxValue) })
        {
            var list = items.Where(i => i.Chars >= min && i.Chars < max).ToList();
            double[] raw = list.Select(i => Error(i.Estimate, i.Exact)).ToArray();
            double[] corrected = list.SelectMany(i => mixed[i].Select(c => Error(c, i.Exact))).ToArray();
            double rawReservation = list.Average(i => Math.Abs((double)i.Estimate - i.Exact) / (i.Exact + maxTokens));
            double correctedReservation = list.SelectMany(i => mixed[i].Select(c => Math.Abs((double)c - i.Exact) / (i.Exact + maxTokens))).Average();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | {list.Count} | {list.Average(i => i.Exact):F0} | {Pct(raw.Average())} | {Pct(Percentile(raw, 0.95))} | {Pct(corrected.Average())} | {Pct(rawReservation)} | {Pct(correctedReservation)} |"));
        }
    }

    private static void Simulate(List<Item> order, Dictionary<Item, List<int>> corrected, int skip = 0, bool alternative = false, bool scriptAware = false)
    {
        if (alternative)
        {
            SimulateContentCorrection(order, corrected, skip);
            return;
        }

        var gate = new RateLimitGate();
        for (int i = 0; i < order.Count; i++)
        {
            Item item = order[i];
            int raw = scriptAware ? item.ScriptEstimate : item.Estimate;
            int estimate = TokenEstimator.Reservation(raw, maxTokens: null, gate.PromptCorrection);
            if (!corrected.TryGetValue(item, out List<int>? list))
            {
                corrected[item] = list = [];
            }

            if (i >= skip)
            {
                list.Add(estimate);
            }

            gate.LearnPromptTokens(raw, item.Exact);   // the server's usage.prompt_tokens
        }
    }

    /// <summary>
    /// An alternative, not in src: correct only the content part (estimate minus the fixed chat overhead), with the
    /// ratio of exponentially decayed sums (so long prompts weigh more than short ones), same 0.1 rate.
    /// </summary>
    private static void SimulateContentCorrection(List<Item> order, Dictionary<Item, List<int>> corrected, int skip)
    {
        const int Overhead = PerReply + (2 * PerMessage);
        double actualSum = 0, estimateSum = 0, correction = 1.0;
        for (int i = 0; i < order.Count; i++)
        {
            Item item = order[i];
            int content = item.Estimate - Overhead;
            if (!corrected.TryGetValue(item, out List<int>? list))
            {
                corrected[item] = list = [];
            }

            if (i >= skip)
            {
                list.Add(Overhead + (int)Math.Ceiling(content * correction));
            }

            actualSum = (0.9 * actualSum) + (item.Exact - Overhead);
            estimateSum = (0.9 * estimateSum) + content;
            correction = Math.Clamp(actualSum / estimateSum, 0.25, 4.0);
        }
    }

    private static void WriteAlternativeRow(string name, List<Item> list, Dictionary<Item, List<int>> mixed, Dictionary<Item, List<int>> converged, bool continued = false)
    {
        double[] m = list.SelectMany(i => mixed[i].Select(c => Error(c, i.Exact))).ToArray();
        double mb = list.SelectMany(i => mixed[i].Select(c => Signed(c, i.Exact))).Average();
        double[] k = list.SelectMany(i => converged[i].Select(c => Error(c, i.Exact))).ToArray();
        double kb = list.SelectMany(i => converged[i].Select(c => Signed(c, i.Exact))).Average();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(continued ? "" : "| " + name + " ")}| {Pct(m.Average())} | {Pct(Percentile(m, 0.95))} | {SignedPct(mb)} | {Pct(k.Average())} | {Pct(Percentile(k, 0.95))} | {SignedPct(kb)} |"));
    }

    private static void WriteRow(string name, List<Item> list, Dictionary<Item, List<int>> mixed, Dictionary<Item, List<int>> perKind, Dictionary<Item, List<int>> converged)
    {
        double[] convergedErrors = list.SelectMany(i => converged[i].Select(c => Error(c, i.Exact))).ToArray();
        double convergedBias = list.SelectMany(i => converged[i].Select(c => Signed(c, i.Exact))).Average();
        double[] raw = list.Select(i => Error(i.Estimate, i.Exact)).ToArray();
        double rawBias = list.Average(i => Signed(i.Estimate, i.Exact));
        double[] mixedErrors = list.SelectMany(i => mixed[i].Select(c => Error(c, i.Exact))).ToArray();
        double mixedBias = list.SelectMany(i => mixed[i].Select(c => Signed(c, i.Exact))).Average();
        double[] kindErrors = list.SelectMany(i => perKind[i].Select(c => Error(c, i.Exact))).ToArray();
        double kindBias = list.SelectMany(i => perKind[i].Select(c => Signed(c, i.Exact))).Average();
        double charsPerToken = list.Sum(i => i.Chars) / (double)list.Sum(i => i.Exact - PerReply - (2 * PerMessage));
        double ratioCl = list.Sum(i => i.Exact) / (double)list.Sum(i => i.ExactCl100k);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {list.Count} | {charsPerToken:F2} | {ratioCl:F2} | {Pct(raw.Average())} | {Pct(Percentile(raw, 0.95))} | {SignedPct(rawBias)} | {Pct(mixedErrors.Average())} | {Pct(Percentile(mixedErrors, 0.95))} | {SignedPct(mixedBias)} | {Pct(kindErrors.Average())} | {Pct(Percentile(kindErrors, 0.95))} | {SignedPct(kindBias)} | {Pct(convergedErrors.Average())} | {Pct(Percentile(convergedErrors, 0.95))} | {SignedPct(convergedBias)} |"));
    }

    /// <summary>A cheap script-aware estimate: one pass over the characters, no vocabulary.</summary>
    internal static int ScriptAwareEstimate(IReadOnlyList<PromptMessage> messages)
    {
        double total = PerReply;
        foreach (PromptMessage message in messages)
        {
            double tokens = 0;
            foreach (char c in message.Content)
            {
                tokens += c switch
                {
                    >= '0' and <= '9' => 0.4,
                    < '\u0080' => 0.25,
                    (>= '\u2E80' and <= '\u9FFF') or (>= '\uAC00' and <= '\uD7AF') or (>= '\uF900' and <= '\uFAFF') or (>= '\uFF00' and <= '\uFFEF') => 0.75,
                    _ => 0.5,
                };
            }

            total += PerMessage + Math.Ceiling(tokens);
        }

        return (int)Math.Min(total, int.MaxValue);
    }

    private static TiktokenTokenizer Create(string encoding) => encoding switch
    {
        "o200k" => TiktokenTokenizer.CreateForModel("gpt-4o"),
        "cl100k" => TiktokenTokenizer.CreateForEncoding("cl100k_base"),
        _ => throw new ArgumentException($"Unknown encoding '{encoding}': o200k or cl100k.", nameof(encoding)),
    };

    private static double Error(int estimate, int exact) => Math.Abs(estimate - exact) / (double)exact;

    private static double Signed(int estimate, int exact) => (estimate - exact) / (double)exact;

    private static double Percentile(double[] values, double p)
    {
        double[] sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static string Pct(double value) => (value * 100).ToString("F1", CultureInfo.InvariantCulture) + " %";

    private static string SignedPct(double value) => (value >= 0 ? "+" : "−") + Pct(Math.Abs(value));

    private static List<Item> Shuffle(List<Item> items, Random random)
    {
        Item[] copy = [.. items];
        random.Shuffle(copy);
        return [.. copy];
    }

    private sealed record Item(TextKind Kind, int Chars, int Estimate, int Exact, int ExactCl100k, int ScriptEstimate)
    {
        // Identity, not value equality: two texts may share every number.
        public bool Equals(Item? other) => ReferenceEquals(this, other);

        public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
    }
}
