using Polly;

namespace TypedBatch.Resilience;

/// <summary>
/// The one retry loop of a provider endpoint, as one Polly pipeline in its <see cref="HttpClient"/>: the total timeout
/// of a call, then retries with jittered exponential backoff that honour the server's hints (<see cref="RetryPolicy"/>),
/// then the per-attempt timeout. Nothing above this pipeline retries the same call.
/// </summary>
internal static class ProviderPipeline
{
    public static ResiliencePipeline<HttpResponseMessage> Build(TypedBatchOptions options, RetryPolicy retryPolicy, TimeProvider time)
    {
        var builder = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time };
        builder.AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(retryPolicy.CreateOptions(options.MaxRetries, options.RetryBaseDelay));
        }

        builder.AddTimeout(options.AttemptTimeout);
        return builder.Build();
    }
}
