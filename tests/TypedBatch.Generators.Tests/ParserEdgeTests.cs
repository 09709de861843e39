using System.Globalization;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// Edges of reading an interface that the baselines and diagnostic tests do not reach: generated names at their
/// limits, which members and return types are accepted, what a placeholder path may read, and how the JsonContext's
/// options name the schema's properties.
/// </summary>
public sealed class ParserEdgeTests
{
    private const string Usings = """
        using System;
        using System.Collections.Generic;
        using System.Text.Json;
        using System.Text.Json.Serialization;
        using System.Threading;
        using System.Threading.Tasks;
        using TypedBatch;

        namespace Consumer;

        public sealed record Document(string Title, int Pages);

        """;

    [Theory]
    [InlineData("ITutor", "TutorPromptClient")]
    [InlineData("IXml", "XmlPromptClient")]
    [InlineData("Iterator", "IteratorPromptClient")]
    [InlineData("Tutor", "TutorPromptClient")]
    [InlineData("I", "IPromptClient")]
    [InlineData("I2", "I2PromptClient")]
    public void Client_class_drops_the_I_prefix_only_before_a_capital(string interfaceName, string clientName)
    {
        GeneratorRun run = Generate($$"""
            [PromptClient]
            public partial interface {{interfaceName}}
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);
            }
            """);

        run.Sources.Should().ContainSingle().Which.Text.Should().Contain($"internal sealed class {clientName} : global::Consumer.{interfaceName}");
    }

    [Theory]
    [InlineData("ExplainAsync", "ExplainBatchAsync", "RenderExplain")]
    [InlineData("Explain", "ExplainBatchAsync", "RenderExplain")]
    [InlineData("Async", "AsyncBatchAsync", "RenderAsync")]
    [InlineData("XAsync", "XBatchAsync", "RenderX")]
    [InlineData("Asynchronous", "AsynchronousBatchAsync", "RenderAsynchronous")]
    public void Generated_member_names_drop_a_trailing_Async_but_never_the_whole_name(string method, string batch, string render)
    {
        GeneratorRun run = Generate($$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> {{method}}(string topic);
            }
            """);

        string text = run.Sources.Should().ContainSingle().Which.Text;
        text.Should().Contain($" {batch}(").And.Contain($" {render}(").And.Contain($" {batch.Replace("BatchAsync", "AsCompletedAsync", StringComparison.Ordinal)}(");
    }

    [Theory]
    [InlineData("static abstract Task<string> CreateAsync(string topic);", "CreateAsync")]
    [InlineData("event EventHandler Changed;", "Changed")]
    public void Abstract_members_that_are_no_prompt_methods_are_reported(string member, string name)
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + $$"""
            [PromptClient]
            public partial interface ITutor
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);

