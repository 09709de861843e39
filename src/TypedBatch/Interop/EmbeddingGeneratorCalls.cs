using System.Diagnostics;
using TypedBatch.Http;
using TypedBatch.Limits;
using TypedBatch.Providers;
using Meai = Microsoft.Extensions.AI;

namespace TypedBatch.Interop;

/// <summary>
/// Embeddings through a Microsoft.Extensions.AI <see cref="Meai.IEmbeddingGenerator{TInput, TEmbedding}"/>
/// (<see cref="TypedBatchOptions.UseEmbeddingGenerator"/>): each packed request goes through <see cref="ClientCalls"/>
/// (gates, the retry loop, timeouts), and the answer must hold one vector per input, in order.
/// </summary>
internal sealed class EmbeddingGeneratorCalls(string name, string telemetryName, Meai.IEmbeddingGenerator<string, Meai.Embedding<float>> generator, ClientCalls calls, Pricing pricing)
{
    public string Name => name;

    public Pricing Pricing => pricing;

    public async Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken)
    {
        if (BatchScope.Current?.Budget is not { } budget)
        {
            return await EmbedCoreAsync(request, cancellationToken).ConfigureAwait(false);
        }

        decimal worst = pricing.Find(null, request.Model) is { } price ? CostBudget.WorstCase(price, request.Inputs) : 0m;
        return await ProviderBudget.WithinAsync(budget, worst, name, () => EmbedCoreAsync(request, cancellationToken), static r => r.Cost, cancellationToken).ConfigureAwait(false);
    }

    private async Task<EmbeddingResponse> EmbedCoreAsync(EmbeddingRequest request, CancellationToken cancellationToken)
    {
        string model = request.Model;
        using Activity? span = ProviderSpan.Start("embeddings", telemetryName, model, null, null);
        long started = Stopwatch.GetTimestamp();
        try
        {
            int tokens = 0;
            foreach (string input in request.Inputs)
            {
                tokens += (input.Length + 3) / 4;
            }

            var call = new CallContext { Model = model, PromptEstimate = tokens };
            var options = new Meai.EmbeddingGenerationOptions { ModelId = model, Dimensions = request.Dimensions };
            Meai.GeneratedEmbeddings<Meai.Embedding<float>> answer = await calls.RunAsync(call, token => generator.GenerateAsync(request.Inputs, options, token), cancellationToken).ConfigureAwait(false);
            if (answer.Count != request.Inputs.Count)
            {
                throw new ProviderException(BatchErrorKind.InvalidOutput, name, $"The generator answered {answer.Count} embeddings for {request.Inputs.Count} inputs.") { Attempts = Math.Max(1, call.Attempts) };
            }

            var vectors = new EmbeddingVector[answer.Count];
            string? answeredModel = null;
            for (int i = 0; i < vectors.Length; i++)
            {
                answeredModel ??= answer[i].ModelId;
                vectors[i] = new EmbeddingVector(answer[i].Vector, answer[i].ModelId ?? model);
            }

            TokenUsage usage = ChatClientProvider.ToUsage(answer.Usage);
            calls.Limits.GateFor(model).LearnPromptTokens(call.PromptEstimate, usage.PromptTokens);
            var response = new EmbeddingResponse(vectors, usage, Math.Max(1, call.Attempts)) { Cost = pricing.Cost(answeredModel, model, usage, deferred: false) };
            ProviderSpan.Succeeded(span, "embeddings", telemetryName, model, answeredModel, null, usage, null, started);
            return response;
        }
        catch (Exception ex)
        {
            ProviderSpan.Failed(span, "embeddings", telemetryName, model, ex, started);
            throw;
        }
    }
}
