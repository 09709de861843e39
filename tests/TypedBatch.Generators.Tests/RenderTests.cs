using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;

namespace TypedBatch.Generators.Tests;

/// <summary>
/// The generated render methods, compiled and run: what users rely on is the exact text sent to the model.
/// </summary>
public sealed class RenderTests
{
    [Fact]
    public void Formats_apply_in_invariant_culture_whatever_the_current_culture()
    {
        CultureInfo previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
        try
        {
            PromptMessage[] messages = Render("Tutor", "Samples.Tutoring.ITutor", "RenderQuote", 1234.5m, new DateTime(2024, 1, 2));

            messages.Select(m => (m.Role, m.Content)).Should().Equal(
                (PromptRole.System, "You are a helpful assistant."),
                (PromptRole.User, "Price: 1234.50 on 2024-01-02. Literal {braces}."));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Braces_in_a_value_are_text_not_placeholders()
    {
        PromptMessage[] messages = Render("Tutor", "Samples.Tutoring.ITutor", "RenderTranslate", "{language} {{x}}", "French");

        messages.Last().Content.Should().Be("Translate into French: {language} {{x}}");
    }

    [Fact]
    public void Property_paths_read_nested_values()
    {
        PromptMessage[] messages = RenderWith("Tutor", "Samples.Tutoring.ITutor", "RenderSummarize", assembly =>
        {
            object author = Activator.CreateInstance(assembly.GetType("Samples.Tutoring.Author")!, "Ann")!;
            return [Activator.CreateInstance(assembly.GetType("Samples.Tutoring.Document")!, "Dune", author, 1200)!];
        });

        messages.Last().Content.Should().Be("Summarize 'Dune' by Ann (1,200 pages).");
    }

    [Fact]
    public void Few_shot_messages_keep_declaration_order_after_the_interface_system_message()
    {
        PromptMessage[] messages = Render("Tutor", "Samples.Tutoring.ITutor", "RenderClassify", "nice acting");

        messages.Select(m => (m.Role, m.Content)).Should().Equal(
            (PromptRole.System, "You are a helpful assistant."),
            (PromptRole.User, "Classify: great movie"),
            (PromptRole.Assistant, "positive"),
            (PromptRole.User, "Classify: awful plot"),
            (PromptRole.Assistant, "negative"),
            (PromptRole.User, "Classify: nice acting"));
    }

    [Fact]
    public void Null_values_and_null_hops_render_as_empty_text()
    {
        Render("NullableValues", "Samples.Nullable.ICrm", "RenderEcho", [null]).Single().Content.Should().BeEmpty();
        Render("NullableValues", "Samples.Nullable.ICrm", "RenderGreet", null, null).Single().Content
            .Should().Be("Greet  from ; balance ; seen .");
        Render("NullableValues", "Samples.Nullable.ICrm", "RenderLocate", [null]).Single().Content.Should().Be("Where is (, )?");

        // A null hop after a non-null root: customer.Address is null, so {customer.Address.City} is empty.
        RenderWith("NullableValues", "Samples.Nullable.ICrm", "RenderGreet", assembly =>
            [Activator.CreateInstance(assembly.GetType("Samples.Nullable.Customer")!, "Sam", null, 2.5m), null])
            .Single().Content.Should().Be("Greet Sam from ; balance ¤2.50; seen .");
    }

    private static PromptMessage[] Render(string caseName, string interfaceName, string method, params object?[] arguments)
        => RenderWith(caseName, interfaceName, method, _ => arguments);

    private static PromptMessage[] RenderWith(string caseName, string interfaceName, string method, Func<Assembly, object?[]> arguments)
    {
        GeneratorRun run = GeneratorHarness.Run(Baselines.Compilation(caseName));
        using var stream = new MemoryStream();
        EmitResult emitted = run.OutputCompilation.Emit(stream);
        emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Should().BeEmpty();

        var context = new AssemblyLoadContext(caseName, isCollectible: true);
        try
        {
            stream.Position = 0;
            Assembly assembly = context.LoadFromStream(stream);
            MethodInfo render = assembly.GetType(interfaceName, throwOnError: true)!.GetMethod(method)!;
            return (PromptMessage[])render.Invoke(null, arguments(assembly))!;
        }
        finally
        {
            context.Unload();
        }
    }
}
