using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using TypedBatch.Resilience;

namespace TypedBatch.Providers.OpenAI;

/// <summary>How streamed answers are read: the retries of a stream that breaks before its first update, the idle limit, the largest event.</summary>
/// <param name="MaxRetries">Re-sends of a stream that broke before anything was handed out (<see cref="TypedBatchOptions.MaxRetries"/>).</param>
/// <param name="RetryBaseDelay">The first backoff; it doubles per re-send.</param>
/// <param name="IdleTimeout"><see cref="TypedBatchOptions.StreamIdleTimeout"/>.</param>
/// <param name="MaxEventBytes"><see cref="TypedBatchOptions.MaxResponseBytes"/>, for one event.</param>
/// <param name="Time">The clock of the backoff.</param>
/// <param name="TotalTimeout"><see cref="TypedBatchOptions.TotalTimeout"/>: no re-send starts past it.</param>
internal sealed record StreamSettings(int MaxRetries, TimeSpan RetryBaseDelay, TimeSpan IdleTimeout, long MaxEventBytes, TimeProvider Time, TimeSpan TotalTimeout)
{
    public static StreamSettings Default { get; } = new(3, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(2), TypedBatchOptions.DefaultMaxResponseBytes, TimeProvider.System, TimeSpan.FromMinutes(10));

    public static StreamSettings From(TypedBatchOptions options, TimeProvider time)
        => new(options.MaxRetries, options.RetryBaseDelay, options.StreamIdleTimeout, options.MaxResponseBytes, time, options.TotalTimeout);
}

/// <summary>One outcome of reading a stream: an update, its end (neither set), or a failure.</summary>
internal readonly record struct StreamStep(ChatCompletionUpdate? Update, ProviderException? Failure);

/// <summary>One streamed response being read: its events, and what the answer has said so far.</summary>
internal interface IStreamSession : IDisposable
{
    /// <summary>HTTP attempts made for the call so far, earlier re-sends included.</summary>
    int Attempts { get; }

    string? ResponseModel { get; }

    string? ResponseId { get; }

    string? FinishReason { get; }

    TokenUsage Usage { get; }

    /// <summary>The next update, the end of the answer (neither set), or how the stream broke; never throws for a broken stream.</summary>
    ValueTask<StreamStep> NextAsync(CancellationToken cancellationToken);
}

/// <summary>
/// What a provider gives <see cref="ResendingStream.ReadAsync"/> for one call: the model sent, and how to send the
/// request (again) and open its response; the <see langword="int"/> is the attempts made before.
/// </summary>
internal readonly record struct StreamCall(string Model, Func<int, CancellationToken, Task<IStreamSession>> Open);

/// <summary>
/// The reading of a streamed call that every HTTP provider shares. Failures before the response are the retry loop's
/// (in the <see cref="HttpClient"/> pipeline); a stream that breaks (cut, silent past
/// <see cref="TypedBatchOptions.StreamIdleTimeout"/>, an error event, bad JSON) before any update was handed out is sent
/// again, up to <see cref="TypedBatchOptions.MaxRetries"/> times within <see cref="TypedBatchOptions.TotalTimeout"/>;
/// after that it is the call's error, since part of the answer is already the caller's. One span covers the call.
/// </summary>
internal static class ResendingStream
{
    /// <summary>Streams one call; <paramref name="prepare"/> runs when the stream is first read, as the rest does.</summary>
    public static async IAsyncEnumerable<ChatCompletionUpdate> ReadAsync(
        ChatRequest request, Func<ChatRequest, StreamCall> prepare, StreamSettings settings, string telemetryName,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        StreamCall call = prepare(request);
        string model = call.Model;
        using Activity? span = ProviderSpan.Start("chat", telemetryName, model, request.Settings.Temperature, request.Settings.MaxTokens);
        long started = Stopwatch.GetTimestamp();
        int attempts = 0;
        ProviderException? lastBreak = null;
        for (int resend = 0; ; resend++)
        {
            IStreamSession session;
            try
            {
                session = await call.Open(attempts, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                ProviderSpan.Failed(span, "chat", telemetryName, model, ex, started);
                throw;
            }

            using (session)
            {
                bool handedOut = false;
                while (true)
                {
                    StreamStep step = await session.NextAsync(cancellationToken).ConfigureAwait(false);
                    if (step.Failure is { } failure)
                    {
                        if (!handedOut && resend < settings.MaxRetries && IsWorthResending(failure))
                        {
                            attempts = session.Attempts;
                            lastBreak = failure;
                            break;
                        }

                        ProviderSpan.Failed(span, "chat", telemetryName, model, failure, started);
                        throw failure;
                    }

                    if (step.Update is not { } update)
                    {
                        ProviderSpan.Succeeded(span, "chat", telemetryName, model, session.ResponseModel, session.ResponseId, session.Usage, session.FinishReason, started);
                        yield break;
                    }

                    handedOut = true;
                    yield return update;
                }
            }

            var backoff = TimeSpan.FromTicks(settings.RetryBaseDelay.Ticks << Math.Min(resend, 10));
            if (Stopwatch.GetElapsedTime(started) + backoff >= settings.TotalTimeout)
            {
                // TotalTimeout bounds the whole call, re-sends included: the last break is the call's error.
                ProviderSpan.Failed(span, "chat", telemetryName, model, lastBreak!, started);
                throw lastBreak!;
            }

            ProviderSpan.Retried(attempts + 1, backoff, null, null);
            await Task.Delay(backoff, settings.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A broken stream worth sending again: a cut, a silence, unreadable bytes, or the server's own failure.</summary>
    public static bool IsWorthResending(ProviderException failure)
        => failure.Kind is BatchErrorKind.Transport or BatchErrorKind.Timeout
            || (failure.Kind == BatchErrorKind.RateLimited && failure.StatusCode is null) // a rate_limit_error event inside the stream
            || (failure.Kind == BatchErrorKind.Http && failure.StatusCode is null && failure.ErrorType is null or "server_error" or "api_error" or "overloaded_error");

    /// <summary>
    /// What an exception thrown while reading a stream's body means for the call: bad JSON, an event past
    /// <see cref="TypedBatchOptions.MaxResponseBytes"/>, a silence past <see cref="TypedBatchOptions.StreamIdleTimeout"/>,
    /// a broken connection; <see langword="null"/> for anything else (the caller's cancellation, a bug), which must propagate.
    /// </summary>
    public static ProviderException? Broken(ProviderFailures failures, Exception ex, string? requestId, int attempts) => ex switch
    {
        JsonException => failures.UnreadableBody(200, ex, requestId, attempts),
        ResponseTooLargeException => failures.Refused(ex, requestId, attempts),
        TimeoutException => new ProviderException(BatchErrorKind.Timeout, failures.Provider, ex.Message, 200) { RequestId = failures.Redactor.RedactOrNull(requestId), Attempts = attempts },
        _ when ProviderFailures.IsSendFailure(ex) => failures.Transport(ex, requestId, attempts),
        _ => null,
    };
}
