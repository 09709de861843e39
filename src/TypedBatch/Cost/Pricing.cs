using Microsoft.Extensions.Logging;

namespace TypedBatch;

/// <summary>
/// What a provider's answers cost: the client's <see cref="PriceTable"/> read for one provider kind. OpenAI, Azure
/// OpenAI, Anthropic and an <c>IChatClient</c> (which may be any service) use the built-in prices too; GitHub Copilot
/// and OpenAI-compatible servers only prices set by the user, else zero. A model a billing provider answers without a
/// known price costs <see langword="null"/> and is logged once.
/// </summary>
internal sealed class Pricing(PriceTable table, ProviderKind kind, ILogger logger)
{
    /// <summary>Prices nothing: a provider built without a price table (tests, hand-built providers).</summary>
    public static Pricing None { get; } = new(PriceTable.Empty(), ProviderKind.OpenAICompatible, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

    /// <summary>The kind of provider these prices are read for.</summary>
    public ProviderKind Kind => kind;

    /// <summary>
    /// Whether the provider bills by the built-in prices (OpenAI, Azure OpenAI, and an <c>IChatClient</c>, which may be
    /// any service): an unpriced model there costs an unknown amount.
    /// </summary>
    public bool Bills => kind is ProviderKind.OpenAI or ProviderKind.AzureOpenAI or ProviderKind.Anthropic or ProviderKind.ChatClient;

    /// <summary>
    /// The price of an answer: by the model the server says answered (a dated snapshot, or the model behind an Azure
    /// deployment), else the model requested; <see langword="null"/> when unknown.
    /// </summary>
    public ModelPrice? Find(string? answeredModel, string? requestedModel)
        => table.Lookup(answeredModel, Bills) ?? table.Lookup(requestedModel, Bills);

    /// <summary>What <paramref name="usage"/> cost, in USD; zero for no tokens; <see langword="null"/> when the model has no price where the provider bills.</summary>
    public decimal? Cost(string? answeredModel, string? requestedModel, TokenUsage usage, bool deferred)
    {
        if (usage == default)
        {
            return 0m;
        }

        if (Find(answeredModel, requestedModel) is { } price)
        {
            return price.Cost(usage, deferred);
        }

        if (!Bills)
        {
            return 0m;
        }

        string model = answeredModel ?? requestedModel ?? "(unnamed)";
        if (table.FirstMissing(model))
        {
            Log.PriceUnknown(logger, model, kind.ToString());
        }

        return null;
    }

    /// <summary>Adds two costs; unknown (<see langword="null"/>) wins, so that a total is never a made-up number.</summary>
    public static decimal? Add(decimal? left, decimal? right) => left is { } l && right is { } r ? l + r : null;
}
