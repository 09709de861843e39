using System.Globalization;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// The text of each diagnostic, as the user reads it: which method, parameter, value or reason it names. The spans are
/// checked in <see cref="DiagnosticTests"/>; these check that the arguments filled into the messages are the right ones.
/// </summary>
public sealed class DiagnosticMessageTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using TypedBatch;

        namespace Consumer;

        public sealed record Document(string Title, int Pages);

        """;

    [Fact]
    public void TB0001_names_the_interface()
    {
        Messages("""
            [PromptClient]
            public interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }
            """).Should().Equal("TB0001: Interface 'ITutor' has [PromptClient] but is not partial; add the partial modifier so the batch methods can be generated");
    }

    [Fact]
    public void TB0002_names_the_method_and_its_return_type()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task ExplainAsync(string topic);
            }
            """).Should().ContainSingle().Which.Should().StartWith("TB0002: Method 'ExplainAsync' returns 'System.Threading.Tasks.Task'; ");
    }

    [Fact]
    public void TB0003_says_when_the_method_has_no_parameters_to_choose_from()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Tell a joke about {topic:G}.")]
                Task<string> JokeAsync(CancellationToken cancellationToken);
            }
            """).Should().Equal("TB0003: Placeholder '{topic:G}' in method 'JokeAsync' names no parameter; the parameters are: (none)");
    }

    [Fact]
    public void TB0004_names_the_type_the_member_and_the_placeholder()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Summarize {doc.Titel} in {doc.Pages} lines.")]
                Task<string> SummarizeAsync(Document doc);
            }
            """).Should().Equal("TB0004: 'Consumer.Document' has no readable public property or field 'Titel' (in placeholder '{doc.Titel}')");
    }

    [Fact]
    public void TB0004_names_the_hop_that_fails_in_a_longer_path_with_its_format()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Summarize {doc.Title.Size:N0}.")]
                Task<string> SummarizeAsync(Document doc);
            }
            """).Should().Equal("TB0004: 'string' has no readable public property or field 'Size' (in placeholder '{doc.Title.Size:N0}')");
    }

    [Fact]
    public void TB0005_names_the_parameter_and_the_method()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic, int level);
            }
            """).Should().Equal("TB0005: Parameter 'level' of method 'ExplainAsync' is used by no template and will not reach the model");
    }

    [Theory]
    [InlineData("Hello {name} }", "unbalanced '}' (write '}}' for a literal brace)")]
    [InlineData("Hello {x {name}", "unbalanced '{' (write '{{' for a literal brace)")]
    [InlineData("Hello {name}{", "unbalanced '{' (write '{{' for a literal brace)")]
    [InlineData("Hello {} {name}", "empty placeholder '{}'")]
    [InlineData("Hello {name} {name:}", "placeholder '{name:}' has an empty format after ':'")]
    [InlineData("Hello {name} {name.}", "'{name.}' is not a placeholder: expected a parameter name, optionally followed by .Property and :format")]
    [InlineData("Hello {first name} {name}", "'{first name}' is not a placeholder: expected a parameter name, optionally followed by .Property and :format")]
    [InlineData("Hello {na-me} {name}", "'{na-me}' is not a placeholder: expected a parameter name, optionally followed by .Property and :format")]
    public void TB0006_names_the_method_and_the_mistake(string template, string mistake)
    {
        Messages($$"""
            [PromptClient]
            public partial interface IGreeter
            {
                [User("{{template}}")]
                Task<string> GreetAsync(string name);
            }
            """).Should().Equal("TB0006: Template of method 'GreetAsync' is malformed: " + mistake);
    }

    [Fact]
    public void TB0006_in_an_interface_template_names_the_interface_once_for_all_its_methods()
    {
        Messages("""
            [PromptClient]
            [System("You are {}.")]
            public partial interface IGreeter
            {
                [User("Hello {name}")]
                Task<string> GreetAsync(string name);

                [User("Bye {name}")]
                Task<string> LeaveAsync(string name);
            }
            """).Should().ContainSingle().Which.Should().StartWith("TB0006: Template of method 'IGreeter' is malformed: empty placeholder '{}'");
    }

    [Fact]
    public void TB0007_names_the_method()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [System("Explain {topic}.")]
                [Assistant("Sure.")]
                Task<string> ExplainAsync(string topic);
            }
            """).Should().Equal("TB0007: Method 'ExplainAsync' has no [User] template; add [User(\"...\")] or mark it [Embedding]");
    }

    [Theory]
    [InlineData("Temperature = 2.5", "TB0008: Temperature 2.5 is outside 0 to 2")]
    [InlineData("Temperature = -0.25", "TB0008: Temperature -0.25 is outside 0 to 2")]
    [InlineData("MaxTokens = -3", "TB0009: MaxTokens -3 must be at least 1")]
    [InlineData("TopP = 1.25", "TB0016: TopP 1.25 must be greater than 0 and at most 1")]
    [InlineData("MaxRepairAttempts = 6", "TB0023: MaxRepairAttempts 6 must be between 0 and 5")]
    [InlineData("""Stop = new[] { "a", "b", "c", "d", "e" }""", "TB0018: Stop must hold one to four non-empty sequences")]
    public void Setting_out_of_range_names_the_value(string setting, string message)
    {
        Messages($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                [Completion({{setting}})]
                Task<string> ExplainAsync(string topic);
            }
            """).Should().Equal(message);
    }

    [Theory]
    [InlineData("Temperature = 0")]
    [InlineData("Temperature = 2")]
    [InlineData("MaxTokens = 1")]
    [InlineData("TopP = 1")]
    [InlineData("TopP = 0.001")]
    [InlineData("""Stop = new[] { "a", "b", "c", "d" }""")]
    [InlineData("""Stop = new[] { "a" }""")]
    public void Setting_at_its_bound_is_accepted(string setting)
    {
        Messages($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                [Completion({{setting}})]
                Task<string> ExplainAsync(string topic);
            }
            """).Should().BeEmpty();
    }

    [Fact]
    public void TB0010_names_the_method()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync<T>(T topic);
            }
            """).Should().Equal("TB0010: Method 'ExplainAsync' is generic; prompt methods cannot have type parameters");
    }

    [Theory]
    [InlineData("ref string topic")]
    [InlineData("System.ReadOnlySpan<char> topic")]
    public void TB0011_names_the_parameter_and_the_method(string parameter)
    {
        Messages($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync({{parameter}});
            }
            """).Should().Equal("TB0011: Parameter 'topic' of method 'ExplainAsync' is passed by reference or is a ref struct or pointer; prompt parameters must be values that can be stored");
    }

    [Fact]
    public void TB0011_on_a_by_reference_token_is_the_only_error()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic, ref CancellationToken token);
            }
            """).Should().Equal("TB0011: Parameter 'token' of method 'ExplainAsync' is passed by reference or is a ref struct or pointer; prompt parameters must be values that can be stored");
    }

    [Theory]
    [InlineData("public partial class Outer { [PromptClient] public partial interface ITutor { [User(\"Hi {x}\")] Task<string> HiAsync(string x); } }", "it is nested in another type; declare it at namespace level")]
    [InlineData("[PromptClient] public partial interface ITutor<T> { [User(\"Hi {x}\")] Task<string> HiAsync(string x); }", "it is generic")]
    public void TB0013_says_why_the_interface_cannot_be_a_client(string declaration, string why)
    {
        Messages(declaration).Should().Equal("TB0013: Interface 'ITutor' cannot be a prompt client: " + why);
    }

    [Fact]
    public void TB0014_names_the_placeholder_the_format_and_the_type()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("About {doc.Title:N2}, {doc.Pages:N0} pages")]
                Task<string> SummarizeAsync(Document doc);
            }
            """).Should().Equal("TB0014: Placeholder '{doc.Title:N2}' has format 'N2' but its type 'string' does not implement IFormattable");
    }

    [Fact]
    public void TB0015_and_TB0019_name_the_method()
    {
        Messages("""
            [PromptClient]
            public partial interface IEmbedder
            {
                [Embedding]
                [User("Embed {text}")]
                Task<EmbeddingVector> EmbedAsync(string text, int extra);
            }
            """).Should().Equal(
                "TB0015: [Embedding] method 'EmbedAsync' must take exactly one string parameter (and optionally a CancellationToken)",
                "TB0019: Method 'EmbedAsync' is an [Embedding] method and cannot also have [System], [User] or [Assistant] templates");
    }

    [Fact]
    public void TB0017_names_the_method()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic, CancellationToken first, CancellationToken second);
            }
            """).Should().Equal("TB0017: Method 'ExplainAsync' has more than one CancellationToken parameter");
    }

    [Fact]
    public void TB0021_names_the_interface_once_for_all_its_typed_methods()
    {
        GeneratorRun run = GeneratorHarness.Run(
            GeneratorHarness.Compilation(Usings + """
                [PromptClient]
                public partial interface ITutor
                {
                    [User("Summarize {text}")]
                    Task<Document> SummarizeAsync(string text);

                    [User("Outline {text}")]
                    Task<Document> OutlineAsync(string text);
                }
                """),
            ("/.globalconfig", "is_global = true\nbuild_property.PublishAot = true\n"));

        run.GeneratorDiagnostics.Select(d => $"{d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}").Should().Equal(
            "TB0021: Interface 'ITutor' has typed results but no [PromptClient(JsonContext = typeof(...))]; reflection-based JSON is not trim or Native AOT safe");
    }

    [Fact]
    public void TB0024_names_the_member_the_interface_and_why()
    {
        Messages("""
            public interface IBase
            {
                Task<string> GreetAsync(string name);
            }

            [PromptClient]
            public partial interface ITutor : IBase
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);

                string Name { get; }
            }
            """).Should().BeEquivalentTo(
                "TB0024: 'Name' on prompt client 'ITutor' cannot be implemented: only methods can be prompts; give it a default implementation or move it to another interface",
                "TB0024: 'IBase.GreetAsync' on prompt client 'ITutor' cannot be implemented: members inherited from another interface are not implemented by the generator; declare the prompt methods on the [PromptClient] interface itself");
    }

    [Theory]
    [InlineData("Item1", 1)]
    [InlineData("Item3", 0)]
    [InlineData("Rest", 0)]
    [InlineData("ToString", 0)]
    [InlineData("GetHashCode", 0)]
    [InlineData("Equals", 0)]
    [InlineData("GetType", 0)]
    [InlineData("CompareTo", 0)]
    public void TB0025_names_the_parameter_and_the_method(string name, int position)
    {
        string parameters = position == 0 ? $"string {name}, string text" : $"string text, string {name}";
        Messages($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Translate {text} into {{{name}}}")]
                Task<string> TranslateAsync({{parameters}});
            }
            """).Should().Equal($"TB0025: Parameter '{name}' of method 'TranslateAsync' cannot name an element of the batch input tuple; rename it");
    }

    [Theory]
    [InlineData("string Item1, string text")]
    [InlineData("string text, string Item2")]
    [InlineData("string text, string Item")]
    [InlineData("string text, string Itemize")]
    [InlineData("string text, string Item02")]
    public void A_tuple_element_name_in_its_own_place_or_not_an_ItemN_is_accepted(string parameters)
    {
        string other = parameters.Split(", ")[parameters.StartsWith("string text", StringComparison.Ordinal) ? 1 : 0].Split(' ')[1];
        Messages($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Translate {text} into {{{other}}}")]
                Task<string> TranslateAsync({{parameters}});
            }
            """).Should().BeEmpty();
    }

    [Fact]
    public void A_single_parameter_may_be_named_like_a_tuple_member()
    {
        Messages("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Translate {Rest}")]
                Task<string> TranslateAsync(string Rest);
            }
            """).Should().BeEmpty();
    }

    private static string[] Messages(string body)
        => GeneratorHarness.Run(Usings + body).GeneratorDiagnostics
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => $"{d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}")
            .ToArray();
}
