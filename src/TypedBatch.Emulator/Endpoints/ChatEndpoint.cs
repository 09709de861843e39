using System.Diagnostics;
using System.Text.Json;
using TypedBatch.Emulator.Faults;
using TypedBatch.Emulator.Limits;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>
/// <c>POST /v1/chat/completions</c> (and its Copilot twin): validate, count, pass the
/// <see cref="ModelRequestGate"/> (quota, rate limits, latency, injected faults), then answer
/// deterministically, with structured outputs for a <c>response_format</c> and the bad answers of
/// <see cref="BadAnswerMarkers"/>.
/// </summary>
internal sealed class ChatEndpoint(EmulatorState state)
{
    private readonly ModelRequestGate _gate = new(state, new OpenAIDialect(state));

    /// <summary>Answers one chat completion request; credentials are already checked.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        long started = Stopwatch.GetTimestamp();
        StatsCollector stats = state.Stats;
        long arrival = stats.BeginModelRequest(RequestKind.Chat);
        try
        {
            ChatRequest? request;
            RequestError? error;
            using (JsonDocument? body = await RequestBody.TryParseAsync(context))
            {
                error = RequestError.UnreadableBody;
                request = body is null ? null : ChatRequest.Parse(body.RootElement, out error);
            }

            if (request is null)
            {
                stats.RejectedInvalid(RequestKind.Chat);
                ResponseHeaders.Add(context.Response, null, started, state.Limiter.Peek());
                await OpenAIErrors.WriteAsync(context, error!);
                return;
            }

            string fingerprint = request.Fingerprint();
            long received = stats.FingerprintReceived(fingerprint);
            if (request.Format.IsStructured)
            {
                stats.StructuredRequest();
            }

            FaultPlan plan = FaultMarkers.Read(default, request.Messages[^1].Content);
            GateOutcome gate = await _gate.PassAsync(
                context,
                new GateRequest(RequestKind.Chat, request.Model, fingerprint, received, arrival, plan, RequestCost.Of(request), started));
            if (gate.Handled)
            {
                return;
            }

            BadAnswer badAnswer = BadAnswerMarkers.Choose(request, plan, stats);
            ChatAnswer answer;
            try
            {
                answer = DeterministicAnswers.Chat(request, badAnswer, fingerprint);
            }
            catch (SchemaGenerationException exception)
            {
                stats.RejectedInvalid(RequestKind.Chat);
                ResponseHeaders.Add(context.Response, fingerprint, started, gate.Limits);
                string message = $"Invalid schema for response_format '{request.Format.Name}': {exception.Message}";
                await OpenAIErrors.WriteAsync(context, new RequestError(message, "response_format", null));
                return;
            }

            string id = state.NextCompletionId();

            // Counted before the body goes out, so a client that has its answer sees it counted.
            if (!gate.Faulted)
            {
                stats.Accepted(fingerprint);
            }

            stats.Served(RequestKind.Chat, fingerprint, 0);
            ResponseHeaders.Add(context.Response, fingerprint, started, gate.Limits);
            if (gate.Fault == InjectedFault.Oversize)
            {
                await ChatResponseWriter.WriteOversizeAsync(context, request, answer, id, plan.OversizeMegabytes);
            }
            else if (gate.Malformed)
            {
                await ChatResponseWriter.WriteMalformedAsync(context, request, answer, id);
            }
            else if (request.Stream)
            {
                await ChatResponseWriter.WriteStreamAsync(context, request, answer, id, plan, received, state.Options.StreamChunkCharacters);
            }
            else
            {
                await ChatResponseWriter.WriteJsonAsync(context, request, answer, id);
            }
        }
        finally
        {
            stats.EndModelRequest();
        }
    }
}
