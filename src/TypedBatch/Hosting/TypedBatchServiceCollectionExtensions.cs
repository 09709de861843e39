using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using TypedBatch;
using TypedBatch.Limits;

// Extension methods on IServiceCollection live in its namespace, as the framework's own do.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers TypedBatch in a service collection.</summary>
public static class TypedBatchServiceCollectionExtensions
{
    internal const string CopilotTokenClientName = "TypedBatch.CopilotToken";

    /// <summary>
    /// Adds <see cref="TypedBatchClient"/> and its <see cref="IChatProvider"/> (unless one is registered already): each
    /// provider with its own <see cref="HttpClient"/>, retries, LLM-sized timeouts and rate-limit gates shared by every
    /// batch resolved from this container. The options are validated when first read.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    public static IServiceCollection AddTypedBatch(this IServiceCollection services, Action<TypedBatchOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<TypedBatchOptions>().Configure(configure);
        return services.AddTypedBatchCore();
    }

    /// <summary>
    /// Adds TypedBatch with options bound from configuration: the <c>TypedBatch</c> section of
    /// <paramref name="configuration"/> when it has one, else <paramref name="configuration"/> itself. A top-level
    /// <c>MODEL_CHOICE</c> value sets the default model when the section does not.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration root or the <c>TypedBatch</c> section.</param>
    public static IServiceCollection AddTypedBatch(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        IConfigurationSection section = configuration.GetSection(TypedBatchOptions.SectionName);
        IConfiguration source = section.Exists() ? section : configuration;
        services.AddOptions<TypedBatchOptions>().Bind(source);
        // TypedBatch:Prices:<model>:InputPerMillion (and CachedInputPerMillion, OutputPerMillion, BatchDiscount) set
        // prices over the built-in ones; a model id is a key, which the binder cannot map onto PriceTable itself.
        IConfigurationSection prices = source.GetSection(nameof(TypedBatchOptions.Prices));
        if (prices.Exists())
        {
            services.Configure<TypedBatchOptions>(o => ApplyPrices(o.Prices, prices));
        }
        // The original design's MODEL_CHOICE (for example from environment variables in the configuration) sets the
        // default model unless the section names one.
        if (source[nameof(TypedBatchOptions.Model)] is null && configuration["MODEL_CHOICE"] is { Length: > 0 } modelChoice)
        {
            services.PostConfigure<TypedBatchOptions>(o => o.Model = modelChoice.Trim());
        }

        return services.AddTypedBatchCore();
    }

    /// <summary>
    /// Sends TypedBatch's chat requests to a Microsoft.Extensions.AI <see cref="Microsoft.Extensions.AI.IChatClient"/>
    /// built from the container (see <see cref="TypedBatchOptions.UseChatClient"/>): call after <c>AddTypedBatch</c>.
    /// The factory runs once, when TypedBatch's options are first built; the container owns what it returns.
    /// </summary>
    /// <param name="services">The services, with TypedBatch added.</param>
    /// <param name="chatClient">Builds the client, for example <c>sp =&gt; new OllamaApiClient(…)</c> or a keyed service.</param>
    /// <returns>The same services, for chaining.</returns>
    public static IServiceCollection UseChatClient(this IServiceCollection services, Func<IServiceProvider, Microsoft.Extensions.AI.IChatClient> chatClient)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(chatClient);
        services.AddOptions<TypedBatchOptions>().Configure<IServiceProvider>((options, provider) => options.UseChatClient(
            chatClient(provider) ?? throw new InvalidOperationException("The UseChatClient factory returned null.")));
        return services.AddTypedBatchCore();
    }

    /// <summary>
    /// Sends TypedBatch's embeddings requests to a Microsoft.Extensions.AI embedding generator built from the container
    /// (see <see cref="TypedBatchOptions.UseEmbeddingGenerator"/>): call after <c>AddTypedBatch</c>.
    /// </summary>
    /// <param name="services">The services, with TypedBatch added.</param>
    /// <param name="generator">Builds the generator.</param>
    /// <returns>The same services, for chaining.</returns>
    public static IServiceCollection UseEmbeddingGenerator(this IServiceCollection services, Func<IServiceProvider, Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>> generator)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(generator);
        services.AddOptions<TypedBatchOptions>().Configure<IServiceProvider>((options, provider) => options.UseEmbeddingGenerator(
            generator(provider) ?? throw new InvalidOperationException("The UseEmbeddingGenerator factory returned null.")));
        return services.AddTypedBatchCore();
    }

    /// <summary>
    /// Registers the generated implementation of a <c>[PromptClient]</c> interface as a singleton over the registered
    /// <see cref="TypedBatchClient"/>. No reflection: the generated code registers its factory.
    /// </summary>
    /// <typeparam name="T">The prompt client interface.</typeparam>
    /// <param name="services">The services; <c>AddTypedBatch</c> must be called too.</param>
    public static IServiceCollection AddPromptClient<T>(this IServiceCollection services)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => sp.GetRequiredService<TypedBatchClient>().For<T>());
        return services;
    }

    /// <summary>Sets each model of a <c>Prices</c> section on the table; a missing or non-numeric value is an error naming its key.</summary>
    internal static void ApplyPrices(PriceTable table, IConfigurationSection prices)
    {
        foreach (IConfigurationSection model in prices.GetChildren())
        {
            string[] known = [nameof(ModelPrice.InputPerMillion), nameof(ModelPrice.CachedInputPerMillion), nameof(ModelPrice.OutputPerMillion), nameof(ModelPrice.BatchDiscount)];
            foreach (IConfigurationSection member in model.GetChildren())
            {
                if (!Array.Exists(known, name => name.Equals(member.Key, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new InvalidOperationException($"Configuration key '{member.Path}' is not a price member (known: {string.Join(", ", known)}).");
                }
            }

            decimal? Read(string name) => PriceTable.ParseConfigured(model[name], $"{model.Path}:{name}");
            try
            {
                table.Set(model.Key, PriceTable.Create(model.Key, Read(nameof(ModelPrice.InputPerMillion)), Read(nameof(ModelPrice.OutputPerMillion)), Read(nameof(ModelPrice.CachedInputPerMillion)), Read(nameof(ModelPrice.BatchDiscount))));
            }
            catch (FormatException invalid)
            {
                throw new InvalidOperationException($"Configuration section '{model.Path}': {invalid.Message}", invalid);
            }
        }
    }

    internal static IServiceCollection AddTypedBatchCore(this IServiceCollection services)
    {
        // Registering twice would build the providers twice; the first registration wins.
        if (services.Any(d => d.ServiceType == typeof(TypedBatchRegistered)))
        {
            return services;
        }

        services.AddSingleton<TypedBatchRegistered>();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TypedBatchOptions>, TypedBatchOptionsValidator>());
        services.TryAddSingleton(sp => new RateLimitRegistry(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ProviderRuntime>();

        services.AddHttpClient(CopilotTokenClientName)
            .ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(30))
            .AddResilienceHandler("TypedBatch.CopilotToken", (builder, context) =>
            {
                TypedBatchOptions options = context.ServiceProvider.GetRequiredService<IOptions<TypedBatchOptions>>().Value;
                if (options.MaxRetries > 0)
                {
                    builder.AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = options.MaxRetries, Delay = options.RetryBaseDelay, BackoffType = DelayBackoffType.Exponential, UseJitter = true });
                }
            });

        // The providers' transport: one pooled connection handler, kept for the container's life, and none of the
        // factory's per-request logging (batches log per batch). Handlers users add to every client apply here too.
        services.AddHttpClient(ProviderRuntime.TransportClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Redirects are the providers' RedirectHandler's to follow: same origin only, so no credential leaves it.
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.All,
                MaxConnectionsPerServer = int.MaxValue,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();

        services.TryAddSingleton(sp => sp.GetRequiredService<ProviderRuntime>().Provider);
        services.TryAddSingleton(sp => new TypedBatchClient(
            sp.GetRequiredService<IChatProvider>(),
            sp.GetRequiredService<IOptions<TypedBatchOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ProviderRuntime>().Redactor));
        return services;
    }

    private sealed class TypedBatchRegistered;
}
