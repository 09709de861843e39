using System.IO.Compression;
using System.Xml.Linq;
using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests.Packaging;

/// <summary>
/// The NuGet package: its layout, and a consumer project that references it by PackageReference from a local
/// folder feed, builds with the generator from the package, and runs against the emulator.
/// </summary>
public sealed class PackageTests : IClassFixture<PackageTests.PackedPackage>
{
    private readonly PackedPackage _package;

    public PackageTests(PackedPackage package) => _package = package;

    [Fact]
    public void The_package_holds_the_library_and_the_generator_in_the_analyzer_slot()
    {
        using ZipArchive zip = ZipFile.OpenRead(_package.Path);
        string[] entries = zip.Entries.Select(e => e.FullName).ToArray();

        entries.Should().Contain("lib/net10.0/TypedBatch.dll");
        entries.Should().Contain("analyzers/dotnet/cs/TypedBatch.Generators.dll");
        entries.Where(e => e.EndsWith("TypedBatch.Generators.dll", StringComparison.Ordinal)).Should().ContainSingle("the generator is not a library reference");
        entries.Should().NotContain(e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Generators", StringComparison.Ordinal));
        entries.Should().Contain("build/TypedBatch.props").And.Contain("buildTransitive/TypedBatch.props");

        var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        string[] dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string)e.Attribute("id")!).ToArray();
        dependencies.Should().Contain("Refit").And.NotContain(d => d.Contains("Generators", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_consumer_referencing_the_package_gets_generated_clients_and_runs_against_the_emulator()
    {
        await using EmulatorServer emulator = await EmulatorServer.StartAsync();
        string consumer = Directory.CreateTempSubdirectory("typedbatch-consumer-").FullName;
        try
        {
            await WriteConsumerProjectAsync(consumer);
            await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), """
                using TypedBatch;

                await using var client = TypedBatchClient.FromEnvironment();
                IGreeter greeter = client.For<IGreeter>();
                BatchResult<string> result = await greeter.GreetBatchAsync(["Ada", "Linus", "Grace"]);
                foreach (BatchItem<string> item in result)
                    Console.WriteLine($"#{item.Index} {item.Value}");
                Console.WriteLine($"rendered: {IGreeter.RenderGreet("X")[^1].Content}");

                [PromptClient(Model = "consumer-model")]
                public partial interface IGreeter
                {
                    [User("Say hello to {name}.")]
                    Task<string> GreetAsync(string name, CancellationToken cancellationToken = default);
                }
                """);

            var environment = new Dictionary<string, string?>
            {
                ["OPENAI_BASE_URL"] = emulator.BaseUrl.ToString(),
                ["OPENAI_API_KEY"] = null,
                ["USE_COPILOT_CHAT"] = null,
            };
            (int exitCode, string output) = await DotnetCli.RunAsync(consumer, environment, "run", "--configuration", "Release");

            exitCode.Should().Be(0, output);
            output.Should().Contain("#0 Re: Say hello to Ada.").And.Contain("#2 Re: Say hello to Grace.").And.Contain("rendered: Say hello to X.");
            emulator.GetStats().ChatRequestsServed.Should().Be(3);
        }
        finally
        {
            Directory.Delete(consumer, recursive: true);
        }
    }

    [Fact]
    public async Task A_generator_error_fails_the_consumers_build_with_its_diagnostic_id()
    {
        string consumer = Directory.CreateTempSubdirectory("typedbatch-consumer-").FullName;
        try
        {
            await WriteConsumerProjectAsync(consumer);
            await File.WriteAllTextAsync(Path.Combine(consumer, "Program.cs"), """
                using TypedBatch;

                Console.WriteLine("unreachable");

                [PromptClient]
                public interface INotPartial
                {
                    [User("Say hello to {name}.")]
                    Task<string> GreetAsync(string name);
                }
                """);

            (int exitCode, string output) = await DotnetCli.RunAsync(consumer, null, "build", "--configuration", "Release");

            exitCode.Should().NotBe(0, output);
            output.Should().Contain("TB0001", "the generator inside the package reports a non-partial interface");
        }
        finally
        {
            Directory.Delete(consumer, recursive: true);
        }
    }

    // The consumer restores from the local feed alone: <clear/> drops every machine- and user-level source, so the
    // package's own dependencies can only come from the global package cache that the repository's restore filled.
    private async Task WriteConsumerProjectAsync(string consumer)
    {
        await File.WriteAllTextAsync(Path.Combine(consumer, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_package.Folder}" />
              </packageSources>
            </configuration>
            """);
        await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TypedBatch" Version="{_package.Version}" />
              </ItemGroup>
            </Project>
            """);
    }

    /// <summary>Packs the library once per test class, with a version of its own so no cached package is reused.</summary>
    public sealed class PackedPackage : IAsyncLifetime
    {
        public string Folder { get; } = Directory.CreateTempSubdirectory("typedbatch-feed-").FullName;

        public string Version { get; } = $"0.0.0-test{DateTime.UtcNow:yyyyMMddHHmmssfff}";

        public string Path => System.IO.Path.Combine(Folder, $"TypedBatch.{Version}.nupkg");

        public async Task InitializeAsync()
        {
            string project = System.IO.Path.Combine(DotnetCli.RepositoryRoot(), "src", "TypedBatch", "TypedBatch.csproj");
            (int exitCode, string output) = await DotnetCli.RunAsync(Folder, null, "pack", project, "--no-build", "--configuration", DotnetCli.BuildConfiguration(), "-p:Version=" + Version, "--output", Folder);
            if (exitCode != 0 || !File.Exists(Path))
            {
                throw new InvalidOperationException("dotnet pack failed:\n" + output);
            }
        }

        public Task DisposeAsync()
        {
            Directory.Delete(Folder, recursive: true);

            // The consumer's restore put this one-off version in the global package cache; remove it.
            string cached = System.IO.Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "typedbatch", Version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }

            return Task.CompletedTask;
        }
    }
}
