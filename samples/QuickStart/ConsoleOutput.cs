using System.Globalization;
using Spectre.Console;
using TypedBatch;

namespace QuickStart;

/// <summary>
/// Where the sample's output goes, and its closing summary table. While a live progress bar is on screen, log lines are
/// written through Spectre.Console, which keeps them above the bar; otherwise straight to the console.
/// </summary>
internal static class ConsoleOutput
{
    private static readonly List<Row> Rows = [];
    private static int _live;

    /// <summary>Whether a live display is on screen now.</summary>
    public static bool Live => Volatile.Read(ref _live) != 0;

    /// <summary>Writes one line, above the live display if there is one.</summary>
    public static void WriteLine(string line)
    {
        if (Live)
        {
            AnsiConsole.WriteLine(line);
        }
        else
        {
            Console.Out.WriteLine(line);
        }
    }

    /// <summary>Keeps one batch's figures for the closing table.</summary>
    public static void Record<T>(string name, BatchResult<T> result)
        => Record(name, result.Count, result.SucceededCount, result.DuplicateCount, result.Sum(item => Math.Max(0, item.Attempts - 1)), result.Elapsed, result.Usage, result.Cost);

    /// <summary>Keeps one batch's figures for the closing table (an as-completed stream has no result object).</summary>
    public static void Record(string name, int items, int succeeded, int duplicates, int retries, TimeSpan elapsed, TokenUsage usage, decimal? cost)
    {
        lock (Rows)
        {
            Rows.Add(new Row(name, items, succeeded, duplicates, retries, elapsed, usage, cost));
        }
    }

    /// <summary>The closing table: a Spectre.Console table on a terminal, aligned plain lines when redirected.</summary>
    public static void WriteSummaryTable()
    {
        string[] headers = ["batch", "items", "ok", "failed", "dupes", "retries", "time", "items/s", "tokens", "cost"];
        var cells = Rows.Select(r => new[]
        {
            r.Name,
            Number(r.Items),
            Number(r.Succeeded),
            Number(r.Items - r.Succeeded),
            Number(r.Duplicates),
            Number(r.Retries),
            string.Create(CultureInfo.InvariantCulture, $"{r.Elapsed.TotalSeconds:0.00}s"),
            string.Create(CultureInfo.InvariantCulture, $"{(r.Elapsed > TimeSpan.Zero ? r.Items / r.Elapsed.TotalSeconds : 0):0.0}"),
            Number(r.Usage.TotalTokens),
            Cost(r.Cost),
        }).ToList();
        TokenUsage usage = default;
        decimal? total = 0m;
        foreach (Row row in Rows)
        {
            usage += row.Usage;
            total = total is null || row.Cost is null ? null : total + row.Cost;
        }

        string[] footer = ["total", Number(Rows.Sum(r => r.Items)), Number(Rows.Sum(r => r.Succeeded)), Number(Rows.Sum(r => r.Items - r.Succeeded)),
            Number(Rows.Sum(r => r.Duplicates)), Number(Rows.Sum(r => r.Retries)),
            string.Create(CultureInfo.InvariantCulture, $"{Rows.Sum(r => r.Elapsed.TotalSeconds):0.00}s"), "", Number(usage.TotalTokens), Cost(total)];

        Console.WriteLine("\n=== Summary ===");
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            Table table = new Table().Border(TableBorder.Rounded);
            for (int i = 0; i < headers.Length; i++)
            {
                var column = new TableColumn(headers[i]);
                table.AddColumn(i == 0 ? column : column.RightAligned());
            }

            foreach (string[] row in cells)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }

            table.AddRow(footer.Select(cell => $"[bold]{Markup.Escape(cell)}[/]").ToArray());
            AnsiConsole.Write(table);
            return;
        }

        // Plain, aligned lines: readable in a CI log or a file, and easy to grep.
        int[] widths = headers.Select((h, i) => cells.Append(footer).Select(row => row[i].Length).Append(h.Length).Max()).ToArray();
        foreach (string[] row in cells.Prepend(headers).Append(footer))
        {
            Console.WriteLine("  " + string.Join("  ", row.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))));
        }
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Cost(decimal? cost) => cost is { } known ? "$" + known.ToString("0.0000", CultureInfo.InvariantCulture) : "unknown";

    /// <summary>While alive, log lines go through Spectre.Console so that they do not tear the live display.</summary>
    public sealed class LiveScope : IDisposable
    {
        public LiveScope() => Interlocked.Increment(ref _live);

        public void Dispose() => Interlocked.Decrement(ref _live);
    }

    private sealed record Row(string Name, int Items, int Succeeded, int Duplicates, int Retries, TimeSpan Elapsed, TokenUsage Usage, decimal? Cost);
}
