using System.Net.Http.Json;
using System.Text.Json;
using TypedBatch.Http;
using TypedBatch.Limits;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Providers.Anthropic;

/// <content>Streamed answers: <c>"stream": true</c>, read as Anthropic's server-sent events.</content>
internal sealed partial class AnthropicProvider
{
    /// <summary>
    /// Sends the request streamed and hands out each piece of the answer as it arrives: text deltas (or, for a typed
    /// request in <see cref="StructuredOutputMode.ToolCall"/>, the forced tool call's input JSON) as text, then one last
    /// update with the finish reason, usage and cost. The stream is read, re-sent and timed as every provider's
    /// (<see cref="ResendingStream"/>); an <c>error</c> event is the stream's failure (an <c>overloaded_error</c> before the
    /// first update is sent again). A server that ignores <c>stream</c> and answers whole is one update.
    /// </summary>
    public IAsyncEnumerable<ChatCompletionUpdate> StreamAsync(ChatRequest request, CancellationToken cancellationToken = default)
        => ResendingStream.ReadAsync(request, PrepareStream, _streaming, TelemetryName, cancellationToken);

    private StreamCall PrepareStream(ChatRequest request)
    {
        string model = _modelOverride ?? request.Model;
        if (Problem(request) is { } problem)
        {
            throw new ProviderException(BatchErrorKind.InvalidInput, Name, problem) { Attempts = 0 };
        }

        MessagesRequestDto dto = ToWire(request, model, _structuredOutputs, stream: true);
        int promptEstimate = TokenEstimator.EstimatePrompt(request.Messages);
        return new StreamCall(model, async (attemptsBefore, cancellationToken) =>
        {
            var call = new CallContext { Model = model, PromptEstimate = promptEstimate, MaxOutputTokens = dto.MaxTokens, Streamed = true };
            return await OpenStreamAsync(dto, call, model, attemptsBefore, cancellationToken).ConfigureAwait(false);
        });
    }

    private async Task<IStreamSession> OpenStreamAsync(MessagesRequestDto dto, CallContext call, string model, int attemptsBefore, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await _failures.OpenStreamAsync(_api.StreamMessageAsync(dto, call, cancellationToken), call, attemptsBefore, cancellationToken).ConfigureAwait(false);
        try
        {
            int attempts = attemptsBefore + Math.Max(1, call.Attempts);
            if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            {
                MessagesResponseDto? whole;
                try
                {
                    whole = await response.Content.ReadFromJsonAsync(AnthropicJsonContext.Wire.MessagesResponseDto, cancellationToken).ConfigureAwait(false);
                }
                catch (JsonException ex)
                {
                    throw _failures.UnreadableBody(200, ex, call.RequestId, attempts);
                }

                ChatCompletion completion = FromWire(whole ?? throw _failures.UnreadableBody(200, null, call.RequestId, attempts), Name, 200, _redactor.RedactOrNull(call.RequestId), attempts, Pricing, model, deferred: false);
                RateLimitHandlers.LearnUsage(_limits, call, completion.Usage.PromptTokens, completion.Usage.CompletionTokens);
                return new MessageStream(this, response, null, call, model, attempts) { Whole = ChatStreaming.FromCompletion(completion) };
            }

            Stream events = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return new MessageStream(this, response, new ServerSentEventReader(events, _streaming.IdleTimeout, _streaming.MaxEventBytes), call, model, attempts);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>One streamed answer being read: its events, and what the message has said so far.</summary>
    private sealed class MessageStream(AnthropicProvider provider, HttpResponseMessage response, ServerSentEventReader? events, CallContext call, string requestedModel, int attempts) : IStreamSession
    {
        private bool _ended;
        private AnthropicUsageDto? _startUsage;

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
                        continue;
                    }

                    var message = AnthropicStreamEvent.Parse(data);
                    switch (message.Type)
                    {
                        case "message_start":
                            (ResponseId, ResponseModel, _startUsage) = (message.Id, message.Model, message.Usage);
                            continue;
                        case "content_block_delta" when message.Text is { Length: > 0 } text:
                            return new StreamStep(Update(text, null, null), null);
                        case "message_delta":
                            return new StreamStep(Ending(message), null);
                        case "message_stop":
                            _ended = true;
                            return default;
                        case "error":
                            return new StreamStep(null, ErrorEvent(message.Error, failures));
                        default:
                            continue; // ping, content_block_start, content_block_stop, and whatever is new
                    }
                }

                // The body ended without message_stop: complete if the answer said how it ended, else cut off.
                _ended = true;
                return FinishReason is not null
                    ? default
                    : new StreamStep(null, new ProviderException(BatchErrorKind.Transport, provider.Name, "The stream ended before the answer did (no message_delta, no message_stop).", 200)
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

        /// <summary>
        /// <c>message_delta</c>: the stop reason and the final usage. Its counts are cumulative and may hold only the
        /// output; the input and cache counts come from <c>message_start</c> where it says nothing of them.
        /// </summary>
        private ChatCompletionUpdate Ending(AnthropicStreamEvent delta)
        {
            AnthropicUsageDto start = _startUsage ?? new AnthropicUsageDto();
            AnthropicUsageDto end = delta.Usage ?? new AnthropicUsageDto();
            var combined = new AnthropicUsageDto
            {
                InputTokens = end.InputTokens ?? start.InputTokens,
                CacheCreationInputTokens = end.CacheCreationInputTokens ?? start.CacheCreationInputTokens,
                CacheReadInputTokens = end.CacheReadInputTokens ?? start.CacheReadInputTokens,
                OutputTokens = end.OutputTokens ?? start.OutputTokens,
            };
            var usage = combined.ToTokenUsage();
            FinishReason = AnthropicProvider.FinishReason(delta.StopReason);
            Usage = usage;
            RateLimitHandlers.LearnUsage(provider._limits, call, usage.PromptTokens, usage.CompletionTokens);
            return Update(null, FinishReason, usage);
        }

        private ChatCompletionUpdate Update(string? text, string? finishReason, TokenUsage? usage) => new()
        {
            Text = text,
            FinishReason = finishReason,
            Usage = usage,
            Cost = usage is { } billed ? provider.Pricing.Cost(ResponseModel, requestedModel, billed, deferred: false) : null,
            Model = ResponseModel,
            Id = ResponseId,
            Provider = provider.Name,
            Attempts = attempts,
        };

        /// <summary>An <c>error</c> event: the server failed after the stream began (an <c>overloaded_error</c> is worth sending again).</summary>
        private ProviderException ErrorEvent(ErrorDto? error, ProviderFailures failures)
            => new(AnthropicErrors.IsSpendLimit(error) ? BatchErrorKind.QuotaExceeded : error?.Type == "rate_limit_error" ? BatchErrorKind.RateLimited : BatchErrorKind.Http, provider.Name, failures.Redactor.Redact(error?.Message ?? "The server sent an error inside the stream."))
            {
                ErrorType = failures.Redactor.RedactOrNull(error?.Type),
                RequestId = failures.Redactor.RedactOrNull(call.RequestId),
                Attempts = attempts,
            };

        public void Dispose()
        {
            events?.Dispose();
            response.Dispose();
        }
    }
}
