using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using TypedBatch.Http;
using TypedBatch.Limits;
using TypedBatch.Providers;

namespace TypedBatch.Interop;

/// <summary>
/// What the <see cref="System.Net.Http.HttpClient"/> pipeline does for TypedBatch's own providers, for calls into a
/// Microsoft.Extensions.AI client instead: each attempt passes the rate-limit gates (the batch's and the provider's,
/// with the limits from the options: such a client has no headers to read), the one retry loop retries what the client
/// surfaces as transient, the attempt and total timeouts bound it, and every answer or throttle tells the gate and the
/// batch's adaptive concurrency. A failure after the retries becomes a <see cref="ProviderException"/>.
/// </summary>
/// <remarks>
/// Transient, by default: an <see cref="HttpRequestException"/> with status 408, 409, 429, 500, 502, 503 or 504 or with
/// none (the connection failed), a <see cref="TimeoutException"/>, an <see cref="IOException"/>, and the attempt
/// timeout, anywhere in the exception's chain. A client that retries on its own (the OpenAI and Azure SDKs do, three
/// times) throws its own exception types after its retries, which are not retried again unless
/// <c>isTransient</c> says so: then turn the client's retries off, so that there is one loop.
/// </remarks>
internal sealed class ClientCalls
{
    private static readonly TimeSpan ThrottlePause = TimeSpan.FromSeconds(1);

    private readonly ResiliencePipeline _pipeline;
    private readonly Func<Exception, bool> _isTransient;
    private readonly SecretRedactor _redactor;

    public ClientCalls(string provider, ProviderLimits limits, TypedBatchOptions options, Func<Exception, bool>? isTransient, SecretRedactor redactor, TimeProvider time)
    {
        Provider = provider;
        Limits = limits;
        _redactor = redactor;
        _isTransient = isTransient ?? IsTransientByDefault;
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        builder.AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } failure && IsWorthRetrying(failure)),
                OnRetry = static args =>
                {
                    ProviderSpan.Retried(args.AttemptNumber + 1, args.RetryDelay, StatusOf(args.Outcome.Exception), args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            });
        }

        builder.AddTimeout(options.AttemptTimeout);
        _pipeline = builder.Build();
    }

    public string Provider { get; }

    public ProviderLimits Limits { get; }

    /// <summary>Runs <paramref name="attempt"/> under the gates, retries and timeouts; its failure as a <see cref="ProviderException"/>.</summary>
    public async Task<T> RunAsync<T>(CallContext call, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        // The first attempt's budget outside the timeouts, as for the HTTP providers: queueing is never a timeout.
        await RateLimitHandlers.WaitAsync(Limits, call, cancellationToken).ConfigureAwait(false);
        call.Admitted = true;
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (state, token) => await state.Calls.AttemptAsync(state.Call, state.Attempt, token).ConfigureAwait(false),
                (Calls: this, Call: call, Attempt: attempt),
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (call.Attempts == 0)
            {
                Limits.GateFor(call.Model).OnAnswer(null); // admitted, then cancelled before sending: release those queued behind
            }

            throw;
        }
        catch (ProviderException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw Describe(ex, Math.Max(1, call.Attempts));
        }
    }

    /// <summary>One attempt: a retry's budget first, then the call; what came back tells the gate and the batch's concurrency.</summary>
    public async Task<T> AttemptAsync<T>(CallContext call, Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        if (call.OnAttempt() > 1 || !call.Admitted)
        {
            await RateLimitHandlers.WaitAsync(Limits, call, cancellationToken).ConfigureAwait(false);
        }

        RateLimitGate gate = Limits.GateFor(call.Model);
        T answer;
        try
        {
            answer = await attempt(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            OnFailure(gate, ex);
            throw;
        }

        gate.OnAnswer(null);
        BatchScope.Current?.Concurrency.OnSuccess();
        return answer;
    }

    /// <summary>A failed attempt releases the requests queued behind it; a throttle pauses the gate and cuts the batch's concurrency.</summary>
    public static void OnFailure(RateLimitGate gate, Exception failure)
    {
        gate.OnAnswer(null);
        if (StatusOf(failure) == (int)HttpStatusCode.TooManyRequests)
        {
            gate.Pause(ThrottlePause);
            BatchScope.Current?.Concurrency.OnThrottled();
        }
    }

    /// <summary>Whether a failure is sent again: the attempt's own timeout, or what the transient rule says.</summary>
    public bool IsWorthRetrying(Exception failure) => failure is TimeoutRejectedException || _isTransient(failure);

    /// <summary>A client's failure, after its retries, as the call's error; its message masked.</summary>
    public ProviderException Describe(Exception failure, int attempts)
    {
        if (failure is ProviderException described)
        {
            return described;
        }

        int? status = StatusOf(failure);
        BatchErrorKind kind = failure switch
        {
            TimeoutRejectedException or OperationCanceledException => BatchErrorKind.Timeout,
            _ when status == (int)HttpStatusCode.TooManyRequests => BatchErrorKind.RateLimited,
            _ when status is not null => BatchErrorKind.Http,
            _ when Find<HttpRequestException>(failure) is not null || Find<IOException>(failure) is not null => BatchErrorKind.Transport,
            _ when Find<TimeoutException>(failure) is not null => BatchErrorKind.Timeout,
            _ => BatchErrorKind.Unknown,
        };
        string message = kind == BatchErrorKind.Timeout && failure is TimeoutRejectedException
            ? "The attempt timed out (TypedBatchOptions.AttemptTimeout or TotalTimeout)."
            : $"{failure.GetType().Name}: {_redactor.Redact(failure.Message)}";
        return new ProviderException(kind, Provider, message, status, failure is TimeoutRejectedException ? null : failure) { Attempts = attempts };
    }

    /// <summary>
    /// The HTTP status a client's exception carries: an <see cref="HttpRequestException"/>'s, or the <c>Status</c> of
    /// the SDKs' own exceptions (System.ClientModel's <c>ClientResultException</c>, used by the OpenAI SDK, and Azure's
    /// <c>RequestFailedException</c>), anywhere in the chain; <see langword="null"/> when none says.
    /// </summary>
    public static int? StatusOf(Exception? failure)
    {
        for (Exception? current = failure; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException { StatusCode: { } status })
            {
                return (int)status;
            }

            if (SdkStatus(current) is { } sdk)
            {
                return sdk;
            }
        }

        return null;
    }

    /// <summary>
    /// The <c>Status</c> of the SDK exceptions TypedBatch knows by name, read without referencing their packages. In an
    /// app trimmed so hard that the property is gone, the status is unknown, as for any other exception.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "A trimmed-away Status property only makes the status unknown.")]
    private static int? SdkStatus(Exception failure)
    {
        Type type = failure.GetType();
        for (Type? t = type; t is not null && t != typeof(Exception); t = t.BaseType)
        {
            if (t.FullName is "System.ClientModel.ClientResultException" or "Azure.RequestFailedException")
            {
                return type.GetProperty("Status")?.GetValue(failure) is int status and > 0 ? status : null;
            }
        }

        return null;
    }

    /// <summary>The default rule: see the remarks of <see cref="ClientCalls"/>.</summary>
    public static bool IsTransientByDefault(Exception failure)
    {
        if (Find<HttpRequestException>(failure) is { } http)
        {
            return http.StatusCode is null or HttpStatusCode.RequestTimeout or HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests
                or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
        }

        return Find<TimeoutException>(failure) is not null || Find<IOException>(failure) is not null;
    }

    private static T? Find<T>(Exception? failure)
        where T : Exception
    {
        for (Exception? current = failure; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
        }

        return null;
    }
}
