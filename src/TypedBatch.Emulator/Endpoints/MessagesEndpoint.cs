using System.Diagnostics;
using System.Text.Json;
using TypedBatch.Emulator.Limits;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>
/// Anthropic's <c>POST /v1/messages</c>: validate, count, pass the shared <see cref="ModelRequestGate"/>
/// with <see cref="AnthropicDialect"/> (spend limit, per-model RPM/ITPM/OTPM, latency, markers and
/// seeded faults, in Anthropic's error shapes), then answer with the shared deterministic and
/// structured answers as a text or <c>tool_use</c> block, whole or streamed.
/// </summary>
internal sealed class MessagesEndpoint
{
    private readonly EmulatorState _state;
    private readonly ModelRequestGate _gate;

    public MessagesEndpoint(EmulatorState state)
    {
        _state = state;
        _gate = new ModelRequestGate(state, new AnthropicDialect(state));
    }

    /// <summary>Answers one messages request; <c>x-api-key</c> and <c>anthropic-version</c> are already checked.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        long started = Stopwatch.GetTimestamp();
        StatsCollector stats = _state.Stats;
        TimeProvider time = _state.Options.TimeProvider;
        long arrival = stats.BeginModelRequest(RequestKind.AnthropicMessages);
        try
        {
            MessagesRequest? request;
            string? error;
            using (JsonDocument? body = await RequestBody.TryParseAsync(context))
            {
                error = "There was an issue with your request body: it is not valid JSON.";
                request = body is null ? null : MessagesRequest.Parse(body.RootElement, context.Request.Headers["anthropic-beta"].ToString(), out error);
            }

            if (request is null)
            {
                stats.RejectedInvalid(RequestKind.AnthropicMessages);
                AnthropicHeaders.Add(context.Response, null, RateLimitSnapshot.Unlimited, time.GetUtcNow());
                await AnthropicErrors.WriteInvalidAsync(context, error!);
                return;
            }

            string fingerprint = request.Chat.Fingerprint();
            long received = stats.FingerprintReceived(fingerprint);
            if (request.Output != MessagesOutput.Text)
            {
                stats.StructuredRequest();
            }

            FaultPlan plan = FaultMarkers.Read(default, request.Chat.Messages[^1].Content);
            int inputTokens = DeterministicAnswers.PromptTokens(request.Chat.Messages);
            GateOutcome gate = await _gate.PassAsync(
                context,
                new GateRequest(RequestKind.AnthropicMessages, request.Model, fingerprint, received, arrival, plan, inputTokens, started) { MaxOutputTokens = request.MaxTokens });
            if (gate.Handled)
            {
                return;
            }

            ChatAnswer answer;
            try
            {
                answer = DeterministicAnswers.Chat(request.Chat, BadAnswerMarkers.Choose(request.Chat, plan, stats), fingerprint);
            }
            catch (SchemaGenerationException exception)
            {
                stats.RejectedInvalid(RequestKind.AnthropicMessages);
                AnthropicHeaders.Add(context.Response, fingerprint, gate.Limits, time.GetUtcNow());
                string field = request.Output == MessagesOutput.ToolUse ? "tools.input_schema" : "output_config.format.schema";
                await AnthropicErrors.WriteInvalidAsync(context, $"{field}: {exception.Message}");
                return;
            }

            AnthropicMessage message = AnthropicAnswers.Create(request, answer, _state.NextMessageId(), _state.NextToolUseId);

            // OTPM was estimated from max_tokens on arrival; it is adjusted to the tokens produced, known before the first byte goes out.
            RateLimitSnapshot limits = _state.AnthropicLimiter.ChargeOutput(request.Model, message.OutputTokens, request.MaxTokens);

            // Counted before the body goes out, so a client that has its answer sees it counted.
            if (!gate.Faulted)
            {
                stats.Accepted(fingerprint);
            }

            stats.Served(RequestKind.AnthropicMessages, fingerprint, 0);
            AnthropicHeaders.Add(context.Response, fingerprint, limits, time.GetUtcNow());
            if (gate.Malformed)
            {
                await MessageResponseWriter.WriteMalformedAsync(context, message, request.Stream);
            }
            else if (request.Stream)
            {
                await MessageResponseWriter.WriteStreamAsync(context, message, plan, received, _state.Options.StreamChunkCharacters);
            }
            else
            {
                await MessageResponseWriter.WriteJsonAsync(context, message);
            }
        }
        finally
        {
            stats.EndModelRequest();
        }
    }
}
