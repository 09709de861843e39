using System.Text;

namespace TypedBatch.Generators.Emitting;

/// <summary>A small indent-aware text writer for generated source.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new StringBuilder();
    private int _indent;

    public void Line(string text = "")
    {
        if (text.Length > 0)
        {
            _builder.Append(' ', _indent * 4);
        }

        _builder.Append(text).Append('\n');
    }

    /// <summary>
    /// Writes multi-line text (typically a raw string literal) one line at a time at the current indentation, so a
    /// block reads in the emitter as it will in the output. Empty lines stay empty.
    /// </summary>
    public void Lines(string text)
    {
        foreach (string line in text.Replace("\r\n", "\n").Split('\n'))
        {
            Line(line);
        }
    }

    public void Open(string text)
    {
        Line(text);
        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    public override string ToString() => _builder.ToString();
}
