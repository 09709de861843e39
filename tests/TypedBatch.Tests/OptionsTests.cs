namespace TypedBatch.Tests;

public sealed class OptionsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
        => name => variables.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void An_api_key_alone_selects_OpenAI_with_the_default_model()
    {
        var options = TypedBatchOptions.FromEnvironment(Env(("OPENAI_API_KEY", "sk-test-123456")));

        options.Provider.Should().Be(ProviderKind.OpenAI);
        options.EffectiveBaseUrl.Should().Be(new Uri("https://api.openai.com/v1"));
        options.Model.Should().Be("gpt-4o-mini");
        options.EffectiveRequestsPerMinute.Should().BeNull();
    }

    [Fact]
    public void A_base_url_selects_an_OpenAI_compatible_server_with_an_optional_key()
    {
        var options = TypedBatchOptions.FromEnvironment(Env(("OPENAI_BASE_URL", "http://localhost:11434/v1"), ("MODEL_CHOICE", "llama3.2")));

        options.Provider.Should().Be(ProviderKind.OpenAICompatible);
        options.EffectiveBaseUrl.Should().Be(KnownEndpoints.Ollama);
        options.ApiKey.Should().BeNull();
        options.Model.Should().Be("llama3.2");
        options.Invoking(o => o.Validate()).Should().NotThrow();
    }

    [Fact]
    public void Copilot_defaults_to_60_requests_a_minute_and_reads_the_override()
    {
        var defaults = TypedBatchOptions.FromEnvironment(Env(("USE_COPILOT_CHAT", "true"), ("GITHUB_TOKEN", "ghp_abcdef123456")));
        var custom = TypedBatchOptions.FromEnvironment(Env(("USE_COPILOT_CHAT", "TRUE"), ("GITHUB_TOKEN", "ghp_abcdef123456"), ("COPILOT_REQUESTS_PER_MINUTE", "30")));

        defaults.Provider.Should().Be(ProviderKind.GitHubCopilot);
        defaults.EffectiveRequestsPerMinute.Should().Be(60);
        custom.EffectiveRequestsPerMinute.Should().Be(30);
    }

    [Fact]
    public void Copilot_without_a_github_token_names_the_missing_variable()
    {
        Action act = () => TypedBatchOptions.FromEnvironment(Env(("USE_COPILOT_CHAT", "true")));

        act.Should().Throw<InvalidOperationException>().WithMessage("*GITHUB_TOKEN*");
    }

    [Fact]
    public void No_provider_names_every_variable_that_would_configure_one()
    {
        Action act = () => TypedBatchOptions.FromEnvironment(Env());

        act.Should().Throw<InvalidOperationException>().WithMessage("*OPENAI_API_KEY*OPENAI_BASE_URL*USE_COPILOT_CHAT*GITHUB_TOKEN*");
    }

    [Theory]
    [InlineData("COPILOT_REQUESTS_PER_MINUTE", "zero")]
    [InlineData("COPILOT_REQUESTS_PER_MINUTE", "-5")]
    public void A_bad_rate_is_reported_with_its_variable(string name, string value)
    {
        Action act = () => TypedBatchOptions.FromEnvironment(Env(("USE_COPILOT_CHAT", "true"), ("GITHUB_TOKEN", "ghp_abcdef123456"), (name, value)));

        act.Should().Throw<InvalidOperationException>().WithMessage($"*{name}*{value}*");
    }

    [Fact]
    public void A_bad_base_url_is_reported_with_its_variable()
    {
        Action act = () => TypedBatchOptions.FromEnvironment(Env(("OPENAI_BASE_URL", "localhost:11434")));

        act.Should().Throw<InvalidOperationException>().WithMessage("*OPENAI_BASE_URL*localhost:11434*");
    }

    [Fact]
    public void ToString_masks_secrets()
    {
        var options = new TypedBatchOptions { ApiKey = "sk-SECRET-abcdef", GitHubToken = "ghp_SECRET-abcdef" };

        options.ToString().Should().NotContain("SECRET").And.Contain("***");
    }

    [Fact]
    public void Default_timeouts_are_sized_for_llm_calls()
    {
        var options = new TypedBatchOptions();

        options.AttemptTimeout.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMinutes(2), "completions can take minutes; the 10 s HTTP default would cut them off");
        options.TotalTimeout.Should().BeGreaterThan(options.AttemptTimeout);
    }

    [Theory]
    [InlineData(nameof(TypedBatchOptions.MaxConcurrency))]
    [InlineData(nameof(TypedBatchOptions.TotalTimeout))]
    [InlineData(nameof(TypedBatchOptions.EmbeddingInputsPerRequest))]
    public void Validate_names_the_property_out_of_range(string property)
    {
        var options = new TypedBatchOptions { ApiKey = "sk-test-123456" };
        switch (property)
        {
            case nameof(TypedBatchOptions.MaxConcurrency): options.MaxConcurrency = 0; break;
            case nameof(TypedBatchOptions.TotalTimeout): options.TotalTimeout = TimeSpan.FromSeconds(1); break;
            default: options.EmbeddingInputsPerRequest = 4096; break;
        }

        options.Invoking(o => o.Validate()).Should().Throw<InvalidOperationException>().WithMessage($"*{property}*");
    }
}
