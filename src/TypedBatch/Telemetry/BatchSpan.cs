using System.Diagnostics;
using System.Globalization;

namespace TypedBatch;

/// <summary>The <c>typedbatch.batch</c> span of a batch and its per-item metrics (<c>typedbatch.items</c>, <c>typedbatch.cost</c>).</summary>
internal static class BatchSpan
{
    /// <summary>Starts the batch's span (null when nobody listens); the provider calls of its workers become its children.</summary>
    public static Activity? Start(BatchPlan plan, int size)
    {
        Activity? span = TypedBatchTelemetry.Source.StartActivity("typedbatch.batch", ActivityKind.Internal);
        if (span is null)
        {
            return null;
        }

        span.SetTag("typedbatch.operation", plan.Operation);
        span.SetTag("typedbatch.batch.mode", plan.Mode == BatchMode.Deferred ? "deferred" : "live");
        span.SetTag("gen_ai.request.model", plan.Model);
        span.SetTag("typedbatch.provider", plan.Provider);
        if (size >= 0)
        {
            span.SetTag("typedbatch.batch.size", size);
        }

        return span;
    }

    /// <summary>Ends the batch's span with what it delivered, failed and cost.</summary>
    public static void Finish(Activity? span, BatchRunner.IRunStatistics run, bool cancelled)
    {
        if (span is null)
        {
            return;
        }

        span.SetTag("typedbatch.batch.items", run.Completed);
        span.SetTag("typedbatch.batch.delivered", run.Succeeded);
        span.SetTag("typedbatch.batch.failed", run.Completed - run.Succeeded);
        span.SetTag("typedbatch.batch.from_journal", run.FromJournal);
        if (run.Cost is { } cost)
        {
            span.SetTag("typedbatch.batch.cost", (double)cost);
        }

        if (cancelled)
        {
            span.SetStatus(ActivityStatusCode.Error, "cancelled");
            span.SetTag("error.type", "cancelled");
        }
    }

    /// <summary>Counts a finished item of a batch by outcome, and what it cost (a sub-run's items are counted by the batch that reports them).</summary>
    public static void Count(BatchPlan plan, BatchError? error, decimal? cost)
    {
        if (!plan.Logged)
        {
            return;
        }

        if (TypedBatchTelemetry.Items.Enabled)
        {
            TypedBatchTelemetry.Items.Add(1,
                new KeyValuePair<string, object?>("typedbatch.operation", plan.Operation),
                new KeyValuePair<string, object?>("gen_ai.request.model", plan.Model),
                new KeyValuePair<string, object?>("typedbatch.outcome", error is null ? "succeeded" : "failed"),
                new KeyValuePair<string, object?>("error.type", error is null ? null : ErrorType(error.Kind)));
        }

        if (cost is > 0m && TypedBatchTelemetry.Cost.Enabled)
        {
            TypedBatchTelemetry.Cost.Add((double)cost.Value,
                new KeyValuePair<string, object?>("typedbatch.operation", plan.Operation),
                new KeyValuePair<string, object?>("gen_ai.request.model", plan.Model));
        }
    }

    private static readonly string[] ErrorTypes = Array.ConvertAll(Enum.GetValues<BatchErrorKind>(), SnakeCase);

    /// <summary>The <c>error.type</c> of an error kind: its name in snake case (<c>rate_limited</c>, <c>budget_exceeded</c>), made once per kind.</summary>
    public static string ErrorType(BatchErrorKind kind) => (uint)kind < (uint)ErrorTypes.Length ? ErrorTypes[(int)kind] : SnakeCase(kind);

    private static string SnakeCase(BatchErrorKind kind)
    {
        string name = kind.ToString();
        var text = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLower(name[i], CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
