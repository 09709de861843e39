using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TypedBatch.Tests;

/// <summary>The untyped API keeps the original design's defaults and takes every setting; options are checked up front.</summary>
public sealed class RuntimePathTests
{
    private static readonly IReadOnlyList<PromptMessage>[] Two = [[PromptMessage.User("a")], [PromptMessage.User("b")]];

    [Fact]
    public async Task The_batch_options_overload_keeps_the_design_defaults_of_temperature_and_max_tokens()
    {
        var provider = new FakeChatProvider();
        var client = new TypedBatchClient(provider);

        await client.CreateChatCompletionsBatchAsync(Two, new BatchOptions { MaxConcurrency = 2 });

        provider.Requests.Should().HaveCount(2).And.OnlyContain(r => r.Settings.Temperature == 0.3 && r.Settings.MaxTokens == 200 && r.Settings.Model == TypedBatchOptions.DefaultModel);
    }

    [Fact]
    public async Task The_parameter_overload_sends_exactly_what_it_was_given_and_options_override_the_defaults()
    {
        var provider = new FakeChatProvider();
        var client = new TypedBatchClient(provider);

        await client.CreateChatCompletionsBatchAsync(Two, model: "m1", temperature: 0.9, maxTokens: 50, maxWorkers: 1);
        await client.CreateChatCompletionsBatchAsync(Two, new BatchOptions { Temperature = 0, MaxTokens = 7 });

        provider.Requests.Take(2).Should().OnlyContain(r => r.Settings.Model == "m1" && r.Settings.Temperature == 0.9 && r.Settings.MaxTokens == 50);
        provider.Requests.Skip(2).Should().OnlyContain(r => r.Settings.Temperature == 0 && r.Settings.MaxTokens == 7);
    }

    [Fact]
    public async Task The_settings_overload_takes_every_completion_setting()
    {
        var provider = new FakeChatProvider();
        var client = new TypedBatchClient(provider);
        var settings = new CompletionSettings { Model = "m2", TopP = 0.5, Seed = 42, Stop = ["END"], ResponseFormat = ResponseFormat.JsonObject };

        BatchResult<ChatCompletion> batch = await client.CreateChatCompletionsBatchAsync(Two, settings, new BatchOptions { MaxConcurrency = 1 });
        await foreach (BatchItem<ChatCompletion> _ in client.CreateChatCompletionsAsCompletedAsync(Two, settings))
        {
        }

        batch.AllSucceeded.Should().BeTrue();
        provider.Requests.Should().HaveCount(4).And.OnlyContain(r =>
            r.Settings.Model == "m2" && r.Settings.TopP == 0.5 && r.Settings.Seed == 42 && r.Settings.Stop!.SequenceEqual(new[] { "END" })
            && r.Settings.ResponseFormat == ResponseFormat.JsonObject && r.Settings.Temperature == 0.3 && r.Settings.MaxTokens == 200);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("true")]
    [InlineData("YES")]
    public void USE_COPILOT_CHAT_accepts_1_true_and_yes(string value)
    {
        var options = TypedBatchOptions.FromEnvironment(name => name switch
        {
            "USE_COPILOT_CHAT" => value,
            "GITHUB_TOKEN" => "ghu_token_123456",
            _ => null,
        });

        options.Provider.Should().Be(ProviderKind.GitHubCopilot);
    }

    [Fact]
    public void USE_COPILOT_CHAT_off_values_leave_copilot_off()
    {
        var options = TypedBatchOptions.FromEnvironment(name => name switch
        {
            "USE_COPILOT_CHAT" => "0",
            "OPENAI_API_KEY" => "sk-test-123456",
            _ => null,
        });

        options.Provider.Should().Be(ProviderKind.OpenAI);
    }

