using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using TypedBatch.Http;
using TypedBatch.Limits;
using TypedBatch.Resilience;

namespace TypedBatch.Providers.OpenAI;

/// <content>Streamed chat answers: <c>"stream": true</c> with usage, read as server-sent events.</content>
internal sealed partial class OpenAICompatibleProvider
{
    /// <summary>
    /// Sends the request streamed and hands out each piece of the answer as it arrives, re-sending a stream that breaks
    /// before its first update (<see cref="ResendingStream"/>). A server that ignores <c>stream</c> and answers whole is
    /// one update.
    /// </summary>
    public IAsyncEnumerable<ChatCompletionUpdate> StreamAsync(ChatRequest request, CancellationToken cancellationToken = default)
        => ResendingStream.ReadAsync(request, PrepareStream, _streaming, TelemetryName, cancellationToken);

    /// <summary>The limits the stream's usage teaches.</summary>
    private ProviderLimits? Limits => limits;

    private StreamCall PrepareStream(ChatRequest request)
    {
        string model = modelOverride ?? request.Model;
        ChatCompletionRequestDto dto = ToWire(request, model, structuredOutputs, stream: true);
        int promptEstimate = TokenEstimator.EstimatePrompt(request.Messages);
        return new StreamCall(model, async (attemptsBefore, cancellationToken) =>
        {
            var call = new CallContext
            {
                Model = model,
                PromptEstimate = promptEstimate,
                MaxOutputTokens = request.Settings.MaxTokens,
                Streamed = true,
            };
            return await OpenStreamAsync(dto, call, model, attemptsBefore, cancellationToken).ConfigureAwait(false);
        });
    }

    private async Task<StreamSession> OpenStreamAsync(ChatCompletionRequestDto dto, CallContext call, string model, int attemptsBefore, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await _failures.OpenStreamAsync(wire.StreamChatAsync(dto, call, cancellationToken), call, attemptsBefore, cancellationToken).ConfigureAwait(false);
        try
        {
            int attempts = attemptsBefore + Math.Max(1, call.Attempts);
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

    /// <summary>One response being read: its events, and what the answer has said so far.</summary>
    private sealed class StreamSession(OpenAICompatibleProvider provider, HttpResponseMessage response, ServerSentEventReader? events, CallContext call, string requestedModel, int attempts) : IStreamSession
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
            catch (Exception ex) when (ResendingStream.Broken(failures, ex, call.RequestId, attempts) is { } broken)
            {
                return new StreamStep(null, broken);
            }
        }

        public void Dispose()
        {
            events?.Dispose();
            response.Dispose();
        }
    }
}
