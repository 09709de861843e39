using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// The README's examples compile, unchanged, in a file that imports both <c>Microsoft.Extensions.AI</c> and
/// <c>TypedBatch</c> (issue 14): every <c>csharp</c> block marked <c>&lt;!-- compiled: … --&gt;</c> is read from the
/// README itself, its type declarations go into one file and its statements into a method of another, both files open
/// with <c>using Microsoft.Extensions.AI; using TypedBatch;</c>, and the generator runs over them as in a build.
/// </summary>
public sealed partial class ReadmeCompileTests
{
    /// <summary>What the README's prose supplies around its blocks: a project's implicit usings and the types the examples mention.</summary>
    private const string Context = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;

        public sealed record Author(string Name);
        public sealed record Document(string Title, Author Author, int Pages);
        """;

    private const string BothNamespaces = "using Microsoft.Extensions.AI;\nusing TypedBatch;\n";

    [Fact]
    public void The_readme_marks_the_untyped_generated_streaming_and_meai_examples()
    {
        IReadOnlyList<ReadmeBlock> blocks = ReadmeBlocks();

        blocks.Select(b => b.Name).Should().Contain(["prompt-client", "prompt-client-use", "untyped", "streaming", "meai-provider", "meai", "anthropic"]);
    }

    [Fact]
    public void The_readme_examples_compile_in_a_file_that_imports_microsoft_extensions_ai_and_typedbatch()
    {
        GeneratorRun run = GeneratorHarness.Run(Compile(ReadmeBlocks()));

        run.ReportedDiagnostics.Should().BeEmpty();
        run.OutputCompilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d => $"{d.Location.GetLineSpan()}: {d.Id} {d.GetMessage(CultureInfo.InvariantCulture)}")
            .Should().BeEmpty("the README's examples must compile unchanged next to Microsoft.Extensions.AI");
        run.Sources.Should().Contain(s => s.HintName.Contains("ITutor", StringComparison.Ordinal), "the generated example's interface is generated");
    }

    [Fact]
    public void The_names_resolve_to_the_namespace_each_example_means()
    {
        CSharpCompilation compilation = Compile(ReadmeBlocks());

        // In the untyped example PromptMessage is TypedBatch's; in the M.E.AI example ChatMessage is M.E.AI's; the
        // generated interface's embedding is TypedBatch's, under the [Embedding] attribute next to M.E.AI's Embedding.
        Symbols(compilation, "PromptMessage").Should().OnlyContain(s => s == "TypedBatch.PromptMessage").And.NotBeEmpty();
        Symbols(compilation, "ChatMessage").Should().OnlyContain(s => s == "Microsoft.Extensions.AI.ChatMessage").And.NotBeEmpty();
        Symbols(compilation, "EmbeddingVector").Should().OnlyContain(s => s == "TypedBatch.EmbeddingVector").And.NotBeEmpty();
    }

    [Fact]
    public void A_name_both_namespaces_declare_is_reported_so_the_check_can_fail()
    {
        // The control: were a README type's name declared in another imported namespace too, the same harness says so.
        var clash = new ReadmeBlock("clash", "namespace Other { public sealed class PromptMessage; }", 0);
        var use = new ReadmeBlock("use", "using Other;\nPromptMessage m = PromptMessage.User(\"hi\");", 0);

        GeneratorRun run = GeneratorHarness.Run(Compile([clash, use]));

        run.OutputCompilation.GetDiagnostics().Should().Contain(d => d.Id == "CS0104", "PromptMessage is then ambiguous");
    }

    private static IReadOnlyList<ReadmeBlock> ReadmeBlocks()
    {
        string readme = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"));
        var blocks = new List<ReadmeBlock>();
        foreach (Match match in MarkedBlock().Matches(readme))
        {
            int line = readme.AsSpan(0, match.Index).Count('\n') + 1;
            blocks.Add(new ReadmeBlock(match.Groups["name"].Value, match.Groups["code"].Value, line));
        }

        return blocks;
    }

    /// <summary>
    /// One compilation of the blocks: each block's <c>using</c> directives open both files; its type declarations go
    /// into the declarations file; its statements become the body of a method of their own, in a class whose fields
    /// stand for what the README's prose says a block has in scope (a client, conversations, an M.E.AI chat client and
    /// embedding generator, a host's services).
    /// </summary>
    private static CSharpCompilation Compile(IReadOnlyList<ReadmeBlock> blocks)
    {
        var usings = new SortedSet<string>(StringComparer.Ordinal);
        var declarations = new StringBuilder();
        var statements = new StringBuilder();
        statements.AppendLine("internal static class ReadmeStatements").AppendLine("{");
        statements.AppendLine("    private static TypedBatchClient client = null!;");
        statements.AppendLine("    private static IReadOnlyList<PromptMessage>[] conversations = null!;");
        statements.AppendLine("    private static IChatClient chatClient = null!;");
        statements.AppendLine("    private static IEmbeddingGenerator<string, Embedding<float>> embeddingGenerator = null!;");
        statements.AppendLine("    private static Microsoft.Extensions.DependencyInjection.IServiceCollection services = null!;");
        foreach (ReadmeBlock block in blocks)
        {
            var root = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block.Code, GeneratorHarness.ParseOptions).GetRoot();
            foreach (UsingDirectiveSyntax directive in root.Usings)
            {
                usings.Add(directive.ToFullString().Trim());
            }

            statements.AppendLine(CultureInfo.InvariantCulture, $"    // README line {block.Line}: {block.Name}");
            statements.AppendLine(CultureInfo.InvariantCulture, $"    private static async Task Block{block.Line}()").AppendLine("    {");
            foreach (MemberDeclarationSyntax member in root.Members)
            {
                if (member is GlobalStatementSyntax statement)
                {
                    statements.AppendLine(statement.ToFullString());
                }
                else
                {
                    declarations.AppendLine(member.ToFullString());
                }
            }

            statements.AppendLine("        await Task.CompletedTask;").AppendLine("    }");
        }

        statements.AppendLine("}");
        string header = BothNamespaces + string.Join("\n", usings.Where(u => !BothNamespaces.Contains(u, StringComparison.Ordinal))) + "\n";
        return GeneratorHarness.Compilation(
            GeneratorHarness.Tree(Context, "/src/Context.cs"),
            GeneratorHarness.Tree(header + declarations, "/src/ReadmeDeclarations.cs"),
            GeneratorHarness.Tree(header + statements, "/src/ReadmeStatements.cs"));
    }

    /// <summary>The full names of the types that the identifier <paramref name="name"/> binds to across the README files.</summary>
    private static List<string> Symbols(CSharpCompilation compilation, string name)
    {
        var found = new List<string>();
        foreach (SyntaxTree tree in compilation.SyntaxTrees.Where(t => t.FilePath.Contains("Readme", StringComparison.Ordinal)))
        {
            SemanticModel model = compilation.GetSemanticModel(tree);
            foreach (IdentifierNameSyntax identifier in tree.GetRoot().DescendantNodes().OfType<IdentifierNameSyntax>().Where(i => i.Identifier.Text == name))
            {
                ISymbol? symbol = model.GetSymbolInfo(identifier).Symbol;
                ITypeSymbol? type = symbol as ITypeSymbol ?? (symbol as IMethodSymbol)?.ContainingType;
                if (type is not null)
                {
                    found.Add(type.ToDisplayString());
                }
            }
        }

        return found;
    }

    [GeneratedRegex(@"<!-- compiled: (?<name>[a-z-]+) -->\r?\n```csharp\r?\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();

    private sealed record ReadmeBlock(string Name, string Code, int Line);
}
