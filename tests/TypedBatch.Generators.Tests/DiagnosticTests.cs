using Microsoft.CodeAnalysis;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// Every mistake a user can make is a diagnostic with a stable ID, the right severity, and its squiggle where the
/// mistake is. Expected spans are marked in the source with <c>{|TB0003:...|}</c>.
/// </summary>
public sealed class DiagnosticTests
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
    public void TB0001_interface_not_partial_is_reported_on_its_name()
    {
        AssertDiagnostics("""
            [PromptClient]
            public interface {|TB0001:ITutor|}
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    // Not awaitable with a result: never a prompt. (Task<T> for other T is planned as structured output, so not listed.)
    [Theory]
    [InlineData("Task")]
    [InlineData("ValueTask")]
    [InlineData("void")]
    [InlineData("string")]
    [InlineData("IAsyncEnumerable<int>")]
    [InlineData("IAsyncEnumerable<ChatCompletion>")]
    [InlineData("IEnumerable<string>")]
    public void TB0002_unsupported_return_type_is_reported_on_the_return_type(string returnType)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                {|TB0002:{{returnType}}|} ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void A_method_returning_IAsyncEnumerable_of_string_streams_and_gets_no_batch_members_while_a_streamed_embedding_is_TB0002()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface IStoryteller
            {
                [User("Tell a story about {topic}.")]
                IAsyncEnumerable<string> TellAsync(string topic, CancellationToken cancellationToken = default);

                // The names a streamed method does not generate are free for the user's own members.
                static int TellBatchAsync(int x) => x;

                static int TellAsCompletedAsync(int x) => x;

                [Embedding]
                {|TB0002:IAsyncEnumerable<string>|} EmbedAsync(string text);
            }
            """);
    }

    [Fact]
    public void TB0012_a_member_named_like_a_generated_stream_batch_member_collides()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);

                static int {|TB0012:ExplainStreamBatchAsync|}(int x) => x;
            }
            """);
    }

    [Fact]
    public void TB0002_embedding_method_returning_string_is_reported_on_the_return_type()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface IEmbedder
            {
                [Embedding]
                {|TB0002:Task<string>|} EmbedAsync(string text);
            }
            """);
    }

    [Fact]
    public void TB0003_placeholder_naming_no_parameter_is_reported_on_the_placeholder()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {|TB0003:{topc}|}?")]
                Task<string> ExplainAsync(string {|TB0005:topic|});
            }
            """);
    }

    [Fact]
    public void TB0003_message_lists_the_parameters_to_choose_from()
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + """
            [PromptClient]
            public partial interface ITutor
            {
                [User("Explain {topc} to {audience}")]
                Task<string> ExplainAsync(string topic, string audience, CancellationToken cancellationToken);
            }
            """);

        run.GeneratorDiagnostics.Should().ContainSingle(d => d.Id == "TB0003")
            .Which.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
            .Should().Be("Placeholder '{topc}' in method 'ExplainAsync' names no parameter; the parameters are: topic, audience");
    }

    [Fact]
    public void TB0003_in_an_interface_system_message_is_checked_against_the_method_parameters()
    {
        AssertDiagnostics("""
            [PromptClient]
            [System("You are {|TB0003:{persona}|}.")]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void TB0004_unknown_property_in_a_path_is_reported_on_the_placeholder()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Summarize {|TB0004:{doc.Titel}|} in {doc.Pages} lines.")]
                Task<string> SummarizeAsync(Document doc);
            }
            """);
    }

    [Fact]
    public void TB0005_unused_parameter_is_a_warning_on_the_parameter()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic, int {|TB0005:level|});
            }
            """);
    }

    [Fact]
    public void TB0005_does_not_stop_the_client_from_being_generated()
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + """
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic, int level);
            }
            """);

        run.GeneratorDiagnostics.Select(d => d.Id).Should().Equal("TB0005");
        run.Sources.Should().ContainSingle().Which.HintName.Should().Be("Consumer.ITutor.g.cs");
        run.CompilationProblems.Should().BeEmpty();
    }

    [Fact]
    public void CancellationToken_parameter_needs_no_placeholder()
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + """
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic, CancellationToken cancellationToken = default);
            }
            """);

        run.GeneratorDiagnostics.Should().BeEmpty();
    }

    [Theory]
    [InlineData("Hello {name} {|TB0006:}|} world")]
    [InlineData("Hello {|TB0006:{|}x {name}")]
    [InlineData("Hello {name}{|TB0006:{|}")]
    [InlineData("Hello {|TB0006:{}|} {name}")]
    [InlineData("Hello {|TB0006:{first name}|} {name}")]
    [InlineData("Hello {name} {|TB0006:{name:}|}")]
    [InlineData("Hello {name} {|TB0006:{name.}|}")]
    [InlineData("Hello {|TB0006:{1st}|} {name}")]
    public void TB0006_malformed_template_is_reported_on_the_offending_brace_or_placeholder(string template)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface IGreeter
            {
                [User("{{template}}")]
                Task<string> GreetAsync(string name);
            }
            """);
    }

    [Fact]
    public void TB0007_method_without_user_message_is_reported_on_the_method_name()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [System("Explain {topic}.")]
                Task<string> {|TB0007:ExplainAsync|}(string topic);
            }
            """);
    }

    [Theory]
    [InlineData("2.5")]
    [InlineData("-0.1")]
    [InlineData("double.NaN")]
    public void TB0008_temperature_out_of_range_is_reported_on_the_named_argument(string temperature)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                [Completion(MaxTokens = 10, {|TB0008:Temperature = {{temperature}}|})]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void TB0008_on_the_interface_completion_is_reported_on_the_named_argument()
    {
        AssertDiagnostics("""
            [PromptClient]
            [Completion({|TB0008:Temperature = 3|})]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void TB0009_max_tokens_below_one_is_reported_on_the_named_argument()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                [Completion({|TB0009:MaxTokens = 0|})]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void TB0010_generic_method_is_reported_on_the_method_name()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> {|TB0010:ExplainAsync|}<T>(T topic);
            }
            """);
    }

    [Theory]
    [InlineData("ref")]
    [InlineData("out")]
    [InlineData("in")]
    public void TB0011_by_reference_parameter_is_reported_on_the_parameter(string modifier)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync({{modifier}} string {|TB0011:topic|});
            }
            """);
    }

    [Fact]
    public void TB0011_ref_struct_parameter_is_reported_on_the_parameter()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(System.ReadOnlySpan<char> {|TB0011:topic|});
            }
            """);
    }

    [Fact]
    public void TB0024_abstract_property_is_reported_on_the_property()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);

                string {|TB0024:Name|} { get; }
            }
            """);
    }

    [Fact]
    public void TB0024_methods_inherited_from_a_base_interface_are_reported_on_the_interface()
    {
        AssertDiagnostics("""
            public interface IBase
            {
                Task<string> GreetAsync(string name);
            }

            [PromptClient]
            public partial interface {|TB0024:ITutor|} : IBase
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void TB0025_a_parameter_named_like_another_tuple_element_is_reported_on_the_parameter()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Translate {text} into {Item1}")]
                Task<string> TranslateAsync(string text, string {|TB0025:Item1|});
            }
            """);
    }

    [Fact]
    public void TB0012_declared_member_with_a_generated_name_is_reported_on_that_member()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);

                static string {|TB0012:RenderExplain|}() => "";
            }
            """);
    }

    [Fact]
    public void TB0012_overloads_are_reported_on_the_later_overload_once_per_shared_generated_name()
    {
        var markup = Markup.Parse(Usings + """
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);

                [User("What is number {number}?")]
                Task<string> [|ExplainAsync|](int number);
            }
            """);

        GeneratorRun run = GeneratorHarness.Run(markup.Source);

        run.GeneratorDiagnostics.Should().HaveCount(4).And.OnlyContain(d =>
            d.Id == "TB0012" && d.Severity == DiagnosticSeverity.Error && d.Location.SourceSpan == markup.Spans[0].Span);
        run.GeneratorDiagnostics.Select(d => d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Should().Equal(
            "'ExplainBatchAsync' collides with the member the generator adds for method 'ExplainAsync'; rename one of them",
            "'ExplainAsCompletedAsync' collides with the member the generator adds for method 'ExplainAsync'; rename one of them",
            "'ExplainStreamBatchAsync' collides with the member the generator adds for method 'ExplainAsync'; rename one of them",
            "'RenderExplain' collides with the member the generator adds for method 'ExplainAsync'; rename one of them");
    }

    [Fact]
    public void TB0013_nested_interface_is_reported_on_its_name()
    {
        AssertDiagnostics("""
            public partial class Outer
            {
                [PromptClient]
                public partial interface {|TB0013:ITutor|}
                {
                    [User("What is {topic}?")]
                    Task<string> ExplainAsync(string topic);
                }
            }
            """);
    }

    [Fact]
    public void TB0013_generic_interface_is_reported_on_its_name()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface {|TB0013:ITutor|}<T>
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(T topic);
            }
            """);
    }

    [Fact]
    public void TB0014_format_on_a_value_that_is_not_formattable_is_reported_on_the_placeholder()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("About {|TB0014:{doc.Title:N2}|}, {doc.Pages:N0} pages")]
                Task<string> SummarizeAsync(Document doc);
            }
            """);
    }

    [Theory]
    [InlineData("string text, string other")]
    [InlineData("int number")]
    [InlineData("")]
    public void TB0015_embedding_method_without_one_string_parameter_is_reported_on_the_method_name(string parameters)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface IEmbedder
            {
                [Embedding]
                Task<float[]> {|TB0015:EmbedAsync|}({{parameters}});
            }
            """);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1.5")]
    [InlineData("-1")]
    public void TB0016_top_p_out_of_range_is_reported_on_the_named_argument(string topP)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                [Completion({|TB0016:TopP = {{topP}}|}, Temperature = 1)]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void TB0017_second_cancellation_token_is_reported_on_that_parameter()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic, CancellationToken first, CancellationToken {|TB0017:second|});
            }
            """);
    }

    [Theory]
    [InlineData("""new[] { "1", "2", "3", "4", "5" }""")]
    [InlineData("""new[] { "END", "" }""")]
    [InlineData("""new string[0]""")]
    [InlineData("""new string[] { null! }""")]
    [InlineData("""null""")]
    public void TB0018_invalid_stop_sequences_are_reported_on_the_named_argument(string stop)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                [Completion({|TB0018:Stop = {{stop}}|})]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void TB0019_embedding_method_with_templates_is_reported_on_the_method_name()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface IEmbedder
            {
                [Embedding]
                [User("Embed {text}")]
                Task<EmbeddingVector> {|TB0019:EmbedAsync|}(string text);
            }
            """);
    }

    [Fact]
    public void Error_in_a_template_with_escapes_is_reported_on_the_whole_argument()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User({|TB0003:"Line one\nWhat is {topc}?"|})]
                Task<string> ExplainAsync(string {|TB0005:topic|});
            }
            """);
    }

    [Fact]
    public void Error_in_a_verbatim_template_with_doubled_quotes_is_reported_on_the_whole_argument()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User({|TB0003:@"Say ""hi"" about {topc}"|})]
                Task<string> ExplainAsync(string {|TB0005:topic|});
            }
            """);
    }

    [Fact]
    public void Error_in_a_verbatim_template_without_escapes_is_reported_on_the_placeholder()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User(@"C:\docs about {|TB0003:{topc}|}")]
                Task<string> ExplainAsync(string {|TB0005:topic|});
            }
            """);
    }

    [Fact]
    public void Error_in_a_single_line_raw_template_is_reported_on_the_placeholder()
    {
        AssertDiagnostics(""""
            [PromptClient]
            public partial interface ITutor
            {
                [User("""Say "hi" about {|TB0003:{topc}|}""")]
                Task<string> ExplainAsync(string {|TB0005:topic|});
            }
            """");
    }

    [Fact]
    public void Error_in_a_multi_line_raw_template_is_reported_on_the_whole_argument()
    {
        // Indentation is removed from a multi-line raw string's value, so positions in the value are not positions in the source.
        AssertDiagnostics(""""
            [PromptClient]
            public partial interface ITutor
            {
                [User({|TB0003:"""
                    Say hi
                    about {topc}
                    """|})]
                Task<string> ExplainAsync(string {|TB0005:topic|});
            }
            """");
    }

    [Fact]
    public void Error_in_a_template_with_a_brace_at_the_start_is_reported_on_that_brace()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("{|TB0006:}|}What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }
            """);
    }

    [Fact]
    public void Error_in_a_template_from_a_constant_is_reported_on_the_whole_argument()
    {
        AssertDiagnostics("""
            public static class Prompts
            {
                public const string Explain = "What is {topc}?";
            }

            [PromptClient]
            public partial interface ITutor
            {
                [User({|TB0003:Prompts.Explain|})]
                Task<string> ExplainAsync(string {|TB0005:topic|});
            }
            """);
    }

    [Fact]
    public void TB0020_result_type_without_a_strict_schema_is_reported_on_the_return_type()
    {
        AssertDiagnostics("""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Tag {text}")]
                {|TB0020:Task<Dictionary<string, int>>|} TagAsync(string text);
            }
            """);
    }

    [Fact]
    public void TB0020_message_names_the_method_and_why()
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + """
            [PromptClient]
            public partial interface ITutor
            {
                [User("Tag {text}")]
                Task<Dictionary<string, int>> TagAsync(string text);
            }
            """);

        run.GeneratorDiagnostics.Should().ContainSingle().Which.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
            .Should().StartWith("The result of method 'TagAsync' cannot be a strict JSON schema: ");
        run.Sources.Should().BeEmpty("an error stops the interface from being generated");
    }

    [Theory]
    [InlineData("PublishAot")]
    [InlineData("IsTrimmable")]
    [InlineData("IsAotCompatible")]
    public void TB0021_typed_result_without_json_context_is_a_warning_on_the_interface_in_a_trimmed_project(string property)
    {
        AssertDiagnostics(
            """
            [PromptClient]
            public partial interface {|TB0021:ITutor|}
            {
                [User("Summarize {text}")]
                Task<Document> SummarizeAsync(string text);

                [User("Outline {text}")]
                Task<Document> OutlineAsync(string text);
            }
            """,
            ("/.globalconfig", $"is_global = true\nbuild_property.{property} = true\n"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("build_property.PublishAot = false\nbuild_property.IsTrimmable = false\n")]
    public void TB0021_is_not_reported_in_a_project_that_neither_trims_nor_publishes_AOT(string properties)
    {
        GeneratorRun run = GeneratorHarness.Run(
            GeneratorHarness.Compilation(Usings + """
                [PromptClient]
                public partial interface ITutor
                {
                    [User("Summarize {text}")]
                    Task<Document> SummarizeAsync(string text);
                }
                """),
            ("/.globalconfig", "is_global = true\n" + properties));

        run.GeneratorDiagnostics.Should().BeEmpty();
        run.Sources.Should().ContainSingle();
    }

    [Fact]
    public void TB0021_is_not_reported_when_a_json_context_is_given()
    {
        GeneratorRun run = GeneratorHarness.Run(
            GeneratorHarness.Compilation(Usings + """
                [PromptClient(JsonContext = typeof(DocumentContext))]
                public partial interface ITutor
                {
                    [User("Summarize {text}")]
                    Task<Document> SummarizeAsync(string text);
                }

                [System.Text.Json.Serialization.JsonSerializable(typeof(Document))]
                public partial class DocumentContext : System.Text.Json.Serialization.JsonSerializerContext;
                """),
            ("/.globalconfig", "is_global = true\nbuild_property.PublishAot = true\n"));

        run.GeneratorDiagnostics.Should().BeEmpty();
    }

    [Fact]
    public void TB0022_json_context_without_the_result_type_is_reported_on_the_return_type()
    {
        AssertDiagnostics("""
            [PromptClient(JsonContext = typeof(OtherContext))]
            public partial interface ITutor
            {
                [User("Summarize {text}")]
                {|TB0022:Task<Document>|} SummarizeAsync(string text);
            }

            public sealed record Other(string Name);

            [System.Text.Json.Serialization.JsonSerializable(typeof(Other))]
            public partial class OtherContext : System.Text.Json.Serialization.JsonSerializerContext;
            """);
    }

    [Fact]
    public void TB0022_message_names_the_context_the_type_and_the_method()
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + """
            [PromptClient(JsonContext = typeof(OtherContext))]
            public partial interface ITutor
            {
                [User("Summarize {text}")]
                Task<Document> SummarizeAsync(string text);
            }

            [System.Text.Json.Serialization.JsonSerializable(typeof(string))]
            public partial class OtherContext : System.Text.Json.Serialization.JsonSerializerContext;
            """);

        run.GeneratorDiagnostics.Should().ContainSingle(d => d.Id == "TB0022").Which.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
            .Should().Be("JsonContext 'OtherContext' has no [JsonSerializable(typeof(Consumer.Document))], which method 'SummarizeAsync' returns");
    }

    [Fact]
    public void TB0022_json_context_that_is_no_serializer_context_is_reported_on_the_named_argument()
    {
        AssertDiagnostics("""
            [PromptClient({|TB0022:JsonContext = typeof(NotAContext)|})]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }

            public sealed class NotAContext;
            """);
    }

    [Fact]
    public void TB0022_message_for_a_type_that_is_no_serializer_context_names_it()
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + """
            [PromptClient(JsonContext = typeof(NotAContext))]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }

            public sealed class NotAContext;
            """);

        run.GeneratorDiagnostics.Should().ContainSingle().Which.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
            .Should().Be("JsonContext 'Consumer.NotAContext' is not a System.Text.Json JsonSerializerContext");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("6")]
    public void TB0023_repair_attempts_out_of_range_is_reported_on_the_named_argument(string attempts)
    {
        AssertDiagnostics($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Summarize {text}")]
                [Completion({|TB0023:MaxRepairAttempts = {{attempts}}|})]
                Task<Document> SummarizeAsync(string text);
            }
            """);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5")]
    public void TB0023_is_not_reported_at_the_bounds(string attempts)
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + $$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("Summarize {text}")]
                [Completion(MaxRepairAttempts = {{attempts}})]
                Task<Document> SummarizeAsync(string text);
            }
            """);

        run.GeneratorDiagnostics.Should().BeEmpty();
    }

    /// <summary>
    /// Runs the generator over <paramref name="body"/> (after common usings) and asserts that its diagnostics are
    /// exactly the marked ones: same IDs, same spans in the same file, and the severity users get (TB0005, a
    /// parameter no template uses, and TB0021, reflection JSON in a trimmed project, are warnings; every other mistake
    /// is an error). <paramref name="configs"/> are analyzer config files (path, text), as MSBuild passes them.
    /// </summary>
    private static void AssertDiagnostics(string body, params (string Path, string Text)[] configs)
    {
        var markup = Markup.Parse(Usings + body);
        markup.Spans.Should().NotBeEmpty("the test must mark where the diagnostic goes");
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compilation(markup.Source), configs);

        string[] actual = run.GeneratorDiagnostics
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => Describe(markup.Source, d.Id, d.Severity, d.Location.SourceSpan, d.Location.GetLineSpan().Path))
            .ToArray();
        string[] expected = markup.Spans
            .Select(s => Describe(markup.Source, s.Id!, s.Id is "TB0005" or "TB0021" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, s.Span, "/src/Input.cs"))
            .ToArray();
        actual.Should().Equal(expected);
    }

    private static string Describe(string source, string id, DiagnosticSeverity severity, Microsoft.CodeAnalysis.Text.TextSpan span, string path)
        => $"{id} {severity} at {path}{span}: '{(span.End <= source.Length ? source.Substring(span.Start, span.Length) : "<outside the source>")}'";
}
