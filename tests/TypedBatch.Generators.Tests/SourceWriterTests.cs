using TypedBatch.Generators.Emitting;

namespace TypedBatch.Generators.Tests;

public sealed class SourceWriterTests
{
    [Fact]
    public void Lines_indents_every_line_of_a_block_and_leaves_empty_lines_empty()
    {
        var w = new SourceWriter();
        w.Open("class C");
        w.Lines("int A;\r\n\nint B => A\n    + 1;");
        w.Close();

        w.ToString().Should().Be("class C\n{\n    int A;\n\n    int B => A\n        + 1;\n}\n");
    }
}
