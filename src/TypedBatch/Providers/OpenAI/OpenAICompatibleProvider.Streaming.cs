using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using TypedBatch.Http;
using TypedBatch.Limits;
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

/// <content>Streamed chat answers: <c>"stream": true</c> with usage, read as server-sent events.</content>
internal sealed partial class OpenAICompatibleProvider
{
    /// <summary>
    /// Sends the request streamed and hands out each piece of the answer as it arrives. Failures before the response
    /// are the retry loop's (in the <see cref="HttpClient"/> pipeline); a stream that breaks (cut, silent past
    /// <see cref="TypedBatchOptions.StreamIdleTimeout"/>, an error event, bad JSON) before any update was handed out is
    /// sent again, up to <see cref="TypedBatchOptions.MaxRetries"/> times; after that it is the call's error, since part
    /// of the answer is already the caller's. A server that ignores <c>stream</c> and answers whole is one update.
    /// </summary>
    public async IAsyncEnumerable<ChatCompletionUpdate> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string model = modelOverride ?? request.Model;
        ChatCompletionRequestDto dto = ToWire(request, model, structuredOutputs, stream: true);
        using Activity? span = ProviderSpan.Start("chat", TelemetryName, model, request.Settings.Temperature, request.Settings.MaxTokens);
        long started = Stopwatch.GetTimestamp();
        int attempts = 0;
        ProviderException? lastBreak = null;
        for (int resend = 0; ; resend++)
        {
            var call = new CallContext
            {
                Model = model,
                PromptEstimate = TokenEstimator.EstimatePrompt(request.Messages),
                MaxOutputTokens = request.Settings.MaxTokens,
                Streamed = true,
            };
            StreamSession session;
            try
            {
                session = await OpenStreamAsync(dto, call, model, attempts, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                ProviderSpan.Failed(span, "chat", TelemetryName, model, ex, started);
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
                        if (!handedOut && resend < _streaming.MaxRetries && IsWorthResending(failure))
                        {
                            attempts = session.Attempts;
                            lastBreak = failure;
                            break;
                        }

                        ProviderSpan.Failed(span, "chat", TelemetryName, model, failure, started);
                        throw failure;
                    }

                    if (step.Update is not { } update)
                    {
                        ProviderSpan.Succeeded(span, "chat", TelemetryName, model, session.ResponseModel, session.ResponseId, session.Usage, session.FinishReason, started);
                        yield break;
                    }

                    handedOut = true;
                    yield return update;
                }
            }

            var backoff = TimeSpan.FromTicks(_streaming.RetryBaseDelay.Ticks << Math.Min(resend, 10));
            if (Stopwatch.GetElapsedTime(started) + backoff >= _streaming.TotalTimeout)
            {
                // TotalTimeout bounds the whole call, re-sends included: the last break is the call's error.
                ProviderSpan.Failed(span, "chat", TelemetryName, model, lastBreak!, started);
                throw lastBreak!;
            }

