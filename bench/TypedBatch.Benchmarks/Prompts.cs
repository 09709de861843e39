using System.ComponentModel;
using System.Text.Json.Serialization;

namespace TypedBatch.Benchmarks;

/// <summary>How urgent a ticket is.</summary>
public enum Priority
{
    Low,
    Normal,
    High,
    Urgent,
}

/// <summary>The typed result the benchmarks parse: a record with an enum, a list and a bool.</summary>
public sealed record TicketSummary(
    [property: Description("One of billing, bug, account, feature, other.")] string Category,
    Priority Priority,
    [property: Description("One sentence.")] string Summary,
    IReadOnlyList<string> Tags,
    bool NeedsHuman);

/// <summary>Source-generated metadata for the typed result, as a prompt client's JsonContext.</summary>
[JsonSerializable(typeof(TicketSummary))]
internal sealed partial class BenchJson : JsonSerializerContext;

/// <summary>
/// A typical prompt: a system message with one placeholder and a user message with a formatted date and the ticket
/// text. The generator writes <c>RenderSummarize(product, opened, text)</c>.
/// </summary>
[PromptClient(Model = "gpt-4o-mini", JsonContext = typeof(BenchJson))]
public partial interface ITicketTriage
{
    [System("You are a support triage assistant for {product}. Classify the ticket, rate its priority and summarize it in one sentence.")]
    [User("Ticket opened {opened:yyyy-MM-dd HH:mm} UTC:\n{text}")]
    [Completion(Temperature = 0, MaxTokens = 200)]
    Task<TicketSummary> SummarizeAsync(string product, DateTime opened, string text, CancellationToken cancellationToken = default);
}

/// <summary>
/// What peers do: the template is kept as text and substituted at run time from a dictionary of boxed values
/// (<c>{name}</c> and <c>{name:format}</c>, invariant culture), or formatted with <see cref="string.Format(IFormatProvider, string, object[])"/>.
/// </summary>
internal static class RuntimeTemplate
{
    public const string SystemTemplate = "You are a support triage assistant for {product}. Classify the ticket, rate its priority and summarize it in one sentence.";
    public const string UserTemplate = "Ticket opened {opened:yyyy-MM-dd HH:mm} UTC:\n{text}";

    public const string SystemFormat = "You are a support triage assistant for {0}. Classify the ticket, rate its priority and summarize it in one sentence.";
    public const string UserFormat = "Ticket opened {0:yyyy-MM-dd HH:mm} UTC:\n{1}";

    /// <summary>Renders both messages from a dictionary built per call, as a runtime template engine is used.</summary>
    public static PromptMessage[] RenderWithDictionary(string product, DateTime opened, string text)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["product"] = product,
            ["opened"] = opened,
            ["text"] = text,
        };
        return [PromptMessage.System(Substitute(SystemTemplate, values)), PromptMessage.User(Substitute(UserTemplate, values))];
    }

    /// <summary>Renders both messages with positional composite formatting (parsed on every call, as peers do).</summary>
#pragma warning disable CA1863 // The baseline deliberately parses the format string per call.
    public static PromptMessage[] RenderWithStringFormat(string product, DateTime opened, string text)
        => [PromptMessage.System(string.Format(global::System.Globalization.CultureInfo.InvariantCulture, SystemFormat, product)),
            PromptMessage.User(string.Format(global::System.Globalization.CultureInfo.InvariantCulture, UserFormat, opened, text))];
#pragma warning restore CA1863

    /// <summary>Parses the template at run time: <c>{{</c>/<c>}}</c> escapes, <c>{name}</c>, <c>{name:format}</c>.</summary>
    public static string Substitute(string template, IReadOnlyDictionary<string, object?> values)
    {
        var builder = new global::System.Text.StringBuilder(template.Length + 64);
        int i = 0;
        while (i < template.Length)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                builder.Append('{');
                i += 2;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                builder.Append('}');
                i += 2;
            }
            else if (c == '{')
            {
                int close = template.IndexOf('}', i + 1);
                if (close < 0)
                {
                    throw new FormatException($"Unclosed placeholder at {i}.");
                }

                string hole = template.Substring(i + 1, close - i - 1);
                int colon = hole.IndexOf(':', StringComparison.Ordinal);
                string name = colon < 0 ? hole : hole[..colon];
                string? format = colon < 0 ? null : hole[(colon + 1)..];
                if (!values.TryGetValue(name, out object? value))
                {
                    throw new KeyNotFoundException($"No value for '{name}'.");
                }

                builder.Append(value switch
                {
                    null => string.Empty,
                    IFormattable formattable => formattable.ToString(format, global::System.Globalization.CultureInfo.InvariantCulture),
                    _ => value.ToString(),
                });
                i = close + 1;
            }
            else
            {
                builder.Append(c);
                i++;
            }
        }

        return builder.ToString();
    }
}
