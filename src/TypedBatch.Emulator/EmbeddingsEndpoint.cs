using System.Diagnostics;

namespace TypedBatch.Emulator;

/// <summary>
/// <c>POST /v1/embeddings</c> (and its Copilot twin): validate, count, wait, inject faults (markers
/// are read from every input), then answer with deterministic unit vectors.
/// </summary>
internal sealed class EmbeddingsEndpoint(EmulatorState state)
{
    /// <summary>Answers one embeddings request; credentials are already checked.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var stats = state.Stats;
        var arrival = stats.BeginModelRequest(RequestKind.Embeddings);
        try
        {
            EmbeddingsRequest? request;
            RequestError? error;
            using (var body = await RequestBody.TryParseAsync(context))
            {
                error = RequestError.UnreadableBody;
                request = body is null ? null : EmbeddingsRequest.Parse(body.RootElement, state.Options.EmbeddingDimensions, out error);
            }

            if (request is null)
            {
                stats.Failed(RequestKind.Embeddings);
                ResponseHeaders.Add(context.Response, null, started);
                await OpenAIErrors.WriteAsync(context, error!);
                return;
            }

            var fingerprint = request.Fingerprint();
            var received = stats.FingerprintReceived(fingerprint);
            var plan = default(FaultPlan);
            foreach (var input in request.Inputs)
            {
                plan = FaultMarkers.Read(plan, input);
            }

            await state.Latency.DelayAsync(plan.DelayMilliseconds, context.RequestAborted);

            var failStatus = FaultInjection.ChooseFailureStatus(plan, received, arrival, state.Options);
            if (failStatus != 0)
            {
                stats.Failed(RequestKind.Embeddings);
                ResponseHeaders.Add(context.Response, fingerprint, started);
                await OpenAIErrors.WriteInjectedAsync(context, failStatus);
                return;
            }

            // Counted before the body goes out, so a client that has its answer sees it counted.
            stats.Served(RequestKind.Embeddings, fingerprint, request.Inputs.Count);
            ResponseHeaders.Add(context.Response, fingerprint, started);
            await EmbeddingsResponseWriter.WriteAsync(context, request, plan.Malformed);
        }
        finally
        {
            stats.EndModelRequest();
        }
    }
}
