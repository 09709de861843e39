using System.Diagnostics;
using System.Text.Json;
using TypedBatch.Emulator.Faults;
using TypedBatch.Emulator.Limits;

namespace TypedBatch.Emulator;

/// <summary>
/// <c>POST /v1/embeddings</c> (and its Copilot twin): validate, count, pass the
/// <see cref="ModelRequestGate"/> (quota, rate limits, latency, injected faults; markers are read
/// from every input), then answer with deterministic unit vectors.
/// </summary>
internal sealed class EmbeddingsEndpoint(EmulatorState state)
{
    private readonly ModelRequestGate _gate = new(state, new OpenAIDialect(state));

    /// <summary>Answers one embeddings request; credentials are already checked.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        long started = Stopwatch.GetTimestamp();
        StatsCollector stats = state.Stats;
        long arrival = stats.BeginModelRequest(RequestKind.Embeddings);
        try
        {
            EmbeddingsRequest? request;
            RequestError? error;
            using (JsonDocument? body = await RequestBody.TryParseAsync(context))
            {
                error = RequestError.UnreadableBody;
                request = body is null ? null : EmbeddingsRequest.Parse(body.RootElement, state.Options.EmbeddingDimensions, out error);
            }

            if (request is null)
            {
                stats.RejectedInvalid(RequestKind.Embeddings);
                ResponseHeaders.Add(context.Response, null, started, state.Limiter.Peek());
                await OpenAIErrors.WriteAsync(context, error!);
                return;
            }

            string fingerprint = request.Fingerprint();
            long received = stats.FingerprintReceived(fingerprint);
            var plan = default(FaultPlan);
            foreach (string input in request.Inputs)
            {
                plan = FaultMarkers.Read(plan, input);
            }

            GateOutcome gate = await _gate.PassAsync(
                context,
                new GateRequest(RequestKind.Embeddings, request.Model, fingerprint, received, arrival, plan, RequestCost.Of(request), started));
            if (gate.Handled)
            {
                return;
            }

            // Counted before the body goes out, so a client that has its answer sees it counted.
            if (!gate.Faulted)
            {
                stats.Accepted(fingerprint);
            }

            stats.Served(RequestKind.Embeddings, fingerprint, request.Inputs.Count);
            ResponseHeaders.Add(context.Response, fingerprint, started, gate.Limits);
            await EmbeddingsResponseWriter.WriteAsync(context, request, gate.Malformed, gate.Fault);
        }
        finally
        {
            stats.EndModelRequest();
        }
    }
}
