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

    public void OnAttempt() => Interlocked.Increment(ref _attempts);
}
