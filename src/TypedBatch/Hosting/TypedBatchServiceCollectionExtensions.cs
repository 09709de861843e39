using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Refit;
using TypedBatch;
using TypedBatch.Providers;
using TypedBatch.Providers.OpenAI;

// Extension methods on IServiceCollection live in its namespace, as the framework's own do.
#pragma warning disable IDE0130
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers TypedBatch in a service collection.</summary>
public static class TypedBatchServiceCollectionExtensions
{
    internal const string ProviderClientName = "TypedBatch.Provider";
    internal const string CopilotTokenClientName = "TypedBatch.CopilotToken";

    /// <summary>
    /// Adds <see cref="TypedBatchClient"/>, its <see cref="IChatProvider"/> (unless one is registered already) and the
    /// provider's <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/>, with retries, LLM-sized timeouts
    /// and rate-limit tracking.
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
    /// <paramref name="configuration"/> when it has one, else <paramref name="configuration"/> itself.
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

    internal static IServiceCollection AddTypedBatchCore(this IServiceCollection services)
    {
        // Registering twice would add the handlers twice: two retry loops and a double charge at the gate.
        if (services.Any(d => d.ServiceType == typeof(TypedBatchRegistered)))
        {
            return services;
        }

        services.AddSingleton<TypedBatchRegistered>();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ProviderRuntime>();
        services.TryAddSingleton<BatchRunner>();

        services.AddHttpClient(CopilotTokenClientName)
            .ConfigureHttpClient(c => c.Timeout = TimeSpan.FromSeconds(30))
            .AddResilienceHandler("TypedBatch.CopilotToken", (builder, context) =>
            {
                // Not through ProviderRuntime: the runtime creates this client while it is being built.
                TypedBatchOptions options = context.ServiceProvider.GetRequiredService<IOptions<TypedBatchOptions>>().Value;
                builder.AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = options.MaxRetries, Delay = options.RetryBaseDelay, BackoffType = DelayBackoffType.Exponential, UseJitter = true });
            });

        IHttpClientBuilder provider = services.AddHttpClient(ProviderClientName)
            .ConfigureHttpClient((sp, client) =>
            {
                client.BaseAddress = ProviderEndpoint.PlaceholderBase;
                client.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline owns timeouts
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                AutomaticDecompression = DecompressionMethods.All,
                MaxConnectionsPerServer = int.MaxValue,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers(); // per-request log scopes cost CPU on the hot path; TypedBatch logs per batch

        // Handlers run outermost first: one resilience pipeline (total timeout, the one retry loop, the attempt timeout);
        // then, for every retry, the rate gate (the first attempt's budget is taken before the pipeline, so queueing is
        // no timeout); the check that a 2xx body is whole JSON; the endpoint (URL, credentials); and the observer that
        // counts attempts and reads rate-limit headers.
        provider.AddResilienceHandler("TypedBatch", (builder, context) => ConfigureRetries(builder, context.ServiceProvider.GetRequiredService<ProviderRuntime>()));
        provider.AddHttpMessageHandler(() => new RateGateHandler());
        provider.AddHttpMessageHandler(() => new TypedBatch.Resilience.ResponseValidationHandler());
        provider.AddHttpMessageHandler(() => new EndpointHandler());
        provider.AddHttpMessageHandler(sp =>
        {
            ProviderRuntime runtime = sp.GetRequiredService<ProviderRuntime>();
            return new AttemptObserverHandler(runtime.Observer, runtime.RetryPolicy);
        });

        services.TryAddSingleton<IChatProvider>(sp =>
        {
            ProviderRuntime runtime = sp.GetRequiredService<ProviderRuntime>();
            HttpClient http = sp.GetRequiredService<IHttpClientFactory>().CreateClient(ProviderClientName);
            IOpenAIApi api = RestService.ForGenerated<IOpenAIApi>(http, WireJsonContext.Wire);
            IChatProvider[] providers = runtime.Providers
                .Select(p => (IChatProvider)new OpenAICompatibleProvider(p.Name, api, runtime.Redactor, runtime.Options.StructuredOutputs, p.GateFor, p.Endpoint, p.Model))
                .ToArray();
            return providers.Length == 1
                ? providers[0]
                : new FallbackChatProvider(providers, runtime.Options.CircuitBreakFailures, runtime.Options.CircuitBreakDuration, sp.GetRequiredService<TimeProvider>());
        });

        services.TryAddSingleton(sp => new TypedBatchClient(
            sp.GetRequiredService<IChatProvider>(),
            sp.GetRequiredService<IOptions<TypedBatchOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    private sealed class TypedBatchRegistered;

    /// <summary>
    /// The one retry loop: the total timeout, then retries with jittered exponential backoff that honour the server's
    /// retry hints (see <see cref="TypedBatch.Resilience.RetryPolicy"/>). Nothing above this pipeline retries the same call.
    /// </summary>
    internal static void ConfigureRetries(ResiliencePipelineBuilder<HttpResponseMessage> builder, ProviderRuntime runtime)
    {
        TypedBatchOptions options = runtime.Options;
        builder.AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(runtime.RetryPolicy.CreateOptions(options.MaxRetries, options.RetryBaseDelay));
        }

        builder.AddTimeout(options.AttemptTimeout);
    }
}
