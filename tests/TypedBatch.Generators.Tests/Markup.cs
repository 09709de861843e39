using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.Text;

namespace TypedBatch.Generators.Tests;

/// <summary>An expected diagnostic: its ID and where the squiggle goes.</summary>
internal sealed record ExpectedSpan(string? Id, TextSpan Span);

/// <summary>
/// Test source with marked spans, in the Roslyn testing style: <c>[|text|]</c> marks a span, <c>{|TB0003:text|}</c>
/// marks a span with the diagnostic ID expected there. The markers are removed from <see cref="Source"/>.
/// </summary>
internal sealed partial class Markup
{
    private Markup(string source, IReadOnlyList<ExpectedSpan> spans)
    {
        Source = source;
        Spans = spans;
    }

    public string Source { get; }

    public IReadOnlyList<ExpectedSpan> Spans { get; }

    public static Markup Parse(string markup)
    {
        var source = new StringBuilder(markup.Length);
        var open = new Stack<(string? Id, int Start)>();
        var spans = new List<ExpectedSpan>();
        int i = 0;
        while (i < markup.Length)
        {
            if (Starts(markup, i, "[|"))
            {
                open.Push((null, source.Length));
                i += 2;
            }
            else if (OpenWithId().Match(markup, i) is { Success: true } match && match.Index == i)
            {
                open.Push((match.Groups[1].Value, source.Length));
                i += match.Length;
            }
            else if (Starts(markup, i, "|]") || Starts(markup, i, "|}"))
            {
                if (open.Count == 0)
                {
                    throw new FormatException($"Closing marker at {i} without an opening one.");
                }

                (string? id, int start) = open.Pop();
                bool closesId = markup[i + 1] == '}';
                if (closesId != (id is not null))
                {
                    throw new FormatException($"Marker closed at {i} does not match its opening.");
                }

                spans.Add(new ExpectedSpan(id, TextSpan.FromBounds(start, source.Length)));
                i += 2;
            }
            else
            {
                source.Append(markup[i]);
                i++;
            }
        }

        if (open.Count > 0)
        {
            throw new FormatException("Unclosed marker.");
        }

        return new Markup(source.ToString(), spans.OrderBy(s => s.Span.Start).ToList());
    }

    private static bool Starts(string text, int index, string value) => string.CompareOrdinal(text, index, value, 0, value.Length) == 0;

    [GeneratedRegex(@"\G\{\|([A-Za-z]+[0-9]+):")]
    private static partial Regex OpenWithId();
}
