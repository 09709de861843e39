using System.Diagnostics;
using TypedBatch.Emulator.Structured;

namespace TypedBatch.Emulator;

/// <summary>
/// <c>POST /v1/chat/completions</c> (and its Copilot twin): validate, count, wait, inject faults,
/// then answer deterministically, with structured outputs for a <c>response_format</c> and the
/// bad answers of <see cref="BadAnswerMarkers"/>.
/// </summary>
internal sealed class ChatEndpoint(EmulatorState state)
{
    /// <summary>Answers one chat completion request; credentials are already checked.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var stats = state.Stats;
        var arrival = stats.BeginModelRequest(RequestKind.Chat);
        try
        {
            ChatRequest? request;
            RequestError? error;
            using (var body = await RequestBody.TryParseAsync(context))
            {
                error = RequestError.UnreadableBody;
                request = body is null ? null : ChatRequest.Parse(body.RootElement, out error);
            }

            if (request is null)
            {
                stats.Failed(RequestKind.Chat);
                ResponseHeaders.Add(context.Response, null, started);
                await OpenAIErrors.WriteAsync(context, error!);
                return;
            }

            var fingerprint = request.Fingerprint();
            var received = stats.FingerprintReceived(fingerprint);
            if (request.Format.IsStructured)
            {
                stats.StructuredRequest();
            }

            var plan = FaultMarkers.Read(default, request.Messages[^1].Content);
            await state.Latency.DelayAsync(plan.DelayMilliseconds, context.RequestAborted);

            var failStatus = FaultInjection.ChooseFailureStatus(plan, received, arrival, state.Options);
            if (failStatus != 0)
            {
                stats.Failed(RequestKind.Chat);
                ResponseHeaders.Add(context.Response, fingerprint, started);
                await OpenAIErrors.WriteInjectedAsync(context, failStatus);
                return;
            }

            var badAnswer = BadAnswerMarkers.Choose(request, plan, stats);
            ChatAnswer answer;
            try
            {
                answer = DeterministicAnswers.Chat(request, badAnswer, fingerprint);
            }
            catch (SchemaGenerationException exception)
            {
                stats.Failed(RequestKind.Chat);
                ResponseHeaders.Add(context.Response, fingerprint, started);
                var message = $"Invalid schema for response_format '{request.Format.Name}': {exception.Message}";
                await OpenAIErrors.WriteAsync(context, new RequestError(message, "response_format", null));
                return;
            }

            var id = state.NextCompletionId();

            // Counted before the body goes out, so a client that has its answer sees it counted.
            stats.Served(RequestKind.Chat, fingerprint, 0);
            ResponseHeaders.Add(context.Response, fingerprint, started);
            if (plan.Malformed)
            {
                await ChatResponseWriter.WriteMalformedAsync(context, request, answer, id);
            }
            else if (request.Stream)
            {
                await ChatResponseWriter.WriteStreamAsync(context, request, answer, id);
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
