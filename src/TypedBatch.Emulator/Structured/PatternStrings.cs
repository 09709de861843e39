using System.Text;
using System.Text.RegularExpressions;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// Best-effort strings that match a <c>pattern</c>. Understands literals, <c>^</c>/<c>$</c>,
/// <c>.</c>, <c>\d \w \s</c>, escaped literals, classes with ranges (<c>[A-Z0-9_]</c>, not negated),
/// groups <c>(...)</c>/<c>(?:...)</c> with <c>|</c>, and the quantifiers <c>? * + {n} {n,} {n,m}</c>.
/// Anything else (look-arounds, back-references, negated classes, ...) gives up, and so does a
/// result that the real regular expression does not match; the caller then ignores the pattern.
/// </summary>
internal static class PatternStrings
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(200);

    /// <summary>A string matching <paramref name="pattern"/>, or <see langword="null"/> when the pattern is beyond this generator.</summary>
    public static string? TryGenerate(string pattern, SeededRandom random)
    {
        try
        {
            string text = new Generator(pattern, random).Run();
            return Regex.IsMatch(text, pattern, RegexOptions.None, MatchTimeout) ? text : null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    private sealed class Generator(string pattern, SeededRandom random)
    {
        private const string Letters = "abcdefghijklmnopqrstuvwxyz";
        private const string Digits = "0123456789";
        private const string WordCharacters = Letters + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + Digits + "_";
        private int _position;

        public string Run()
        {
            string text = Alternation();
            return _position == pattern.Length ? text : throw new NotSupportedException();
        }

        private string Alternation()
        {
            var branches = new List<string> { Sequence() };
            while (Peek() == '|')
            {
                _position++;
                branches.Add(Sequence());
            }

            return branches[random.Next(branches.Count)];
        }

        private string Sequence()
        {
            var text = new StringBuilder();
            while (Peek() is { } next && next != '|' && next != ')')
            {
                int atomStart = _position;
                Atom();
                (int min, int max) = Quantifier();
                int afterQuantifier = _position;
                int count = (int)random.NextInRange(min, max);
                for (int i = 0; i < count; i++)
                {
                    _position = atomStart; // generate each repetition afresh
                    text.Append(Atom());
                }

                _position = afterQuantifier;
            }

            return text.ToString();
        }

        private string Atom()
        {
            char c = pattern[_position++];
            switch (c)
            {
                case '^' or '$':
                    return "";
                case '.':
                    return Pick(Letters).ToString();
                case '(':
                    if (Peek() == '?')
                    {
                        if (_position + 1 >= pattern.Length || pattern[_position + 1] != ':')
                        {
                            throw new NotSupportedException();
                        }

                        _position += 2;
                    }

                    string inner = Alternation();
                    Expect(')');
                    return inner;
                case '[':
                    return Pick(Class()).ToString();
                case '\\':
                    return Pick(Escape()).ToString();
                case '*' or '+' or '?' or '{' or ')' or '|':
                    throw new NotSupportedException();
                default:
                    return c.ToString();
            }
        }

        private string Class()
        {
            if (Peek() == '^')
            {
                throw new NotSupportedException();
            }

            var members = new StringBuilder();
            while (Peek() is { } next && next != ']')
            {
                _position++;
                string set = next == '\\' ? Escape() : next.ToString();
                if (set.Length == 1 && Peek() == '-' && _position + 1 < pattern.Length && pattern[_position + 1] != ']')
                {
                    char last = pattern[_position + 1];
                    _position += 2;
                    if (last < set[0] || last == '\\')
                    {
                        throw new NotSupportedException();
                    }

                    for (char member = set[0]; member <= last; member++)
                    {
                        members.Append(member);
                    }
                }
                else
                {
                    members.Append(set);
                }
            }

            Expect(']');
            return members.Length > 0 ? members.ToString() : throw new NotSupportedException();
        }

        // The characters an escape stands for; throws for escapes with no single-character meaning.
        private string Escape()
        {
            char c = Peek() ?? throw new NotSupportedException();
            _position++;
            return c switch
            {
                'd' => Digits,
                'w' => WordCharacters,
                's' => " ",
                'n' => "\n",
                't' => "\t",
                _ when char.IsLetterOrDigit(c) => throw new NotSupportedException(),
                _ => c.ToString(),
            };
        }

        private (int Min, int Max) Quantifier()
        {
            (int, int) range;
            switch (Peek())
            {
                case '?':
                    range = (0, 1);
                    break;
                case '*':
                    range = (0, 2);
                    break;
                case '+':
                    range = (1, 3);
                    break;
                case '{':
                    return Braces();
                default:
                    return (1, 1);
            }

            _position++;
            SkipLazy();
            return range;
        }

        private (int Min, int Max) Braces()
        {
            int close = pattern.IndexOf('}', _position);
            if (close < 0)
            {
                throw new NotSupportedException();
            }

            string[] parts = pattern[(_position + 1)..close].Split(',');
            _position = close + 1;
            SkipLazy();
            if (parts.Length > 2 || !int.TryParse(parts[0], out int min) || min > 1000)
            {
                throw new NotSupportedException();
            }

            if (parts.Length == 1)
            {
                return (min, min);
            }

            if (parts[1].Length == 0)
            {
                return (min, min + 2);
            }

            return int.TryParse(parts[1], out int max) && max >= min ? (min, Math.Min(max, min + 3)) : throw new NotSupportedException();
        }

        private void SkipLazy()
        {
            if (Peek() == '?')
            {
                _position++;
            }
        }

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw new NotSupportedException();
            }

            _position++;
        }

        private char? Peek() => _position < pattern.Length ? pattern[_position] : null;

        private char Pick(string characters) => characters[random.Next(characters.Length)];
    }
}
