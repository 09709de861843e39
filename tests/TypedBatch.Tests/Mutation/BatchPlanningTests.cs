namespace TypedBatch.Tests.Mutation;

/// <summary>The options' validation (exact names, values and messages, both sides of every bound) and how plans resolve.</summary>
public sealed class BatchPlanningTests
{
    public static TheoryData<BatchOptions, string, object?, string> Invalid => new()
    {
        { new BatchOptions { MaxConcurrency = 0 }, "o.MaxConcurrency", 0, "The number of concurrent requests must be at least 1." },
        { new BatchOptions { Temperature = -0.01 }, "o.Temperature", -0.01, "Temperature must be between 0 and 2." },
        { new BatchOptions { Temperature = 2.01 }, "o.Temperature", 2.01, "Temperature must be between 0 and 2." },
        { new BatchOptions { MaxTokens = 0 }, "o.MaxTokens", 0, "MaxTokens must be at least 1." },
        { new BatchOptions { RequestsPerMinute = 0 }, "o.RequestsPerMinute", 0, "RequestsPerMinute must be at least 1." },
        { new BatchOptions { TokensPerMinute = 0 }, "o.TokensPerMinute", 0, "TokensPerMinute must be at least 1." },
        { new BatchOptions { MaxRepairAttempts = -1 }, "o.MaxRepairAttempts", -1, "MaxRepairAttempts must be between 0 and 5." },
        { new BatchOptions { MaxRepairAttempts = 6 }, "o.MaxRepairAttempts", 6, "MaxRepairAttempts must be between 0 and 5." },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Each_out_of_range_value_is_named_with_its_value_and_rule(BatchOptions options, string paramName, object? value, string rule)
    {
        Action act = () => options.Validate("o");

        ArgumentOutOfRangeException error = act.Should().Throw<ArgumentOutOfRangeException>().Which;
        error.ParamName.Should().Be(paramName);
        error.ActualValue.Should().Be(value);
        error.Message.Should().Be($"{rule} (Parameter '{paramName}'){Environment.NewLine}Actual value was {Convert.ToString(value, System.Globalization.CultureInfo.CurrentCulture)}.");
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void A_blank_model_is_refused(string model)
    {
        Action act = () => new BatchOptions { Model = model }.Validate();

        ArgumentException error = act.Should().Throw<ArgumentException>().Which;
        error.Should().NotBeOfType<ArgumentOutOfRangeException>();
        error.ParamName.Should().Be("options.Model");
        error.Message.Should().Be("Model must not be blank. (Parameter 'options.Model')");
    }

    [Fact]
    public void The_bounds_themselves_are_valid()
    {
        Action low = () => new BatchOptions { MaxConcurrency = 1, Temperature = 0, MaxTokens = 1, RequestsPerMinute = 1, TokensPerMinute = 1, MaxRepairAttempts = 0, Model = "m" }.Validate();
        Action high = () => new BatchOptions { MaxConcurrency = int.MaxValue, Temperature = 2, MaxRepairAttempts = 5 }.Validate();
        Action unset = () => new BatchOptions().Validate();

        low.Should().NotThrow();
        high.Should().NotThrow();
        unset.Should().NotThrow();
    }

    [Fact]
    public void A_chat_plan_takes_the_calls_overrides_then_the_methods_settings_then_the_clients()
    {
        var progress = new SyncProgress<BatchProgress>(_ => { });
        var defaults = new TypedBatchOptions { Model = "client-model", MaxConcurrency = 7 };
        var settings = new CompletionSettings { Temperature = 0.4, MaxTokens = 40, TopP = 0.9 };

        BatchPlan plain = BatchPlanner.Chat("op", "prov", settings, null, defaults, maxRepairAttempts: 3);
        BatchPlan overridden = BatchPlanner.Chat("op", "prov", settings with { Model = "method-model" }, new BatchOptions
        {
            Temperature = 1.5,
            MaxConcurrency = 2,
            MaxRepairAttempts = 0,
            Progress = progress,
            AdaptiveConcurrency = false,
            RequestsPerMinute = 60,
            TokensPerMinute = 600,
        }, defaults, maxRepairAttempts: 3);

        plain.Should().Be(new BatchPlan("op", "prov", "client-model", 7) { Settings = settings with { Model = "client-model" }, MaxRepairAttempts = 3 });
        plain.Temperature.Should().Be(0.4);
        plain.MaxTokens.Should().Be(40);
        plain.Unit.Should().Be("completions");
        plain.AdaptiveConcurrency.Should().BeTrue();
        plain.Progress.Should().BeNull();
        overridden.Model.Should().Be("method-model");
        overridden.Settings.Should().Be(settings with { Model = "method-model", Temperature = 1.5 });
        overridden.MaxConcurrency.Should().Be(2);
        overridden.MaxRepairAttempts.Should().Be(0);
        overridden.Progress.Should().BeSameAs(progress);
        overridden.AdaptiveConcurrency.Should().BeFalse();
        overridden.RequestsPerMinute.Should().Be(60);
        overridden.TokensPerMinute.Should().Be(600);
    }

    [Fact]
    public void A_chat_plan_checks_the_options_by_the_name_options()
    {
        Action act = () => BatchPlanner.Chat("op", "prov", new CompletionSettings(), new BatchOptions { MaxTokens = 0 }, new TypedBatchOptions());

        act.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("options.MaxTokens");
    }

    [Fact]
    public void Resolve_fills_only_what_is_missing()
    {
        var defaults = new TypedBatchOptions { Model = "client" };
        var method = new CompletionSettings { Model = "method", Temperature = 0.1, MaxTokens = 10 };

        BatchPlanner.Resolve(method, null, defaults).Should().BeSameAs(method);
        BatchPlanner.Resolve(method, new BatchOptions { MaxConcurrency = 3 }, defaults).Should().BeSameAs(method);
        BatchPlanner.Resolve(new CompletionSettings(), null, defaults).Model.Should().Be("client");
        BatchPlanner.Resolve(method, new BatchOptions { Model = "call" }, defaults).Should().Be(method with { Model = "call" });
        BatchPlanner.Resolve(method, new BatchOptions { MaxTokens = 99 }, defaults).Should().Be(method with { MaxTokens = 99 });
        BatchPlanner.Resolve(method, new BatchOptions { Temperature = 2 }, defaults).Should().Be(method with { Temperature = 2 });
        BatchPlanner.Resolve(new CompletionSettings(), new BatchOptions { Temperature = 1 }, defaults).Should().Be(new CompletionSettings { Model = "client", Temperature = 1 });
    }

    [Fact]
    public void An_embeddings_plan_prefers_the_calls_model_then_the_methods_then_the_clients()
    {
        var defaults = new TypedBatchOptions { EmbeddingModel = "client-embed", MaxConcurrency = 5 };

        BatchPlan call = BatchPlanner.Embeddings("embed", "prov", "method-embed", 256, new BatchOptions { Model = "call-embed", MaxConcurrency = 2, RequestsPerMinute = 10 }, defaults);
        BatchPlan method = BatchPlanner.Embeddings("embed", "prov", "method-embed", null, null, defaults);
        BatchPlan client = BatchPlanner.Embeddings("embed", "prov", null, null, new BatchOptions(), defaults);

        call.Should().Be(new BatchPlan("embed", "prov", "call-embed", 2) { Dimensions = 256, Unit = "embeddings", RequestsPerMinute = 10 });
        method.Should().Be(new BatchPlan("embed", "prov", "method-embed", 5) { Unit = "embeddings" });
        client.Model.Should().Be("client-embed");
        Action invalid = () => BatchPlanner.Embeddings("embed", "prov", null, null, new BatchOptions { MaxConcurrency = 0 }, defaults);
        invalid.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("options.MaxConcurrency");
    }

    [Fact]
    public void A_custom_plan_names_no_provider_or_model_of_its_own()
    {
        BatchPlanner.Custom("IPrompts.Do", null, 9).Should().Be(new BatchPlan("IPrompts.Do", "custom", "default", 9));
        BatchPlanner.Custom("IPrompts.Do", new BatchOptions { Model = "mine", MaxConcurrency = 3, TokensPerMinute = 100 }, 9)
            .Should().Be(new BatchPlan("IPrompts.Do", "custom", "mine", 3) { TokensPerMinute = 100 });
        Action invalid = () => BatchPlanner.Custom("IPrompts.Do", new BatchOptions { TokensPerMinute = 0 }, 9);
        invalid.Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("options.TokensPerMinute");
    }
}
