using System.Diagnostics;
using System.Globalization;

namespace IndependentCheck;

/// <summary>A check's failure, with what was expected and what the server or the SDK gave instead.</summary>
internal sealed class CheckFailedException(string message) : Exception(message);

/// <summary>The PASS / FAIL / NOTE rows of the run, printed as each check ends and again as a table at the end.</summary>
internal sealed class Report
{
    private readonly List<(string Name, string Outcome, string Detail, TimeSpan Took)> _rows = [];

    public bool Failed => _rows.Exists(r => r.Outcome == "FAIL");

    /// <summary>Throws <see cref="CheckFailedException"/> with the message when the condition does not hold.</summary>
    public static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new CheckFailedException(message);
        }
    }

    /// <summary>
    /// Runs one check: PASS with the detail it returns, FAIL with the failed expectation or with any exception the SDK
    /// or the server threw (its type and message are the row's detail, nothing is swallowed).
    /// </summary>
    public async Task RunAsync(string name, Func<Task<string>> check)
    {
        long start = Stopwatch.GetTimestamp();
        string outcome;
        string detail;
        try
        {
            detail = await check();
            outcome = "PASS";
        }
        catch (CheckFailedException failed)
        {
            detail = failed.Message;
            outcome = "FAIL";
        }
        catch (Exception unexpected) when (unexpected is not OutOfMemoryException)
        {
            detail = $"{unexpected.GetType().Name}: {unexpected.Message}";
            outcome = "FAIL";
            Console.Error.WriteLine(unexpected);
        }

        Add(name, outcome, detail, Stopwatch.GetElapsedTime(start));
    }

    /// <summary>A row that is reported but does not fail the run (a known difference or a known open issue).</summary>
    public void Note(string name, string detail) => Add(name, "NOTE", detail, TimeSpan.Zero);

    private void Add(string name, string outcome, string detail, TimeSpan took)
    {
        _rows.Add((name, outcome, detail, took));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{outcome}] {name} ({took.TotalSeconds:F1} s): {detail}"));
    }

    public void PrintTable()
    {
        int width = _rows.Max(r => r.Name.Length);
        Console.WriteLine();
        Console.WriteLine($"{"Check".PadRight(width)} | Result | Seconds");
        Console.WriteLine($"{new string('-', width)} | ------ | -------");
        foreach ((string name, string outcome, _, TimeSpan took) in _rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name.PadRight(width)} | {outcome,-6} | {took.TotalSeconds,7:F1}"));
        }

        int passed = _rows.Count(r => r.Outcome == "PASS");
        int failed = _rows.Count(r => r.Outcome == "FAIL");
        int notes = _rows.Count(r => r.Outcome == "NOTE");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{passed} passed, {failed} failed, {notes} noted"));
    }
}
