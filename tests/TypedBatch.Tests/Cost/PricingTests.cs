using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using TypedBatch.Providers;

namespace TypedBatch.Tests.Cost;

public sealed class PricingTests
{
    private static readonly TokenUsage Usage = new(PromptTokens: 1_000, CompletionTokens: 500, TotalTokens: 1_500, CachedTokens: 200, ReasoningTokens: 100);

    [Fact]
    public void A_price_bills_uncached_prompt_cached_prompt_and_output_tokens_per_million()
    {
        var price = new ModelPrice(InputPerMillion: 0.15m, OutputPerMillion: 0.60m) { CachedInputPerMillion = 0.075m };

        // 800 uncached × 0.15 + 200 cached × 0.075 + 500 output (reasoning included) × 0.60, per million.
        price.Cost(Usage).Should().Be(0.000435m);
        price.Cost(Usage, deferred: true).Should().Be(0.0002175m, "the Batch API takes half off by default");
        (price with { CachedInputPerMillion = null }).Cost(Usage).Should().Be(0.00045m, "without a cached price, cached tokens bill as input");
        (price with { BatchDiscount = 0m }).Cost(Usage, deferred: true).Should().Be(0.000435m);
        price.Cost(default).Should().Be(0m);
    }

    [Theory]
    [InlineData("gpt-4o-mini", "gpt-4o-mini")]
    [InlineData("GPT-4o-Mini", "gpt-4o-mini")]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("gpt-4.1-nano-2025-04-14", "gpt-4.1-nano")]
    [InlineData("gpt-3.5-turbo-0125", "gpt-3.5-turbo")]
    [InlineData("o3-mini-2025-01-31", "o3-mini")]
    [InlineData("text-embedding-3-small", "text-embedding-3-small")]
    public void Built_in_prices_match_model_ids_and_their_dated_snapshots(string id, string family)
    {
        var table = new PriceTable();

        table.Find(id).Should().NotBeNull().And.Be(table.Find(family));
    }

    [Theory]
    [InlineData("llama3.1:8b")]
    [InlineData("gpt-4o-mini-preview")]
    [InlineData("my-deployment")]
    [InlineData("")]
    [InlineData("claude-opus-9")]
    [InlineData("claude-sonnet-4-5-thinking")]
    [InlineData("claude-sonnet-4-5-20251399")]
    [InlineData("claude-2.1")]
    [InlineData("chatgpt-4o-latest")]
    public void An_unknown_model_has_no_price(string id) => new PriceTable().Find(id).Should().BeNull();

    [Theory]
    [InlineData("claude-sonnet-4-5", 3.00, 0.30, 15.00)]
    [InlineData("claude-haiku-4-5", 1.00, 0.10, 5.00)]
    [InlineData("claude-opus-4-1", 15.00, 1.50, 75.00)]
    [InlineData("claude-opus-4-5", 5.00, 0.50, 25.00)]
    [InlineData("claude-opus-5-5", 4.00, 0.20, 20.00)]
    [InlineData("claude-sonnet-5-5", 2.00, 0.10, 10.00)]
    [InlineData("claude-fable-5-1", 10.00, 0.25, 50.00)]
    [InlineData("claude-3-5-haiku", 0.80, 0.08, 4.00)]
    [InlineData("claude-3-haiku", 0.25, 0.03, 1.25)]
    public void Claude_models_have_Anthropics_input_cache_read_and_output_prices_at_half_price_in_message_batches(string id, double input, double cacheRead, double output)
    {
        new PriceTable().Find(id).Should().Be(new ModelPrice((decimal)input, (decimal)output) { CachedInputPerMillion = (decimal)cacheRead, BatchDiscount = 0.5m });
    }

    [Fact]
    public void A_Claude_answer_bills_uncached_prompt_cache_reads_and_output_and_half_of_it_in_a_message_batch()
    {
        // An Anthropic usage of input_tokens 600, cache_creation_input_tokens 200, cache_read_input_tokens 200, output_tokens 500,
        // mapped as PriceTable's remarks say: PromptTokens 1,000 (600 + 200 + 200), CachedTokens 200 (the reads).
        ModelPrice sonnet = new PriceTable().Find("claude-sonnet-4-5-20250929")!;

        // 800 prompt tokens (cache writes included) × $3 + 200 cache reads × $0.30 + 500 output × $15, per million.
        sonnet.Cost(Usage).Should().Be(0.00996m);
        sonnet.Cost(Usage, deferred: true).Should().Be(0.00498m);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-haiku-4-5-20251001", "claude-haiku-4-5")]
    [InlineData("claude-opus-4-5-20251101", "claude-opus-4-5")]
    [InlineData("claude-opus-4-1-20250805", "claude-opus-4-1")]
    [InlineData("claude-opus-4-20250514", "claude-opus-4")]
    [InlineData("claude-sonnet-4-20250514", "claude-sonnet-4")]
    [InlineData("claude-3-7-sonnet-20250219", "claude-3-7-sonnet")]
    [InlineData("claude-3-5-haiku-20241022", "claude-3-5-haiku")]
    [InlineData("claude-3-haiku-20240307", "claude-3-haiku")]
    [InlineData("claude-3-5-haiku-latest", "claude-3-5-haiku")]
    [InlineData("claude-sonnet-4-0", "claude-sonnet-4")]
    [InlineData("CLAUDE-Sonnet-4-5", "claude-sonnet-4-5")]
    public void Claude_snapshot_ids_and_aliases_are_priced_as_their_model(string id, string model)
    {
        var table = new PriceTable();

        table.Find(id).Should().NotBeNull().And.Be(table.Find(model));
    }

    [Theory]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("gpt-3.5-turbo-0125", "gpt-3.5-turbo")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-opus-4-20250514", "claude-opus-4")]
    [InlineData("claude-sonnet-4-5-20251399", null)]
    [InlineData("claude-opus-4-6", null)]
    [InlineData("claude-sonnet-5", null)]
    [InlineData("model-123456789", null)]
    [InlineData("20250929", null)]
    [InlineData("-20250929", null)]
    public void A_snapshot_suffix_is_a_dash_and_a_date(string id, string? model) => PriceTable.SnapshotBase(id).Should().Be(model);

    [Fact]
    public void A_price_set_for_a_snapshot_wins_over_its_family_and_a_set_price_over_the_built_in_one()
    {
        var table = new PriceTable();
        var snapshot = new ModelPrice(1m, 2m);
        var family = new ModelPrice(3m, 4m);

        table.Set("gpt-4o-mini-2024-07-18", snapshot).Set("gpt-4o-mini", family);

        table.Find("gpt-4o-mini-2024-07-18").Should().Be(snapshot);
        table.Find("gpt-4o-mini-2099-01-01").Should().Be(family);
        table.Remove("gpt-4o-mini").Should().BeTrue();
        table.Find("gpt-4o-mini").Should().BeNull();
        PriceTable.Empty().Find("gpt-4o-mini").Should().BeNull("an empty table has no built-in prices");
        PriceTable.BuiltInPricesDate.Year.Should().BeGreaterThan(2024);
        PriceTable.BuiltInAnthropicPricesDate.Should().BeOnOrAfter(PriceTable.BuiltInPricesDate);
    }

    [Fact]
    public void Bad_prices_are_refused_naming_the_model_and_member()
    {
        var table = new PriceTable();

        FluentActions.Invoking(() => table.Set("m", new ModelPrice(-1m, 1m))).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("prices[m].InputPerMillion");
        FluentActions.Invoking(() => table.Set("m", new ModelPrice(1m, 1m) { BatchDiscount = 1.5m })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("prices[m].BatchDiscount");
        FluentActions.Invoking(() => table.Set(" ", new ModelPrice(1m, 1m))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Json_prices_add_to_the_table_with_member_names_in_any_case()
    {
        var table = new PriceTable();
        const string json = """
            {
              // comments and trailing commas are allowed
              "local-llama": { "InputPerMillion": 0.01, "outputPerMillion": 0.02, },
              "gpt-4o-mini": { "InputPerMillion": 1, "CachedInputPerMillion": 0.5, "OutputPerMillion": 2, "BatchDiscount": 0.25 },
            }
            """;

        table.AddJson(new MemoryStream(Encoding.UTF8.GetBytes(json)));

        table.Find("local-llama").Should().Be(new ModelPrice(0.01m, 0.02m));
        table.Find("gpt-4o-mini").Should().Be(new ModelPrice(1m, 2m) { CachedInputPerMillion = 0.5m, BatchDiscount = 0.25m });
    }

    [Theory]
    [InlineData("[1, 2]", "a JSON object keyed by model id")]
    [InlineData("{ \"m\": 3 }", "'m' must be an object")]
    [InlineData("{ \"m\": { \"InputPerMillion\": 1 } }", "'m' needs InputPerMillion and OutputPerMillion")]
    [InlineData("{ \"m\": { \"InputPerMillion\": \"1\", \"OutputPerMillion\": 1 } }", "'m'.InputPerMillion must be a number")]
    [InlineData("{ \"m\": { \"InputPerMillion\": 1, \"OutputPerMillion\": 1, \"Discount\": 1 } }", "unknown member 'Discount'")]
    [InlineData("{ \"m\": { \"InputPerMillion\": 1, \"OutputPerMillion\": 1, \"BatchDiscount\": 2 } }", "BatchDiscount")]
    [InlineData("{ \"m\": ", "not valid JSON")]
    public void Bad_json_prices_are_a_clear_error_and_change_nothing(string json, string expected)
    {
        var table = new PriceTable();
        int before = table.Models.Count;

        FluentActions.Invoking(() => table.AddJson(new MemoryStream(Encoding.UTF8.GetBytes(json))))
            .Should().Throw<FormatException>().WithMessage($"*{expected}*");
        table.Models.Should().HaveCount(before);
    }

    [Fact]
    public void A_price_file_error_names_the_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"typedbatch-prices-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, "{ \"m\": { \"InputPerMillion\": 1 } }");
        try
        {
            FluentActions.Invoking(() => new PriceTable().AddJsonFile(path)).Should().Throw<FormatException>().WithMessage($"Price file '{path}'*OutputPerMillion*");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OpenAI_and_Azure_use_built_in_prices_while_Copilot_and_local_servers_cost_zero_unless_a_price_is_set()
    {
        var table = new PriceTable();
        var openAI = new Pricing(table, ProviderKind.OpenAI, NullLogger.Instance);
        var azure = new Pricing(table, ProviderKind.AzureOpenAI, NullLogger.Instance);
        var copilot = new Pricing(table, ProviderKind.GitHubCopilot, NullLogger.Instance);
        var local = new Pricing(table, ProviderKind.OpenAICompatible, NullLogger.Instance);
        decimal expected = table.Find("gpt-4o-mini")!.Cost(Usage);

        openAI.Cost("gpt-4o-mini-2024-07-18", "gpt-4o-mini", Usage, deferred: false).Should().Be(expected);
        azure.Cost("gpt-4o-mini-2024-07-18", "my-deployment", Usage, deferred: false).Should().Be(expected, "the answered model prices an Azure deployment");
        azure.Cost(null, "gpt-4o-mini", Usage, deferred: true).Should().Be(expected / 2, "the requested model when the answer names none");
        copilot.Cost("gpt-4o-mini", "gpt-4o-mini", Usage, deferred: false).Should().Be(0m);
        local.Cost("llama3.1:8b", "llama3.1:8b", Usage, deferred: false).Should().Be(0m);

        table.Set("llama3.1:8b", new ModelPrice(1m, 1m));
        local.Cost("llama3.1:8b", "llama3.1:8b", Usage, deferred: false).Should().Be(0.0015m, "a price set by the user applies to every provider");
    }

    [Fact]
    public void An_unpriced_model_where_the_provider_bills_costs_null_and_is_logged_once()
    {
        var logs = new CountingLogger();
        var openAI = new Pricing(new PriceTable(), ProviderKind.OpenAI, logs);

        openAI.Cost("gpt-9-ultra", "gpt-9-ultra", Usage, deferred: false).Should().BeNull();
        openAI.Cost("gpt-9-ultra", "gpt-9-ultra", Usage, deferred: false).Should().BeNull();
        openAI.Cost("gpt-9-ultra", "gpt-9-ultra", default, deferred: false).Should().Be(0m, "no tokens cost nothing, priced or not");

        logs.Warnings.Should().ContainSingle().Which.Should().Contain("gpt-9-ultra").And.Contain("TypedBatchOptions.Prices");
        Pricing.Add(1m, null).Should().BeNull();
        Pricing.Add(1m, 2m).Should().Be(3m);
    }

    [Fact]
    public void The_configuration_section_sets_prices_and_a_bad_value_names_its_key()
    {
        IConfiguration good = Configuration(new()
        {
            ["TypedBatch:Prices:local-llama:InputPerMillion"] = "0.5",
            ["TypedBatch:Prices:local-llama:OutputPerMillion"] = "1.5",
            ["TypedBatch:Prices:gpt-4o-mini:InputPerMillion"] = "9",
            ["TypedBatch:Prices:gpt-4o-mini:OutputPerMillion"] = "9",
            ["TypedBatch:Prices:gpt-4o-mini:BatchDiscount"] = "0",
        });
        using ServiceProvider services = new ServiceCollection().AddTypedBatch(good).BuildServiceProvider();
        PriceTable prices = services.GetRequiredService<IOptions<TypedBatchOptions>>().Value.Prices;

        prices.Find("local-llama").Should().Be(new ModelPrice(0.5m, 1.5m));
        prices.Find("gpt-4o-mini").Should().Be(new ModelPrice(9m, 9m) { BatchDiscount = 0m });
        prices.Find("gpt-4o").Should().NotBeNull("the built-in prices stay");

        IConfiguration bad = Configuration(new() { ["TypedBatch:Prices:m:InputPerMillion"] = "cheap", ["TypedBatch:Prices:m:OutputPerMillion"] = "1" });
        using ServiceProvider broken = new ServiceCollection().AddTypedBatch(bad).BuildServiceProvider();
        FluentActions.Invoking(() => broken.GetRequiredService<IOptions<TypedBatchOptions>>().Value)
            .Should().Throw<InvalidOperationException>().WithMessage("*TypedBatch:Prices:m:InputPerMillion*cheap*");

        IConfiguration unknown = Configuration(new() { ["TypedBatch:Prices:m:Input"] = "1" });
        using ServiceProvider typo = new ServiceCollection().AddTypedBatch(unknown).BuildServiceProvider();
        FluentActions.Invoking(() => typo.GetRequiredService<IOptions<TypedBatchOptions>>().Value)
            .Should().Throw<InvalidOperationException>().WithMessage("*TypedBatch:Prices:m:Input*not a price member*");
    }

    [Fact]
    public void A_prices_file_that_does_not_exist_fails_validation_naming_it()
    {
        var options = new TypedBatchOptions { Provider = ProviderKind.OpenAICompatible, BaseUrl = new Uri("http://127.0.0.1:9/v1"), PricesFile = "/no/such/prices.json" };

        FluentActions.Invoking(options.Validate).Should().Throw<InvalidOperationException>().WithMessage("*PricesFile*/no/such/prices.json*");
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values)
    {
        values.TryAdd("TypedBatch:Provider", "OpenAICompatible");
        values.TryAdd("TypedBatch:BaseUrl", "http://127.0.0.1:9/v1");
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private sealed class CountingLogger : ILogger
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings.Add(formatter(state, exception));
            }
        }
    }
}

public sealed class RepairCostTests
{
    [Fact]
    public async Task A_typed_item_costs_every_answer_it_took_repairs_included_and_a_failure_keeps_what_was_spent()
    {
        var provider = new ScriptedProvider(
            new ChatCompletion { Content = "not json", Usage = new TokenUsage(10, 5, 15), Cost = 0.01m },
            new ChatCompletion { Content = "42", Usage = new TokenUsage(20, 2, 22), Cost = 0.02m });
        var spec = new StructuredOutputSpec<int>(ResponseFormat.ForJsonSchema("n", "{}"u8.ToArray()), json => System.Text.Json.JsonSerializer.Deserialize<int>(json), maxRepairAttempts: 1);

        BatchWorkResult<int> result = await StructuredCompletion.CompleteAsync(provider, [PromptMessage.User("n?")], new CompletionSettings { Model = "m" }, spec, 1, SecretRedactor.None, CancellationToken.None);

        result.Value.Should().Be(42);
        result.Repairs.Should().Be(1);
        result.Cost.Should().Be(0.03m);

        var failing = new ScriptedProvider(
            new ChatCompletion { Content = "not json", Usage = new TokenUsage(10, 5, 15), Cost = 0.01m },
            new ChatCompletion { Content = "still not", Usage = new TokenUsage(20, 2, 22), Cost = null });
        Func<Task> act = async () => await StructuredCompletion.CompleteAsync(failing, [PromptMessage.User("n?")], new CompletionSettings { Model = "m" }, spec, 1, SecretRedactor.None, CancellationToken.None);
        (await act.Should().ThrowAsync<ProviderException>()).Which.Cost.Should().BeNull("one answer's model had no price, so the total is unknown, not a made-up number");
    }

    private sealed class ScriptedProvider(params ChatCompletion[] answers) : IChatProvider
    {
        private int _next;

        public string Name => "scripted";

        public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
            => Task.FromResult(answers[_next++]);

        public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();
    }
}
