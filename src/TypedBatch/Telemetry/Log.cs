using Microsoft.Extensions.Logging;

namespace TypedBatch;

/// <summary>Every log line TypedBatch writes, as source-generated <see cref="LoggerMessage"/> methods.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Starting {Operation} batch: size {BatchSize}, workers {Workers}, model {Model}, temperature {Temperature}, max tokens {MaxTokens}, provider {Provider}")]
    public static partial void BatchStarted(ILogger logger, string operation, string batchSize, int workers, string model, string temperature, string maxTokens, string provider);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "Finished {Operation} batch in {ElapsedSeconds:F2}s: {Succeeded}/{Total} succeeded ({SuccessRate:P1}), {ItemsPerSecond:F2} {Unit}/s, peak concurrency {PeakConcurrency}; tokens prompt {PromptTokens}, completion {CompletionTokens}, total {TotalTokens}; cost {Cost}")]
    public static partial void BatchFinished(ILogger logger, string operation, double elapsedSeconds, int succeeded, int total, double successRate, double itemsPerSecond, string unit, int peakConcurrency, long promptTokens, long completionTokens, long totalTokens, string cost);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{Operation} batch saw {Throttles} 429 response(s): concurrency went down to {MinConcurrency} and ended at {Concurrency} of {MaxConcurrency}")]
    public static partial void BatchThrottled(ILogger logger, string operation, int throttles, int minConcurrency, int concurrency, int maxConcurrency);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "{Operation} batch items per provider: {Counts}")]
    public static partial void BatchProviders(ILogger logger, string operation, string counts);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "{Operation} batch journal: {FromJournal} item(s) from the journal, {Run} run; journal {Path}")]
    public static partial void BatchJournaled(ILogger logger, string operation, int fromJournal, int run, string path);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{Operation} batch deferred: remote batch {BatchId} ({Requests} request(s), round {Round}) submitted to {Provider}")]
    public static partial void DeferredSubmitted(ILogger logger, string operation, string batchId, int requests, int round, string provider);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "{Operation} batch deferred: attached to remote batch {BatchId} ({Requests} request(s), round {Round}) from the journal")]
    public static partial void DeferredAttached(ILogger logger, string operation, string batchId, int requests, int round);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "{Operation} batch deferred: remote batch {BatchId} {Status}: {Answered} answered, {Unanswered} unanswered")]
    public static partial void DeferredCollected(ILogger logger, string operation, string batchId, string status, int answered, int unanswered);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning, Message = "{Operation} batch deferred: the deadline passed; cancelling {Batches} remote batch(es), the unanswered requests go live")]
    public static partial void DeferredDeadline(ILogger logger, string operation, int batches);

    [LoggerMessage(EventId = 24, Level = LogLevel.Information, Message = "{Operation} batch deferred: {Remote} remote batch(es), {Submitted} request(s) submitted, {Resubmitted} resubmitted, {Live} sent live")]
    public static partial void DeferredSummary(ILogger logger, string operation, int remote, int submitted, int resubmitted, int live);

    [LoggerMessage(EventId = 25, Level = LogLevel.Warning, Message = "{Operation} batch deferred: {Action} for remote batch {BatchId} failed: {Error}")]
    public static partial void DeferredCallFailed(ILogger logger, string operation, string action, string batchId, string error);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "The batch's progress handler threw; the batch goes on")]
    public static partial void ProgressFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Batch item #{Index} failed after {Attempts} attempt(s): {Error}")]
    public static partial void ItemFailed(ILogger logger, int index, int attempts, BatchError error, Exception? exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "{Operation} batch cancelled after {Completed} finished items")]
    public static partial void BatchCancelled(ILogger logger, string operation, int completed);

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Exchanged the GitHub token for a Copilot token valid until {ExpiresAt:O}; refresh at {RefreshAt:O}")]
    public static partial void CopilotTokenExchanged(ILogger logger, DateTimeOffset expiresAt, DateTimeOffset refreshAt);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "TypedBatch client ready: provider {Provider}, base URL {BaseUrl}, model {Model}")]
    public static partial void ClientReady(ILogger logger, string provider, string baseUrl, string model);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "GitHub Copilot token exchange at {TokenUrl} names the chat API at {ApiBase}")]
    public static partial void CopilotApiBase(ILogger logger, string tokenUrl, string apiBase);

    [LoggerMessage(EventId = 26, Level = LogLevel.Warning, Message = "No price for model {Model} at {Provider}: its cost is reported as unknown (null). Set one with TypedBatchOptions.Prices or the TypedBatch:Prices configuration section")]
    public static partial void PriceUnknown(ILogger logger, string model, string provider);

    [LoggerMessage(EventId = 27, Level = LogLevel.Information, Message = "{Operation} batch: {Duplicates} duplicate(s) answered once")]
    public static partial void BatchDeduplicated(ILogger logger, string operation, int duplicates);

    [LoggerMessage(EventId = 28, Level = LogLevel.Information, Message = "{Operation} batch: {Hedges} slow request(s) hedged, {Wins} answered first by the hedge")]
    public static partial void BatchHedged(ILogger logger, string operation, int hedges, int wins);
}
