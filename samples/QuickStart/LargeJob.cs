using System.Globalization;
using Spectre.Console;
using TypedBatch;

namespace QuickStart;

/// <summary>
/// The fifth part of the quick start: a batch large enough to watch. A live progress bar (Spectre.Console, in this
/// sample only) fed by <see cref="BatchOptions.Progress"/>, a budget, and identical reviews sent once. When the output is
/// redirected (CI, a file, a pipe) the bar becomes a plain line a second.
/// </summary>
internal static class LargeJob
{
    private static readonly string[] Subjects = ["plot", "cast", "soundtrack", "ending", "pacing", "dialogue", "camera work", "villain", "script", "humour", "finale", "lead actor", "set design", "first act", "twist"];
    private static readonly string[] Verdicts = ["wonderful", "dull", "uneven", "gripping", "clumsy", "moving", "forgettable", "brilliant", "confusing", "charming", "tedious", "bold", "flat", "sharp", "messy"];
    private static readonly string[] Endings = [".", "!", ", honestly.", ", I think.", " overall.", " from start to finish.", ", mostly.", ", sadly.", ", thankfully.", " at times.", " for me.", ", no doubt.", ", as expected.", ", surprisingly.", " in the end."];

    /// <summary>Classifies <paramref name="count"/> reviews, 1 in 50 posted twice, under a budget, with a live bar.</summary>
    public static async Task<BatchResult<Sentiment>> ClassifyReviewsAsync(IAssistant assistant, int count, decimal budget)
    {
        Console.WriteLine($"\n=== 5. A large job: {count:N0} reviews with a live progress bar, a budget of ${budget} and duplicates sent once ===");
        List<string> reviews = Reviews(count);
        var options = new BatchOptions
        {
            MaxConcurrency = 64,
            MaxTokens = 10,     // a label is one or two tokens; the budget reserves MaxTokens of output per request
            MaxCost = budget,   // no request starts that could take the batch past it
        };

        BatchResult<Sentiment> result;
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            result = await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new SpinnerColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    ProgressTask bar = context.AddTask("starting", maxValue: count);
                    using var live = new ConsoleOutput.LiveScope();
                    return await assistant.ClassifyBatchAsync(reviews, options with
                    {
                        Progress = new Handler(p =>
                        {
                            bar.Value = p.Completed;
                            bar.Description = Markup.Escape(Describe(p));
                        }),
                    });
                });
        }
        else
        {
            long lastLine = 0;
            result = await assistant.ClassifyBatchAsync(reviews, options with
            {
                Progress = new Handler(p =>
                {
                    // Reports come at most every 100 ms; a redirected log gets one line a second and the last one.
                    long now = Environment.TickCount64;
                    if (now - lastLine >= 1_000 || p.Completed == count)
                    {
                        lastLine = now;
                        Console.WriteLine($"  progress {p.Completed * 100 / Math.Max(1, count),3} %  {Describe(p)}");
                    }
                }),
            });
        }

        int positive = result.Count(item => item is { Succeeded: true, Value: Sentiment.Positive });
        int negative = result.Count(item => item is { Succeeded: true, Value: Sentiment.Negative });
        int mixed = result.Count(item => item is { Succeeded: true, Value: Sentiment.Mixed });
        Console.WriteLine($"  {positive:N0} positive, {negative:N0} negative, {mixed:N0} mixed; {result.FailedCount:N0} failed ({result.Count(item => item.Error?.Kind == BatchErrorKind.BudgetExceeded):N0} over the budget); {result.DuplicateCount:N0} duplicates answered once");
        return result;
    }

    /// <summary>What the bar says: counts, rate, tokens, cost so far and the time left.</summary>
    private static string Describe(BatchProgress p)
    {
        string cost = p.Cost is { } spent ? "$" + spent.ToString("0.0000", CultureInfo.InvariantCulture) : "cost unknown";
        string eta = p.EstimatedRemaining is { } left ? $"{left.TotalSeconds:0}s left" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.Completed:N0}/{p.Total:N0} done · {p.Failed} failed · {p.InFlight,2} in flight · {p.ItemsPerSecond,5:0}/s · {p.Usage.TotalTokens:N0} tokens · {cost} · {eta}");
    }

    /// <summary>Film reviews, all different but one in fifty a repeat of an earlier one (the same review posted twice).</summary>
    private static List<string> Reviews(int count)
    {
        var reviews = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            int n = i % 50 == 49 ? i - 25 : i;
            reviews.Add($"The {Subjects[n % Subjects.Length]} was {Verdicts[n / Subjects.Length % Verdicts.Length]}{Endings[n / (Subjects.Length * Verdicts.Length) % Endings.Length]}");
        }

        return reviews;
    }

    /// <summary>Runs the handler on the batch's thread, at once (a <see cref="Progress{T}"/> would post it to the thread pool).</summary>
    private sealed class Handler(Action<BatchProgress> report) : IProgress<BatchProgress>
    {
        public void Report(BatchProgress value) => report(value);
    }
}
