using System.Collections.Generic;
using System.Text;

namespace TypedBatch.Generators.Parsing;

/// <summary>One piece of a parsed template, with its position in the template text.</summary>
internal readonly struct TemplatePart
{
    public TemplatePart(string literal)
    {
        Literal = literal;
        Path = null;
        Format = null;
        Start = 0;
        Length = 0;
    }

    public TemplatePart(string[] path, string? format, int start, int length)
    {
        Literal = null;
        Path = path;
        Format = format;
        Start = start;
        Length = length;
    }

    /// <summary>The text, for a literal part.</summary>
    public string? Literal { get; }

    /// <summary>The placeholder's name and member path (<c>doc.Title</c> → <c>["doc", "Title"]</c>).</summary>
    public string[]? Path { get; }

    public string? Format { get; }

    /// <summary>Where the placeholder starts in the template, braces included.</summary>
    public int Start { get; }

    public int Length { get; }

    public bool IsLiteral => Literal is not null;

    public string PlaceholderText => Path is null ? string.Empty : string.Join(".", Path) + (Format is null ? string.Empty : ":" + Format);
}

/// <summary>A template error and where it is in the template text.</summary>
internal readonly struct TemplateError
{
    public TemplateError(string message, int start, int length)
    {
        Message = message;
        Start = start;
        Length = length;
    }

    public string Message { get; }

    public int Start { get; }

    public int Length { get; }
}

/// <summary>
/// Parses <c>{name}</c>, <c>{name.Property.Sub}</c>, <c>{name:format}</c>, <c>{{</c> and <c>}}</c> at compile time.
/// Knows nothing of symbols: names are checked against parameters by the caller.
/// </summary>
internal static class TemplateParser
{
    public static List<TemplatePart> Parse(string template, List<TemplateError> errors)
    {
        var parts = new List<TemplatePart>();
        var literal = new StringBuilder();
        int i = 0;
        while (i < template.Length)
        {
            char c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{')
            {
                literal.Append('{');
                i += 2;
            }
            else if (c == '}' && i + 1 < template.Length && template[i + 1] == '}')
            {
                literal.Append('}');
                i += 2;
            }
            else if (c == '}')
            {
                errors.Add(new TemplateError("unbalanced '}' (write '}}' for a literal brace)", i, 1));
                i++;
            }
            else if (c == '{')
            {
                int close = template.IndexOf('}', i + 1);
                int nextOpen = template.IndexOf('{', i + 1);
                if (close < 0 || (nextOpen >= 0 && nextOpen < close))
                {
                    errors.Add(new TemplateError("unbalanced '{' (write '{{' for a literal brace)", i, 1));
                    i++;
                    continue;
                }

                if (literal.Length > 0)
                {
                    parts.Add(new TemplatePart(literal.ToString()));
                    literal.Clear();
                }

                string body = template.Substring(i + 1, close - i - 1);
                if (ParsePlaceholder(body, out string[]? path, out string? format, out string? problem))
                {
                    parts.Add(new TemplatePart(path!, format, i, close - i + 1));
                }
                else
                {
                    errors.Add(new TemplateError(problem!, i, close - i + 1));
                }

                i = close + 1;
            }
            else
            {
                literal.Append(c);
                i++;
            }
        }

        if (literal.Length > 0)
        {
            parts.Add(new TemplatePart(literal.ToString()));
        }

        return parts;
    }

    private static bool ParsePlaceholder(string body, out string[]? path, out string? format, out string? problem)
    {
        path = null;
        format = null;
        problem = null;
        if (body.Length == 0)
        {
            problem = "empty placeholder '{}'";
            return false;
        }

        string name = body;
        int colon = body.IndexOf(':');
        if (colon >= 0)
        {
            name = body.Substring(0, colon);
            format = body.Substring(colon + 1);
            if (format.Length == 0)
            {
                problem = $"placeholder '{{{body}}}' has an empty format after ':'";
                return false;
            }
        }

        string[] parts = name.Split('.');
        foreach (string part in parts)
        {
            if (!IsIdentifier(part))
            {
                problem = $"'{{{body}}}' is not a placeholder: expected a parameter name, optionally followed by .Property and :format";
                return false;
            }
        }

        path = parts;
        return true;
    }

    private static bool IsIdentifier(string text)
    {
        if (text.Length == 0 || !(char.IsLetter(text[0]) || text[0] == '_'))
        {
            return false;
        }

        for (int i = 1; i < text.Length; i++)
        {
            if (!(char.IsLetterOrDigit(text[i]) || text[i] == '_'))
            {
                return false;
            }
        }

        return true;
    }
}
