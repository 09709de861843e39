using TypedBatch.Emulator;

namespace TypedBatch.IntegrationTests;

/// <summary>The emulator's command line, and the hostile-server faults that let a client's hardening be tested offline, over real loopback HTTP.</summary>
public sealed class EmulatorHostileFaultTests
{
    [Fact]
    public void Command_line_maps_every_flag_onto_the_options()
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse(
        [
            "--port", "8080", "--latency-ms", "50", "--jitter-ms", "7", "--seed", "3", "--fail-every", "10", "--fail-status", "503",
            "--api-key", "sk-test", "--github-token", "gh", "--copilot-token-lifetime-s", "90", "--embedding-dimensions", "64",
            "--rpm", "3000", "--tpm=150000", "--fault-seed", "9", "--error500-rate", "0.1", "--error503-rate", "0.2",
            "--reset-rate", "0.05", "--stall-rate", "0.05", "--stall-ms", "1500", "--malformed-rate", "0.1",
        ]);

        parsed.Errors.Should().BeEmpty();
        EmulatorOptions options = parsed.Options!;
        options.Port.Should().Be(8080);
        options.Latency.Should().Be(TimeSpan.FromMilliseconds(50));
        options.LatencyJitter.Should().Be(TimeSpan.FromMilliseconds(7));
        options.Seed.Should().Be(3);
        options.FailEveryNth.Should().Be(10);
        options.FailStatus.Should().Be(503);
        options.ApiKey.Should().Be("sk-test");
        options.GitHubToken.Should().Be("gh");
        options.CopilotTokenLifetime.Should().Be(TimeSpan.FromSeconds(90));
        options.EmbeddingDimensions.Should().Be(64);
        options.RequestsPerMinute.Should().Be(3000);
        options.TokensPerMinute.Should().Be(150_000, "the --name=value form works too");
        options.FaultSeed.Should().Be(9);
        options.Error500Rate.Should().Be(0.1);
        options.Error503Rate.Should().Be(0.2);
        options.ResetRate.Should().Be(0.05);
        options.StallRate.Should().Be(0.05);
        options.StallDuration.Should().Be(TimeSpan.FromMilliseconds(1500));
        options.MalformedRate.Should().Be(0.1);
    }

    [Fact]
    public void Command_line_without_flags_gives_the_defaults()
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse([]);

        parsed.Errors.Should().BeEmpty();
        parsed.Options.Should().BeEquivalentTo(new EmulatorOptions(), o => o.Excluding(x => x.TimeProvider));
        parsed.Options!.RequestsPerMinute.Should().Be(0, "--rpm 0 (the default) means unlimited, as before");
    }

    [Theory]
    [InlineData("--latency-ms", "abc")]
    [InlineData("--rpm", "-1")]
    [InlineData("--port", "70000")]
    [InlineData("--fail-status", "200")]
    [InlineData("--stall-rate", "lots")]
    [InlineData("--malformed-rate", "1.5")]
    [InlineData("--embedding-dimensions", "0")]
    public void Command_line_rejects_a_bad_value_naming_the_flag(string flag, string value)
    {
        ParsedCommandLine parsed = CommandLineOptions.Parse([flag, value]);

        parsed.Options.Should().BeNull();
        parsed.Errors.Should().ContainSingle().Which.Should().Contain($"'{flag}'");
    }

    [Fact]
    public void Command_line_rejects_rates_adding_up_to_more_than_one_and_unknown_flags()
    {
        CommandLineOptions.Parse(["--error500-rate", "0.7", "--reset-rate", "0.5"]).Errors.Should().ContainSingle()
            .Which.Should().Contain("--error500-rate").And.Contain("--reset-rate").And.Contain("at most 1");
        CommandLineOptions.Parse(["--latency", "5"]).Errors.Should().Contain(e => e.Contains("--latency", StringComparison.Ordinal));
        CommandLineOptions.Parse(["--rpm"]).Errors.Should().Contain(e => e.Contains("--rpm", StringComparison.Ordinal));
    }

    [Fact]
    public void Command_line_help_is_recognised()
    {
        CommandLineOptions.Parse(["--help"]).HelpRequested.Should().BeTrue();
        CommandLineOptions.Parse(["-h"]).HelpRequested.Should().BeTrue();
        CommandLineOptions.Parse(["--rpm", "5"]).HelpRequested.Should().BeFalse();
    }
}