                {{member}}
            }
            """);

        run.GeneratorDiagnostics.Should().ContainSingle().Which.GetMessage(CultureInfo.InvariantCulture)
            .Should().StartWith($"'{name}' on prompt client 'ITutor' cannot be implemented");
    }

    [Fact]
    public void Members_with_a_body_here_or_on_a_base_interface_are_left_alone()
    {
        GeneratorRun run = Generate("""
            public interface IBase
            {
                string Greeting => "Hello";

                static string Shared() => "shared";            }

            [PromptClient]
            public partial interface ITutor : IBase
            {
                [User("What is {topic}?")]
                Task<string> ExplainAsync(string topic);

                string Name => "tutor";

                static string Describe() => "a tutor";

                Task<string> AskTwiceAsync(string topic) => ExplainAsync(topic);
            }
            """);

        run.Sources.Should().ContainSingle().Which.Text.Should().Contain("ExplainBatchAsync").And.NotContain("AskTwice");
    }

    [Theory]
    [InlineData("Task<EmbeddingVector>", false)]
    [InlineData("Task<Unknown>", false)]
    [InlineData("Lazy<string>", false)]
    [InlineData("Task<string>", true)]
    [InlineData("Task<double[]>", true)]
    [InlineData("Task<float[,]>", true)]
    [InlineData("Task<ReadOnlyMemory<double>>", true)]
    [InlineData("Task<Memory<float>>", true)]
    [InlineData("Task<List<float>>", true)]
    [InlineData("Task<ChatCompletion>", true)]
    public void Unsupported_return_types_are_TB0002(string returnType, bool embedding)
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + $$"""
            [PromptClient]
            public partial interface ITutor
            {
                {{(embedding ? "[Embedding]" : "[User(\"What is {topic}?\")]")}}
                {{returnType}} ExplainAsync(string topic);
            }
            """);

        run.GeneratorDiagnostics.Select(d => d.Id).Should().Equal("TB0002");
    }

    [Theory]
    [InlineData("Task<float[]>", "FloatsOf")]
    [InlineData("ValueTask<ReadOnlyMemory<float>>", "MemoryOf")]
    [InlineData("Task<EmbeddingVector>", "EmbeddingOf")]
    public void Embedding_return_types_are_accepted(string returnType, string map)
    {
        GeneratorRun run = Generate($$"""
            [PromptClient]
            public partial interface IEmbedder
            {
                [Embedding]
                {{returnType}} EmbedAsync(string text);
            }
            """);

        run.Sources.Should().ContainSingle().Which.Text.Should().Contain($"global::TypedBatch.PromptClientContext.{map}(await this._context.EmbedAsync(text, null, null, ");
    }

    [Fact]
    public void A_placeholder_path_reads_public_fields_inherited_properties_and_interface_properties()
    {
        GeneratorRun run = Generate("""
            public class Named
            {
                public string Name { get; set; } = "";
            }

            public sealed class Item : Named
            {
                public int Count;
            }

            public interface ILabelled
            {
                string Label { get; }
            }

            public interface ITagged : ILabelled
            {
                string Tag { get; }
            }

            [PromptClient]
            public partial interface ITutor
            {
                [User("{item.Name} x{item.Count:N0}, {tagged.Label} #{tagged.Tag}, {text:F1}")]
                Task<string> ExplainAsync(Item item, ITagged tagged, IFormattable text);
            }
            """);

        run.Sources.Should().ContainSingle().Which.Text
            .Should().Contain("AppendFormatted(item?.Name);")
            .And.Contain("AppendFormatted(item?.Count, \"N0\");")
            .And.Contain("AppendFormatted(tagged?.Label);")
            .And.Contain("AppendFormatted(tagged?.Tag);")
            .And.Contain("AppendFormatted(text, \"F1\");");
    }

    [Theory]
    [InlineData("internal string Secret { get; set; } = \"\";")]
    [InlineData("public static string Secret { get; set; } = \"\";")]
    [InlineData("public string Secret { set { } }")]
    [InlineData("private string Secret = \"\";")]
    [InlineData("public static string Secret = \"\";")]
    [InlineData("public string Secret() => \"\";")]
    public void A_placeholder_path_cannot_read_what_is_not_a_public_readable_instance_value(string member)
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + $$"""
            public sealed class Holder
            {
                {{member}}
            }

            [PromptClient]
            public partial interface ITutor
            {
                [User("Tell {holder.Secret}")]
                Task<string> ExplainAsync(Holder holder);
            }
            """);

        run.GeneratorDiagnostics.Select(d => d.Id).Should().Equal("TB0004");
    }

    [Fact]
    public void A_nullable_typed_result_is_found_in_its_context_under_its_plain_type()
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + """
            [PromptClient(JsonContext = typeof(DocumentContext))]
            public partial interface ITutor
            {
                [User("Summarize {text}")]
                Task<Document?> SummarizeAsync(string text);
            }

            public abstract class BaseContext : JsonSerializerContext
            {
                protected BaseContext() : base(null) { }
            }

            [JsonSerializable(typeof(int))]
            [JsonSerializable(typeof(Document))]
            public partial class DocumentContext : BaseContext;
            """);

        run.GeneratorDiagnostics.Should().BeEmpty();
        run.Sources.Should().ContainSingle().Which.Text.Should().Contain("StructuredOutput.CreateOptions(global::Consumer.DocumentContext.Default)");
    }

    [Theory]
    [InlineData("[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]", "firstName")]
    [InlineData("[JsonSourceGenerationOptions(JsonSerializerDefaults.General)]", "FirstName")]
    [InlineData("[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseUpper)]", "FIRST_NAME")]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified)]", "FirstName")]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]", "firstName")]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower)]", "first-name")]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseUpper)]", "FIRST-NAME")]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = (JsonKnownNamingPolicy)6)]", "FirstName")]
    [InlineData("[JsonSourceGenerationOptions(PropertyNamingPolicy = (JsonKnownNamingPolicy)(-1))]", "FirstName")]
    [InlineData("", "FirstName")]
    public void The_contexts_options_name_the_schema_properties(string options, string name)
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + $$"""
            public sealed record Person(string FirstName);

            [PromptClient(JsonContext = typeof(PersonContext))]
            public partial interface ITutor
            {
                [User("Describe {text}")]
                Task<Person> DescribeAsync(string text);
            }

            {{options}}
            [JsonSerializable(typeof(Person))]
            public partial class PersonContext : JsonSerializerContext;
            """);

        run.GeneratorDiagnostics.Should().BeEmpty();
        run.Sources.Should().ContainSingle().Which.Text.Should().Contain($$$"""\"properties\":{\"{{{name}}}\":{\"type\":\"string\"}}""");
    }

    /// <summary>Runs the generator over a valid interface: no diagnostics, and generated code that compiles cleanly.</summary>
    private static GeneratorRun Generate(string body)
    {
        GeneratorRun run = GeneratorHarness.Run(Usings + body);
        run.GeneratorDiagnostics.Should().BeEmpty();
        run.CompilationProblems.Select(d => d.ToString()).Should().BeEmpty();
        return run;
    }
}