    [Fact]
    public void MODEL_CHOICE_sets_the_model_in_the_configuration_overload_unless_the_section_names_one()
    {
        IConfiguration withChoice = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MODEL_CHOICE"] = "gpt-4.1-mini",
            ["TypedBatch:Provider"] = "OpenAICompatible",
            ["TypedBatch:BaseUrl"] = "http://127.0.0.1:9/v1",
        }).Build();
        IConfiguration withBoth = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MODEL_CHOICE"] = "gpt-4.1-mini",
            ["TypedBatch:Model"] = "section-model",
            ["TypedBatch:Provider"] = "OpenAICompatible",
            ["TypedBatch:BaseUrl"] = "http://127.0.0.1:9/v1",
        }).Build();

        using ServiceProvider first = new ServiceCollection().AddTypedBatch(withChoice).BuildServiceProvider();
        using ServiceProvider second = new ServiceCollection().AddTypedBatch(withBoth).BuildServiceProvider();

        first.GetRequiredService<IOptions<TypedBatchOptions>>().Value.Model.Should().Be("gpt-4.1-mini");
        second.GetRequiredService<IOptions<TypedBatchOptions>>().Value.Model.Should().Be("section-model");
    }

    public static TheoryData<string, Action<TypedBatchOptions>, string> BadOptions => new()
    {
        { "attempt timeout of 5 ms", o => o.AttemptTimeout = TimeSpan.FromMilliseconds(5), "AttemptTimeout" },
        { "attempt timeout of 2 days", o => { o.AttemptTimeout = TimeSpan.FromDays(2); o.TotalTimeout = TimeSpan.FromDays(3); }, "AttemptTimeout" },
        { "total timeout of 2 days", o => o.TotalTimeout = TimeSpan.FromDays(2), "TotalTimeout" },
        { "backoff of 2 days", o => o.RetryBaseDelay = TimeSpan.FromDays(2), "RetryBaseDelay" },
        { "breaker after 1 failure", o => o.CircuitBreakFailures = 1, "CircuitBreakFailures" },
        { "break of 100 ms", o => o.CircuitBreakDuration = TimeSpan.FromMilliseconds(100), "CircuitBreakDuration" },
        { "base URL with a fragment", o => o.BaseUrl = new Uri("http://127.0.0.1:9/v1#frag"), "fragment" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Options_Polly_would_reject_fail_validation_naming_the_property(string name, Action<TypedBatchOptions> spoil, string property)
    {
        var options = new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = new Uri("http://127.0.0.1:9/v1") };
        spoil(options);

        Action validate = options.Validate;
        Action create = () => TypedBatchClient.Create(options);
        using ServiceProvider services = new ServiceCollection().AddTypedBatch(o =>
        {
            o.Provider = options.Provider;
            o.BaseUrl = options.BaseUrl;
            spoil(o);
        }).BuildServiceProvider();
        Action resolve = () => services.GetRequiredService<TypedBatchClient>();

        validate.Should().Throw<InvalidOperationException>(name).WithMessage($"*{property}*");
        create.Should().Throw<InvalidOperationException>(name).WithMessage($"*{property}*");
        resolve.Should().Throw<OptionsValidationException>(name).WithMessage($"*{property}*");
    }

    [Fact]
    public void Validation_names_every_problem_at_once()
    {
        var options = new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, MaxConcurrency = 0, AttemptTimeout = TimeSpan.FromMilliseconds(1) };

        Action validate = options.Validate;

        validate.Should().Throw<InvalidOperationException>().WithMessage("*BaseUrl*MaxConcurrency*AttemptTimeout*");
    }

    [Fact]
    public async Task An_unexpected_failure_keeps_its_exception_and_the_failure_log_carries_it()
    {
        var boom = new InvalidOperationException("bug in user code");
        var provider = new FakeChatProvider { Fail = _ => boom };
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        var client = new TypedBatchClient(provider, loggerFactory: loggerFactory);

        BatchResult<ChatCompletion> result = await client.CreateChatCompletionsBatchAsync([[PromptMessage.User("x")]]);

        result[0].Error!.Kind.Should().Be(BatchErrorKind.Unknown);
        result[0].Error!.Exception.Should().BeSameAs(boom);
        logs.Entries.Should().Contain(e => e.Exception == boom && e.Message.Contains("#0 failed", StringComparison.Ordinal));
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<(string Message, Exception? Exception)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => owner.Entries.Enqueue((formatter(state, exception), exception));
        }
    }
}

/// <summary>A model answer kept on an error is masked like any server text: a hostile server may echo a key in it.</summary>
public sealed class RawOutputMaskingTests
{
    [Fact]
    public async Task The_answer_kept_on_an_invalid_output_error_has_the_key_masked()
    {
        const string Secret = "sk-SECRET-0123456789abcdefXYZ";
        var client = new TypedBatchClient(new FakeChatProvider(), new TypedBatchOptions(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeProvider.System, new Providers.SecretRedactor(Secret));
        var spec = new StructuredOutputSpec<int>(ResponseFormat.ForJsonSchema("n", "{}"u8.ToArray()), json => System.Text.Json.JsonSerializer.Deserialize<int>(json), maxRepairAttempts: 0);
        BatchPlan plan = BatchPlanner.Chat("masking", "fake", new CompletionSettings(), null, client.Options, 0);

        BatchResult<int> result = await client.Engine.Runner.RunAsync(["x"], client.Engine.StructuredWork<string, int>(plan, _ => [PromptMessage.User($"echo {Secret}")], spec), plan);

        BatchError error = result[0].Error!;
        error.Kind.Should().Be(BatchErrorKind.InvalidOutput);
        error.RawOutput.Should().Be("Re: echo ***", "the fake echoes the prompt; the key in the answer is masked");
        error.ToString().Should().NotContain(Secret[..12]);
    }
}
