using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TypedBatch.Emulator;

/// <summary>
/// An OpenAI-compatible HTTP server on the loopback interface, with deterministic answers, injected
/// faults and counters, for tests, samples and benchmarks. Start it with <see cref="StartAsync"/>,
/// point a client at <see cref="BaseUrl"/>, and dispose it to stop it.
/// </summary>
public sealed class EmulatorServer : IAsyncDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);
    private readonly WebApplication _app;
    private readonly EmulatorState _state;
    private int _disposed;

    private EmulatorServer(WebApplication app, EmulatorState state, Uri rootUrl)
    {
        _app = app;
        _state = state;
        RootUrl = rootUrl;
        BaseUrl = new Uri(rootUrl, "v1/");
        CopilotTokenUrl = new Uri(rootUrl, "copilot_internal/v2/token");
        SecondaryBaseUrl = state.SecondaryRoot is { } secondary ? new Uri(secondary, "v1/") : null;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>; also the Anthropic base URL (its paths start with <c>v1/messages</c>).</summary>
    public Uri RootUrl { get; }

    /// <summary>The OpenAI-compatible base URL, <see cref="RootUrl"/> + <c>v1/</c> (with the trailing slash).</summary>
    public Uri BaseUrl { get; }

    /// <summary>
    /// The OpenAI-compatible base URL on the secondary origin (another port, so another origin to a
    /// client), when <see cref="EmulatorOptions.SecondaryPort"/> is set; <see langword="null"/> otherwise.
    /// <c>[[redirect:S]]</c> points there.
    /// </summary>
    public Uri? SecondaryBaseUrl { get; }

    /// <summary>The GitHub Copilot token exchange, <see cref="RootUrl"/> + <c>copilot_internal/v2/token</c>.</summary>
    public Uri CopilotTokenUrl { get; }

    /// <summary>The settings the server runs with; changes to faults and latency apply to later requests.</summary>
    public EmulatorOptions Options => _state.Options;

    /// <summary>Starts a server and returns once it accepts connections.</summary>
    /// <param name="options">The settings; defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="ArgumentException">A setting is out of range; the exception names it.</exception>
    public static async Task<EmulatorServer> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorOptions();
        options.Validate();

        // The empty builder reads no configuration files or environment variables, registers no
        // logging providers and no console lifetime, so nothing outside these options changes the
        // server and a host process keeps its own Ctrl+C handling.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(EmulatorServer).Assembly.GetName().Name,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        ListenOptions? secondaryListener = null;
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, options.Port);
            if (options.SecondaryPort is { } secondaryPort)
            {
                kestrel.Listen(IPAddress.Loopback, secondaryPort, listener => secondaryListener = listener);
            }
        });
        builder.Services.AddRoutingCore();

        WebApplication app = builder.Build();
        var state = new EmulatorState(options);
        EmulatorRoutes.Map(app, state);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            state.Dispose();
            throw;
        }

        // Kestrel writes the bound port back into the listener, so port 0 resolves to the real one.
        if (secondaryListener?.IPEndPoint is { } secondaryEndPoint)
        {
            state.SetSecondaryOrigin(new Uri($"http://{secondaryEndPoint}/"));
        }

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .First(a => state.SecondaryRoot is null || new Uri(a).Port != state.SecondaryPort);
        return new EmulatorServer(app, state, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>A consistent snapshot of the counters: no counter shows more answered than received.</summary>
    public EmulatorStats GetStats() => _state.Stats.Snapshot();

    /// <summary>
    /// Zeroes the counters, including the arrival numbering of <see cref="EmulatorOptions.FailEveryNth"/>
    /// and the per-fingerprint counts (so seeded fault draws start again as for a fresh server). The
    /// rate-limit budgets are not refilled.
    /// </summary>
    public void ResetStats() => _state.Stats.Reset();

    /// <summary>
    /// The requests received since the start or the last <see cref="ClearCapturedRequests"/>, oldest
    /// first, at most the last 10,000, when <see cref="EmulatorOptions.CaptureRequests"/> is on (empty
    /// otherwise). A snapshot: safe to read while requests arrive.
    /// </summary>
    public IReadOnlyList<CapturedRequest> CapturedRequests => _state.Capture.Snapshot();

    /// <summary>Forgets the captured requests (see <see cref="CapturedRequests"/>).</summary>
    public void ClearCapturedRequests() => _state.Capture.Clear();

    /// <summary>
    /// Starts a new high-water mark of concurrent chat and embeddings requests from those in flight
    /// now, and returns the previous one; <see cref="EmulatorStats.MaxConcurrentRequests"/> then
    /// reports the peak since this call (for instance the peak after a burst of 429s). Other counters
    /// are untouched.
    /// </summary>
    public long ResetPeakConcurrency() => _state.Stats.ResetPeakConcurrency();

    /// <summary>
    /// Stops Kestrel: requests held open on purpose (<c>[[hang]]</c>, drips) end at once, others get a
    /// few seconds to finish.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _state.StopAsync().ConfigureAwait(false);
        using (var timeout = new CancellationTokenSource(StopTimeout))
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        _state.Dispose();
    }
}
