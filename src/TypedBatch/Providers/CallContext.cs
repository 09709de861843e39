namespace TypedBatch.Providers;

/// <summary>
/// Travels with one provider call through the <see cref="HttpClient"/> pipeline (in the request's options) so that
/// the handler inside the retry loop can tell the provider how many attempts were made and what the last response said.
/// </summary>
internal sealed class CallContext
{
    public const string OptionKey = "TypedBatch.CallContext";

    public static readonly HttpRequestOptionsKey<CallContext> Key = new(OptionKey);

    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    public string? RequestId { get; set; }

    public RateLimitInfo? RateLimit { get; set; }

    /// <summary>Where the call goes and how it is authenticated; none when the HttpClient's base address is used as is.</summary>
    public ProviderEndpoint? Endpoint { get; init; }

    /// <summary>The URI as Refit built it, before the endpoint rewrote it for the first attempt.</summary>
    public Uri? RefitUri { get; set; }

    /// <summary>The model (for Azure classic, the deployment) the call is for.</summary>
    public string? Model { get; init; }

    /// <summary>The gate every attempt of this call waits at, if any.</summary>
    public RateLimitGate? Gate { get; init; }

    /// <summary>The tokens each attempt reserves at the gate.</summary>
    public int Reservation { get; init; }

    /// <summary>
    /// The first attempt's budget was taken before the call entered the pipeline, so that queueing for budget does not
    /// count against the call's total timeout; retries wait inside the pipeline.
    /// </summary>
    public bool FirstAttemptPrepaid { get; set; }

    /// <summary>How many attempts were answered 429.</summary>
    public int Throttled { get; set; }

    public void OnAttempt() => Interlocked.Increment(ref _attempts);
}
