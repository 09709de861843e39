using Microsoft.CodeAnalysis.Text;

namespace TypedBatch.Generators.Tests;

public sealed class MarkupTests
{
    [Fact]
    public void Markers_are_removed_and_their_spans_kept()
    {
        var markup = Markup.Parse("a [|bc|] d {|TB0003:{x}|}!");

        markup.Source.Should().Be("a bc d {x}!");
        markup.Spans.Should().Equal(
            new ExpectedSpan(null, new TextSpan(2, 2)),
            new ExpectedSpan("TB0003", new TextSpan(7, 3)));
    }

    [Fact]
    public void A_lone_brace_inside_an_id_marker_is_text()
    {
        var markup = Markup.Parse("\"a {|TB0006:{|}b\"");

        markup.Source.Should().Be("\"a {b\"");
        markup.Spans.Should().ContainSingle().Which.Should().Be(new ExpectedSpan("TB0006", new TextSpan(3, 1)));
    }
}