            ProviderSpan.Retried(attempts + 1, backoff, null, null);
            await Task.Delay(backoff, _streaming.Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The limits the stream's usage teaches.</summary>
    private ProviderLimits? Limits => limits;

    /// <summary>A broken stream worth sending again: a cut, a silence, unreadable bytes, or the server's own failure.</summary>
    private static bool IsWorthResending(ProviderException failure)
        => failure.Kind is BatchErrorKind.Transport or BatchErrorKind.Timeout
            || (failure.Kind == BatchErrorKind.Http && failure.StatusCode is null && failure.ErrorType is null or "server_error" or "api_error" or "overloaded_error");

    private async Task<StreamSession> OpenStreamAsync(ChatCompletionRequestDto dto, CallContext call, string model, int attemptsBefore, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await wire.StreamChatAsync(dto, call, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ProviderFailures.IsSendFailure(ex))
        {
            throw _failures.NoAnswer(ex, call.RequestId, attemptsBefore + call.Attempts);
        }

        try
        {
            int attempts = attemptsBefore + Math.Max(1, call.Attempts);
            if (!response.IsSuccessStatusCode)
            {
                // Error bodies were read whole (and bounded) inside the pipeline.
                string body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw _failures.ErrorAnswer(response.StatusCode, response.ReasonPhrase, body, call.RequestId, attempts, call.RetryAfterRefused);
            }

            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                // A server that ignores "stream" answers whole: one update. Its body was read and checked in the pipeline.
                ChatCompletionResponseDto? whole;
                try
                {
                    whole = await response.Content.ReadFromJsonAsync(WireJsonContext.Wire.ChatCompletionResponseDto, cancellationToken).ConfigureAwait(false);
                }
                catch (JsonException ex)
                {
                    throw _failures.UnreadableBody(200, ex, call.RequestId, attempts);
                }

                ChatCompletion completion = FromWire(whole ?? throw _failures.UnreadableBody(200, null, call.RequestId, attempts), Name, 200, redactor.RedactOrNull(call.RequestId), attempts, Pricing, model, deferred: false);
                RateLimitHandlers.LearnUsage(limits, call, completion.Usage.PromptTokens);
                return new StreamSession(this, response, null, call, model, attempts) { Whole = ChatStreaming.FromCompletion(completion) };
            }

            Stream body2 = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new StreamSession(this, response, new ServerSentEventReader(body2, _streaming.IdleTimeout, _streaming.MaxEventBytes), call, model, attempts);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>One outcome of reading a stream: an update, its end (neither set), or a failure.</summary>
    private readonly record struct StreamStep(ChatCompletionUpdate? Update, ProviderException? Failure);

    /// <summary>One response being read: its events, and what the answer has said so far.</summary>
    private sealed class StreamSession(OpenAICompatibleProvider provider, HttpResponseMessage response, ServerSentEventReader? events, CallContext call, string requestedModel, int attempts) : IDisposable
    {
        private bool _ended;

        public ChatCompletionUpdate? Whole { get; init; }

        public int Attempts => attempts;

        public string? ResponseModel { get; private set; }

        public string? ResponseId { get; private set; }

        public string? FinishReason { get; private set; }

        public TokenUsage Usage { get; private set; }

        public async ValueTask<StreamStep> NextAsync(CancellationToken cancellationToken)
        {
            if (_ended)
            {
                return default;
            }

            if (Whole is { } whole)
            {
                _ended = true;
                (ResponseModel, ResponseId, FinishReason, Usage) = (whole.Model, whole.Id, whole.FinishReason, whole.Usage ?? default);
                return new StreamStep(whole, null);
            }

            ProviderFailures failures = provider._failures;
            try
            {
                while (await events!.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ReadOnlySpan<byte> data = events.Data.Span;
                    if (data.IsEmpty)
                    {
                        continue; // an event with empty data says nothing
                    }

                    if (data.SequenceEqual("[DONE]"u8))
                    {
                        _ended = true;
                        return default;
                    }

                    var chunk = ChatChunk.Parse(data);
                    if (chunk.Error is { } error)
                    {
                        return new StreamStep(null, new ProviderException(OpenAIErrors.IsQuota(error) ? BatchErrorKind.QuotaExceeded : BatchErrorKind.Http, provider.Name, failures.Redactor.Redact(error.Message ?? "The server sent an error inside the stream."))
                        {
                            ErrorType = failures.Redactor.RedactOrNull(error.Type),
                            ErrorCode = failures.Redactor.RedactOrNull(error.CodeText),
                            RequestId = failures.Redactor.RedactOrNull(call.RequestId),
                            Attempts = attempts,
                        });
                    }

                    ResponseModel ??= chunk.Model;
                    ResponseId ??= chunk.Id;
                    if (!chunk.HasNews)
                    {
                        continue;
                    }

                    FinishReason ??= chunk.FinishReason;
                    var usage = chunk.Usage?.ToTokenUsage();
                    if (usage is { } reported)
                    {
                        Usage = reported;
                        RateLimitHandlers.LearnUsage(provider.Limits, call, reported.PromptTokens);
                    }

                    return new StreamStep(new ChatCompletionUpdate
                    {
                        Text = chunk.Text is { Length: > 0 } text ? text : null,
                        Refusal = chunk.Refusal is { Length: > 0 } refusal ? refusal : null,
                        FinishReason = chunk.FinishReason,
                        Usage = usage,
                        Cost = usage is { } billed ? provider.Pricing.Cost(chunk.Model ?? ResponseModel, requestedModel, billed, deferred: false) : null,
                        Model = chunk.Model ?? ResponseModel,
                        Id = chunk.Id ?? ResponseId,
                        Provider = provider.Name,
                        Attempts = attempts,
                    }, null);
                }

                // The body ended without [DONE]: complete if the answer said how it ended, else cut off.
                _ended = true;
                return FinishReason is not null
                    ? default
                    : new StreamStep(null, new ProviderException(BatchErrorKind.Transport, provider.Name, "The stream ended before the answer did (no finish reason, no [DONE]).", 200)
                    {
                        RequestId = failures.Redactor.RedactOrNull(call.RequestId),
                        Attempts = attempts,
                    });
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (JsonException ex)
            {
                return new StreamStep(null, failures.UnreadableBody(200, ex, call.RequestId, attempts));
            }
            catch (ResponseTooLargeException ex)
            {
                return new StreamStep(null, failures.Refused(ex, call.RequestId, attempts));
            }
            catch (TimeoutException ex)
            {
                return new StreamStep(null, new ProviderException(BatchErrorKind.Timeout, provider.Name, ex.Message, 200) { RequestId = failures.Redactor.RedactOrNull(call.RequestId), Attempts = attempts });
            }
            catch (Exception ex) when (ProviderFailures.IsSendFailure(ex))
            {
                return new StreamStep(null, failures.Transport(ex, call.RequestId, attempts));
            }
        }

        public void Dispose()
        {
            events?.Dispose();
            response.Dispose();
        }
    }
}
