using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace TypedBatch;

/// <summary>
/// Prices by model id, for <see cref="BatchItem{T}.Cost"/>, <see cref="BatchResult{T}.Cost"/> and budgets. A new table
/// holds TypedBatch's built-in, dated prices of the common OpenAI and Azure OpenAI models (see
/// <see cref="BuiltInPricesDate"/>) and of Anthropic's Claude models (read on 2026-12-02);
/// <see cref="Set"/>, <see cref="AddJson"/> and the <c>TypedBatch:Prices</c> configuration section override and extend
/// them. A dated snapshot id is priced as its model (<c>gpt-4o-mini-2024-07-18</c> as <c>gpt-4o-mini</c>,
/// <c>claude-sonnet-4-5-20250929</c> as <c>claude-sonnet-4-5</c>) unless the snapshot has its own entry.
/// </summary>
/// <remarks>
/// Built-in prices apply only where the provider bills by them: OpenAI and Azure OpenAI, an
/// <c>IChatClient</c>, and Anthropic once its provider reads this table. GitHub Copilot and OpenAI-compatible servers
/// (local models, the emulator) cost zero unless a price is set for the model here. A model without a price where the
/// provider bills costs <see langword="null"/>, never a made-up number, and is logged once as a warning.
/// </remarks>
public sealed class PriceTable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A table with the built-in prices.</summary>
    public PriceTable()
        : this(BuiltIn())
    {
    }

    private PriceTable(IEnumerable<(string Model, ModelPrice Price)> builtIns)
    {
        foreach ((string model, ModelPrice price) in builtIns)
        {
            _entries[model] = new Entry(price, BuiltIn: true);
        }
    }

    /// <summary>The day the built-in OpenAI and Azure OpenAI prices were read from the providers' price pages. Prices change: check and override.</summary>
    public static DateOnly BuiltInPricesDate { get; } = new(2025, 8, 7);

    /// <summary>
    /// The day the built-in Claude prices were read from Anthropic's price pages (internal: a public property needs a line
    /// in PublicAPI.Unshipped.txt, outside this change). Prices change: check and override.
    /// </summary>
    internal static DateOnly BuiltInAnthropicPricesDate { get; } = new(2026, 12, 2);

    /// <summary>A table without the built-in prices: only what is set on it is priced.</summary>
    public static PriceTable Empty() => new([]);

    /// <summary>The model ids priced, built-in and set.</summary>
    public IReadOnlyCollection<string> Models => _entries.Keys.ToArray();

    /// <summary>
    /// Sets the price of a model (an id such as <c>gpt-4o-mini</c>, or an exact snapshot id). A price set here applies to
    /// every provider, GitHub Copilot and local servers included.
    /// </summary>
    /// <param name="model">The model id, matched without regard to case.</param>
    /// <param name="price">Its price.</param>
    /// <returns>This table.</returns>
    public PriceTable Set(string model, ModelPrice price)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(price);
        price.Validate($"prices[{model}]");
        _entries[model.Trim()] = new Entry(price, BuiltIn: false);
        _warned.TryRemove(model.Trim(), out _);
        return this;
    }

    /// <summary>Removes a model's price, built-in or set.</summary>
    /// <param name="model">The model id.</param>
    /// <returns>Whether it had one.</returns>
    public bool Remove(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return _entries.TryRemove(model.Trim(), out _);
    }

    /// <summary>The price of a model: its own entry, else that of the model a dated snapshot id belongs to; <see langword="null"/> when unknown.</summary>
    /// <param name="model">The model id, for example <c>gpt-4o-mini-2024-07-18</c>.</param>
    public ModelPrice? Find(string model) => Lookup(model, builtIns: true);

    /// <summary>
    /// Adds the prices in a JSON object keyed by model id, each with the members of <see cref="ModelPrice"/>
    /// (<c>{"gpt-4o-mini": {"InputPerMillion": 0.15, "CachedInputPerMillion": 0.075, "OutputPerMillion": 0.6}}</c>;
    /// names without regard to case), over the table's own.
    /// </summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>This table.</returns>
    /// <exception cref="FormatException">The JSON is not such an object; the message names the model and member.</exception>
    public PriceTable AddJson(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException invalid)
        {
            throw new FormatException($"The prices are not valid JSON: {invalid.Message}", invalid);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("The prices must be a JSON object keyed by model id.");
            }

            var read = new List<(string Model, ModelPrice Price)>();
            foreach (JsonProperty model in document.RootElement.EnumerateObject())
            {
                read.Add((model.Name, ReadPrice(model.Name, model.Value)));
            }

            foreach ((string model, ModelPrice price) in read)
            {
                Set(model, price);
            }
        }

        return this;
    }

    /// <summary>Adds the prices of a JSON file (the format of <see cref="AddJson"/>).</summary>
    /// <param name="path">The file.</param>
    /// <returns>This table.</returns>
    /// <exception cref="FormatException">The file is not such an object; the message names the file, the model and member.</exception>
    public PriceTable AddJsonFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using FileStream file = File.OpenRead(path);
        try
        {
            return AddJson(file);
        }
        catch (FormatException invalid)
        {
            throw new FormatException($"Price file '{path}': {invalid.Message}", invalid);
        }
    }

    /// <summary>A copy of the table, for a client to own.</summary>
    internal PriceTable Clone()
    {
        PriceTable copy = Empty();
        foreach (KeyValuePair<string, Entry> entry in _entries)
        {
            copy._entries[entry.Key] = entry.Value;
        }

        return copy;
    }

    /// <summary>The price of a model, with or without the built-in entries; the snapshot suffix is tried off when the id has no entry.</summary>
    internal ModelPrice? Lookup(string? model, bool builtIns)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        string id = model.Trim();
        if (_entries.TryGetValue(id, out Entry entry) && (builtIns || !entry.BuiltIn))
        {
            return entry.Price;
        }

        return SnapshotBase(id) is { } family && _entries.TryGetValue(family, out entry) && (builtIns || !entry.BuiltIn) ? entry.Price : null;
    }

    /// <summary>True the first time a model is reported unpriced, so that it is logged once.</summary>
    internal bool FirstMissing(string model) => _warned.TryAdd(model, true);

    /// <summary>
    /// The model a dated snapshot id belongs to: <c>gpt-4o-mini-2024-07-18</c> → <c>gpt-4o-mini</c>,
    /// <c>gpt-3.5-turbo-0125</c> → <c>gpt-3.5-turbo</c>, Anthropic's <c>claude-sonnet-4-5-20250929</c> →
    /// <c>claude-sonnet-4-5</c> (an eight-digit suffix only when it is a real <c>yyyyMMdd</c> date);
    /// <see langword="null"/> when the id has no date suffix.
    /// </summary>
    internal static string? SnapshotBase(string id)
    {
        ReadOnlySpan<char> span = id;
        if (span.Length > 11 && span[^11] == '-' && span[^6] == '-' && span[^3] == '-'
            && IsDigits(span[^10..^6]) && IsDigits(span[^5..^3]) && IsDigits(span[^2..]))
        {
            return id[..^11];
        }

        if (span.Length > 9 && span[^9] == '-' && IsDigits(span[^8..])
            && DateOnly.TryParseExact(span[^8..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            return id[..^9];
        }

        if (span.Length > 5 && span[^5] == '-' && IsDigits(span[^4..]))
        {
            return id[..^5];
        }

        return null;

        static bool IsDigits(ReadOnlySpan<char> text)
        {
            foreach (char c in text)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static ModelPrice ReadPrice(string model, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"The price of '{model}' must be an object with InputPerMillion and OutputPerMillion.");
        }

        decimal? input = null, output = null, cached = null, discount = null;
        foreach (JsonProperty member in value.EnumerateObject())
        {
            if (member.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (member.Value.ValueKind != JsonValueKind.Number || !member.Value.TryGetDecimal(out decimal number))
            {
                throw new FormatException($"'{model}'.{member.Name} must be a number, not {member.Value.ValueKind}.");
            }

            switch (member.Name.ToUpperInvariant())
            {
                case "INPUTPERMILLION": input = number; break;
                case "OUTPUTPERMILLION": output = number; break;
                case "CACHEDINPUTPERMILLION": cached = number; break;
                case "BATCHDISCOUNT": discount = number; break;
                default:
                    throw new FormatException($"'{model}' has an unknown member '{member.Name}' (known: InputPerMillion, CachedInputPerMillion, OutputPerMillion, BatchDiscount).");
            }
        }

        return Create(model, input, output, cached, discount);
    }

    /// <summary>A price from its parts, as configuration or JSON give them; a missing input or output price is an error naming the model.</summary>
    internal static ModelPrice Create(string model, decimal? input, decimal? output, decimal? cached, decimal? discount)
    {
        if (input is null || output is null)
        {
            throw new FormatException($"The price of '{model}' needs InputPerMillion and OutputPerMillion (use 0 for embeddings' output).");
        }

        var price = new ModelPrice(input.Value, output.Value) { CachedInputPerMillion = cached, BatchDiscount = discount ?? 0.5m };
        try
        {
            price.Validate($"prices[{model}]");
        }
        catch (ArgumentOutOfRangeException invalid)
        {
            throw new FormatException(invalid.Message, invalid);
        }

        return price;
    }

    /// <summary>Reads a decimal from configuration text, invariant culture; the error names the key.</summary>
    internal static decimal? ParseConfigured(string? text, string key)
        => text is null ? null
        : decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out decimal value) ? value
        : throw new FormatException($"Configuration value '{key}' = '{text}' is not a number.");

    private static IEnumerable<(string Model, ModelPrice Price)> BuiltIn() => OpenAIPrices().Concat(ClaudePrices());

    /// <summary>
    /// OpenAI's standard-tier prices (Azure OpenAI's global deployments bill the same) on <see cref="BuiltInPricesDate"/>,
    /// USD per million tokens; the Batch API takes half off.
    /// </summary>
    private static IEnumerable<(string Model, ModelPrice Price)> OpenAIPrices()
    {
        yield return ("gpt-5", new(1.25m, 10.00m) { CachedInputPerMillion = 0.125m });
        yield return ("gpt-5-mini", new(0.25m, 2.00m) { CachedInputPerMillion = 0.025m });
        yield return ("gpt-5-nano", new(0.05m, 0.40m) { CachedInputPerMillion = 0.005m });
        yield return ("gpt-4.1", new(2.00m, 8.00m) { CachedInputPerMillion = 0.50m });
        yield return ("gpt-4.1-mini", new(0.40m, 1.60m) { CachedInputPerMillion = 0.10m });
        yield return ("gpt-4.1-nano", new(0.10m, 0.40m) { CachedInputPerMillion = 0.025m });
        yield return ("gpt-4o", new(2.50m, 10.00m) { CachedInputPerMillion = 1.25m });
        yield return ("gpt-4o-mini", new(0.15m, 0.60m) { CachedInputPerMillion = 0.075m });
        yield return ("o1", new(15.00m, 60.00m) { CachedInputPerMillion = 7.50m });
        yield return ("o3", new(2.00m, 8.00m) { CachedInputPerMillion = 0.50m });
        yield return ("o3-mini", new(1.10m, 4.40m) { CachedInputPerMillion = 0.55m });
        yield return ("o4-mini", new(1.10m, 4.40m) { CachedInputPerMillion = 0.275m });
        yield return ("gpt-4-turbo", new(10.00m, 30.00m));
        yield return ("gpt-3.5-turbo", new(0.50m, 1.50m));
        yield return ("text-embedding-3-small", new(0.02m, 0m));
        yield return ("text-embedding-3-large", new(0.13m, 0m));
        yield return ("text-embedding-ada-002", new(0.10m, 0m));
    }

    /// <summary>
    /// Anthropic's Claude API prices on <see cref="BuiltInAnthropicPricesDate"/>, USD per million tokens: base input,
    /// cache hits (<c>cache_read_input_tokens</c>, 0.1× input for most models) and output; the Message Batches API takes
    /// half off everything. Ids are the Claude API's: the model (<c>claude-sonnet-4-5</c>), its dated snapshots
    /// (<c>claude-sonnet-4-5-20250929</c>, through <see cref="SnapshotBase"/>) and the older aliases
    /// (<c>claude-sonnet-4-0</c>, <c>claude-3-5-haiku-latest</c>); from the 4.6 generation on, ids carry no date.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Sources (stored copies read on <see cref="BuiltInAnthropicPricesDate"/>):
    /// https://platform.claude.com/docs/en/about-claude/pricing (model pricing rows: Fable 5.1 and 5, Opus 5, 4.8, 4.7,
    /// 4.6, 4.5, 4.1 and 4; cache reads 0.1× input, 0.025× for Fable 5.1); https://docs.anthropic.com/en/docs/about-claude/pricing
    /// and https://docs.anthropic.com/en/docs/build-with-claude/batch-processing (Sonnet 4 and 3.7, Haiku 3.5 and 3, and
    /// the batch prices, half of the standard ones); the model pages https://platform.claude.com/docs/{lang}/models/{model}/overview
    /// for Opus 5.5, Opus 5, Opus 4.8, Opus 4.6, Opus 4.5, Sonnet 5.5, Sonnet 5, Sonnet 4.6 and Haiku 4.5 (ids, input,
    /// output, cache read, "Batch API: 50% discount on input and output"); and
    /// https://platform.claude.com/docs/en/about-claude/models/model-ids-and-versions (dated ids before the 4.6
    /// generation, dateless from it). Sonnet 5.5's cache read is $0.10 (0.05× input) after Anthropic's cut of 2026-10-07;
    /// its stored model page still showed $0.20, so that figure is taken from the pricing trackers
    /// https://github.com/kurofune/claudit/releases/tag/v1.9.2 and https://github.com/TheKrush/PromptFuel/releases/tag/v1.0.23.
    /// </para>
    /// <para>
    /// How the Anthropic provider fills <see cref="TokenUsage"/> from a Messages answer's <c>usage</c>, so that these
    /// prices bill it: <c>PromptTokens = input_tokens + cache_creation_input_tokens + cache_read_input_tokens</c>
    /// (Anthropic's <c>input_tokens</c> counts only the uncached rest of the prompt); <c>CachedTokens =
    /// cache_read_input_tokens</c>; <c>CompletionTokens = output_tokens</c> (thinking included, billed as output);
    /// <c>ReasoningTokens = 0</c> (not reported apart); <c>TotalTokens = PromptTokens + CompletionTokens</c>. Missing or
    /// <c>null</c> counts are 0.
    /// </para>
    /// <para>
    /// Not modelled, so a cost can be a little low: cache writes (<c>cache_creation_input_tokens</c>) bill as plain input,
    /// while Anthropic charges 1.25× input for the 5-minute cache and 2× for the 1-hour one (TokenUsage has no count of
    /// them); Sonnet 4 and 4.5's long-context rate over 200K prompt tokens ($6 / $22.50); fast mode; the 1.1× of US-only
    /// inference (<c>inference_geo</c>). Left out until they can be priced honestly: Claude Haiku 5.5 (its rate is five
    /// times higher for prompts over 100K tokens), Claude Fable 5.2 (found only in third-party trackers, $8 / $40), the
    /// Mythos models (limited availability), and models retired before Claude 3.7 (Sonnet 3.5, Opus 3). Set their prices
    /// in the table to bill them.
    /// </para>
    /// </remarks>
    private static IEnumerable<(string Model, ModelPrice Price)> ClaudePrices()
    {
        // Fable: $10 input, $50 output; cache hits $0.25 (Fable 5.1) and $1 (Fable 5).
        yield return ("claude-fable-5-1", Claude(10.00m, 0.25m, 50.00m));
        yield return ("claude-fable-5", Claude(10.00m, 1.00m, 50.00m));

        // Opus 5.5: $4 / $20, cache hits 0.05× input. Opus 4.5 to 5: $5 / $25. Opus 4 and 4.1: $15 / $75.
        yield return ("claude-opus-5-5", Claude(4.00m, 0.20m, 20.00m));
        yield return ("claude-opus-5", Claude(5.00m, 0.50m, 25.00m));
        yield return ("claude-opus-4-8", Claude(5.00m, 0.50m, 25.00m));
        yield return ("claude-opus-4-7", Claude(5.00m, 0.50m, 25.00m));
        yield return ("claude-opus-4-6", Claude(5.00m, 0.50m, 25.00m));
        yield return ("claude-opus-4-5", Claude(5.00m, 0.50m, 25.00m));
        yield return ("claude-opus-4-1", Claude(15.00m, 1.50m, 75.00m));
        yield return ("claude-opus-4", Claude(15.00m, 1.50m, 75.00m));
        yield return ("claude-opus-4-0", Claude(15.00m, 1.50m, 75.00m));

        // Sonnet 5 and 5.5: $2 / $10 (Sonnet 5.5's cache hits 0.05× input since 2026-10-07). Sonnet 3.7 to 4.6: $3 / $15.
        yield return ("claude-sonnet-5-5", Claude(2.00m, 0.10m, 10.00m));
        yield return ("claude-sonnet-5", Claude(2.00m, 0.20m, 10.00m));
        yield return ("claude-sonnet-4-6", Claude(3.00m, 0.30m, 15.00m));
        yield return ("claude-sonnet-4-5", Claude(3.00m, 0.30m, 15.00m));
        yield return ("claude-sonnet-4", Claude(3.00m, 0.30m, 15.00m));
        yield return ("claude-sonnet-4-0", Claude(3.00m, 0.30m, 15.00m));
        yield return ("claude-3-7-sonnet", Claude(3.00m, 0.30m, 15.00m));
        yield return ("claude-3-7-sonnet-latest", Claude(3.00m, 0.30m, 15.00m));

        // Haiku 4.5: $1 / $5. Haiku 3.5: $0.80 / $4. Haiku 3: $0.25 / $1.25, cache hits $0.03.
        yield return ("claude-haiku-4-5", Claude(1.00m, 0.10m, 5.00m));
        yield return ("claude-3-5-haiku", Claude(0.80m, 0.08m, 4.00m));
        yield return ("claude-3-5-haiku-latest", Claude(0.80m, 0.08m, 4.00m));
        yield return ("claude-3-haiku", Claude(0.25m, 0.03m, 1.25m));

        static ModelPrice Claude(decimal input, decimal cacheRead, decimal output)
            => new(input, output) { CachedInputPerMillion = cacheRead, BatchDiscount = 0.5m };
    }

    private readonly record struct Entry(ModelPrice Price, bool BuiltIn);
}
