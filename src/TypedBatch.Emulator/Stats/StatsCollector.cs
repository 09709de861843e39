using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using TypedBatch.Emulator.Faults;

namespace TypedBatch.Emulator;

/// <summary>Which counters a chat or embeddings request updates.</summary>
internal enum RequestKind
{
    Chat,
    Embeddings,

    /// <summary>Anthropic's <c>POST /v1/messages</c>.</summary>
    AnthropicMessages,
}

/// <summary>
/// The live, thread-safe counters behind <see cref="EmulatorStats"/>. Every request increments
/// "received" before "served" or "failed", and a snapshot reads them in the opposite order, so a
/// snapshot taken under load never shows more answered than received.
/// </summary>
internal sealed class StatsCollector
{
    private readonly ConcurrentDictionary<string, FingerprintCounter> _byFingerprint = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _byConversation = new(StringComparer.Ordinal);
    private long _arrivals;
    private long _chatReceived;
    private long _chatServed;
    private long _chatFailed;
    private long _embeddingReceived;
    private long _embeddingServed;
    private long _embeddingInputsServed;
    private long _tokenExchanges;
    private long _tokenExchangeRequests;
    private long _structured;
    private long _inFlight;
    private long _maxConcurrent;
    private long _accepted;
    private long _rejectedInvalid;
    private long _rejectedRateLimited;
    private long _rejectedQuota;
    private long _secondaryRequests;
    private long _secondaryCredentialed;
    private long _filesUploaded;
    private long _batchesCreated;
    private long _batchLinesProcessed;
    private long _anthropicReceived;
    private long _anthropicServed;
    private long _anthropicFailed;
    private long _anthropicBatchesCreated;
    private long _anthropicBatchRequestsProcessed;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _batchAttempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _batchAnswers = new(StringComparer.Ordinal);
    private readonly long[] _faults = new long[Enum.GetValues<InjectedFault>().Length];

    /// <summary>Counts an arriving chat or embeddings request; returns its 1-based arrival number.</summary>
    public long BeginModelRequest(RequestKind kind)
    {
        long arrival = Interlocked.Increment(ref _arrivals);
        switch (kind)
        {
            case RequestKind.Chat:
                Interlocked.Increment(ref _chatReceived);
                break;
            case RequestKind.Embeddings:
                Interlocked.Increment(ref _embeddingReceived);
                break;
            default:
                Interlocked.Increment(ref _anthropicReceived);
                break;
        }

        long inFlight = Interlocked.Increment(ref _inFlight);
        long max = Interlocked.Read(ref _maxConcurrent);
        while (inFlight > max)
        {
            long seen = Interlocked.CompareExchange(ref _maxConcurrent, inFlight, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }

        return arrival;
    }

    /// <summary>
    /// Starts a new high-water mark of requests in flight from those in flight now; returns the
    /// mark it replaces (see <see cref="EmulatorServer.ResetPeakConcurrency"/>).
    /// </summary>
    public long ResetPeakConcurrency() => Interlocked.Exchange(ref _maxConcurrent, Interlocked.Read(ref _inFlight));

    /// <summary>Marks the end of a request counted by <see cref="BeginModelRequest"/>.</summary>
    public void EndModelRequest() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Counts a valid request's fingerprint; returns how often it has now been received.</summary>
    public long FingerprintReceived(string fingerprint) =>
        _byFingerprint.GetOrAdd(fingerprint, static _ => new FingerprintCounter()).IncrementReceived();

    /// <summary>Counts a valid chat request with a json_schema or json_object <c>response_format</c>.</summary>
    public void StructuredRequest() => Interlocked.Increment(ref _structured);

    /// <summary>
    /// Counts an answer given in a conversation (see <see cref="Structured.ConversationKey"/>) that
    /// carries a counted bad-answer marker; returns how many it has now had.
    /// </summary>
    public long ConversationAnswered(string conversationKey) =>
        Interlocked.Increment(ref _byConversation.GetOrAdd(conversationKey, static _ => new StrongBox<long>()).Value);

    /// <summary>Counts a request answered 200.</summary>
    public void Served(RequestKind kind, string fingerprint, int inputs)
    {
        _byFingerprint.GetOrAdd(fingerprint, static _ => new FingerprintCounter()).IncrementServed();
        switch (kind)
        {
            case RequestKind.Chat:
                Interlocked.Increment(ref _chatServed);
                break;
            case RequestKind.Embeddings:
                Interlocked.Add(ref _embeddingInputsServed, inputs);
                Interlocked.Increment(ref _embeddingServed);
                break;
            default:
                Interlocked.Increment(ref _anthropicServed);
                break;
        }
    }

    /// <summary>Counts a request the model runs for (see <see cref="EmulatorStats.Accepted"/>), before it is answered.</summary>
    public void Accepted(string fingerprint)
    {
        _byFingerprint.GetOrAdd(fingerprint, static _ => new FingerprintCounter()).IncrementAccepted();
        Interlocked.Increment(ref _accepted);
    }

    /// <summary>Counts a request answered 400 by validation.</summary>
    public void RejectedInvalid(RequestKind kind)
    {
        Interlocked.Increment(ref _rejectedInvalid);
        Failed(kind);
    }

    /// <summary>Counts a request answered 429 <c>rate_limit_exceeded</c> by the rate limiter.</summary>
    public void RejectedRateLimited(RequestKind kind)
    {
        Interlocked.Increment(ref _rejectedRateLimited);
        Failed(kind);
    }

    /// <summary>Counts a request answered 429 <c>insufficient_quota</c>.</summary>
    public void RejectedQuota(RequestKind kind)
    {
        Interlocked.Increment(ref _rejectedQuota);
        Failed(kind);
    }

    /// <summary>Counts an injected fault; the error-status kinds also count as failed.</summary>
    public void Injected(RequestKind kind, InjectedFault fault)
    {
        Interlocked.Increment(ref _faults[(int)fault]);
        if (fault is InjectedFault.Scripted or InjectedFault.Error500 or InjectedFault.Error503 or InjectedFault.DripError or InjectedFault.EchoKey)
        {
            Failed(kind);
        }
    }

    /// <summary>Counts a request answered with an error status.</summary>
    private void Failed(RequestKind kind)
    {
        if (kind == RequestKind.Chat)
        {
            Interlocked.Increment(ref _chatFailed);
        }
        else if (kind == RequestKind.AnthropicMessages)
        {
            Interlocked.Increment(ref _anthropicFailed);
        }
    }

    /// <summary>Counts a request that arrived on the secondary origin, and whether it carried a credential header.</summary>
    public void SecondaryOriginRequest(bool carriedCredential)
    {
        Interlocked.Increment(ref _secondaryRequests);
        if (carriedCredential)
        {
            Interlocked.Increment(ref _secondaryCredentialed);
        }
    }

    /// <summary>Counts a file uploaded to <c>/v1/files</c>.</summary>
    public void FileUploaded() => Interlocked.Increment(ref _filesUploaded);

    /// <summary>Counts a batch created by <c>/v1/batches</c>.</summary>
    public void BatchCreated() => Interlocked.Increment(ref _batchesCreated);

    /// <summary>Counts a Message Batch created by <c>/v1/messages/batches</c>.</summary>
    public void AnthropicBatchCreated() => Interlocked.Increment(ref _anthropicBatchesCreated);

    /// <summary>Counts a Message Batch request processed, succeeded or errored.</summary>
    public void AnthropicBatchRequestProcessed() => Interlocked.Increment(ref _anthropicBatchRequestsProcessed);

    /// <summary>Counts a batch line processed, answered or failed.</summary>
    public void BatchLineProcessed() => Interlocked.Increment(ref _batchLinesProcessed);

    /// <summary>Counts a batch line with this fingerprint being processed; returns how often one has been now.</summary>
    public long BatchLineAttempt(string fingerprint) =>
        Interlocked.Increment(ref _batchAttempts.GetOrAdd(fingerprint, static _ => new StrongBox<long>()).Value);

    /// <summary>Counts a batch line with this fingerprint answered 200 (written to an output file).</summary>
    public void BatchAnswered(string fingerprint) =>
        Interlocked.Increment(ref _batchAnswers.GetOrAdd(fingerprint, static _ => new StrongBox<long>()).Value);

    /// <summary>Counts a successful Copilot token exchange.</summary>
    public void TokenExchanged() => Interlocked.Increment(ref _tokenExchanges);

    /// <summary>Counts a request to the Copilot token exchange, accepted or not.</summary>
    public void TokenExchangeRequested() => Interlocked.Increment(ref _tokenExchangeRequests);

    /// <summary>Reads every counter; answered counts are read before received counts.</summary>
    public EmulatorStats Snapshot()
    {
        long chatServed = Interlocked.Read(ref _chatServed);
        long anthropicServed = Interlocked.Read(ref _anthropicServed);
        long anthropicFailed = Interlocked.Read(ref _anthropicFailed);
        long chatFailed = Interlocked.Read(ref _chatFailed);
        long embeddingInputsServed = Interlocked.Read(ref _embeddingInputsServed);
        long embeddingServed = Interlocked.Read(ref _embeddingServed);
        long accepted = Interlocked.Read(ref _accepted);
        long rejectedInvalid = Interlocked.Read(ref _rejectedInvalid);
        long rejectedRateLimited = Interlocked.Read(ref _rejectedRateLimited);
        long rejectedQuota = Interlocked.Read(ref _rejectedQuota);
        var faults = new InjectedFaultStats
        {
            Scripted = Interlocked.Read(ref _faults[(int)InjectedFault.Scripted]),
            Error500 = Interlocked.Read(ref _faults[(int)InjectedFault.Error500]),
            Error503 = Interlocked.Read(ref _faults[(int)InjectedFault.Error503]),
            Reset = Interlocked.Read(ref _faults[(int)InjectedFault.Reset]),
            Stall = Interlocked.Read(ref _faults[(int)InjectedFault.Stall]),
            Malformed = Interlocked.Read(ref _faults[(int)InjectedFault.Malformed]),
            DripError = Interlocked.Read(ref _faults[(int)InjectedFault.DripError]),
            DripOk = Interlocked.Read(ref _faults[(int)InjectedFault.DripOk]),
            EchoKey = Interlocked.Read(ref _faults[(int)InjectedFault.EchoKey]),
            Redirect = Interlocked.Read(ref _faults[(int)InjectedFault.Redirect]),
            DuplicateIndex = Interlocked.Read(ref _faults[(int)InjectedFault.DuplicateIndex]),
            MissingIndex = Interlocked.Read(ref _faults[(int)InjectedFault.MissingIndex]),
            Oversize = Interlocked.Read(ref _faults[(int)InjectedFault.Oversize]),
            Hang = Interlocked.Read(ref _faults[(int)InjectedFault.Hang]),
        };
        var byFingerprint = new Dictionary<string, FingerprintStats>(_byFingerprint.Count, StringComparer.Ordinal);
        foreach ((string? fingerprint, FingerprintCounter? counter) in _byFingerprint)
        {
            byFingerprint[fingerprint] = counter.Snapshot();
        }

        var batchAnswers = new Dictionary<string, long>(_batchAnswers.Count, StringComparer.Ordinal);
        foreach ((string? fingerprint, StrongBox<long>? count) in _batchAnswers)
        {
            batchAnswers[fingerprint] = Interlocked.Read(ref count.Value);
        }

        long chatReceived = Interlocked.Read(ref _chatReceived);
        long embeddingReceived = Interlocked.Read(ref _embeddingReceived);
        long anthropicReceived = Interlocked.Read(ref _anthropicReceived);
        return new EmulatorStats
        {
            Received = chatReceived + embeddingReceived + anthropicReceived,
            Accepted = accepted,
            RejectedInvalid = rejectedInvalid,
            RejectedRateLimited = rejectedRateLimited,
            RejectedQuota = rejectedQuota,
            InjectedFaults = faults,
            ChatRequestsReceived = chatReceived,
            ChatRequestsServed = chatServed,
            ChatRequestsFailed = chatFailed,
            EmbeddingRequestsReceived = embeddingReceived,
            EmbeddingRequestsServed = embeddingServed,
            EmbeddingInputsServed = embeddingInputsServed,
            TokenExchanges = Interlocked.Read(ref _tokenExchanges),
            TokenExchangeRequests = Interlocked.Read(ref _tokenExchangeRequests),
            StructuredRequests = Interlocked.Read(ref _structured),
            MaxConcurrentRequests = Interlocked.Read(ref _maxConcurrent),
            SecondaryOriginRequests = Interlocked.Read(ref _secondaryRequests),
            SecondaryOriginRequestsWithCredentials = Interlocked.Read(ref _secondaryCredentialed),
            ByFingerprint = byFingerprint,
            FilesUploaded = Interlocked.Read(ref _filesUploaded),
            BatchesCreated = Interlocked.Read(ref _batchesCreated),
            BatchLinesProcessed = Interlocked.Read(ref _batchLinesProcessed),
            BatchAnswersByFingerprint = batchAnswers,
            AnthropicMessagesReceived = anthropicReceived,
            AnthropicMessagesServed = anthropicServed,
            AnthropicMessagesFailed = anthropicFailed,
            AnthropicBatchesCreated = Interlocked.Read(ref _anthropicBatchesCreated),
            AnthropicBatchRequestsProcessed = Interlocked.Read(ref _anthropicBatchRequestsProcessed),
        };
    }

    /// <summary>
    /// Zeroes the counters, the arrival numbering, the per-fingerprint counts (which also restarts
    /// <c>[[fail:S:K]]</c> markers) and the per-conversation counts (which restart bad-answer markers
    /// such as <c>[[invalid-json:1]]</c>). Requests still in flight stay counted as in flight.
    /// </summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _arrivals, 0);
        Interlocked.Exchange(ref _chatReceived, 0);
        Interlocked.Exchange(ref _chatServed, 0);
        Interlocked.Exchange(ref _chatFailed, 0);
        Interlocked.Exchange(ref _embeddingReceived, 0);
        Interlocked.Exchange(ref _embeddingServed, 0);
        Interlocked.Exchange(ref _embeddingInputsServed, 0);
        Interlocked.Exchange(ref _anthropicReceived, 0);
        Interlocked.Exchange(ref _anthropicServed, 0);
        Interlocked.Exchange(ref _anthropicFailed, 0);
        Interlocked.Exchange(ref _anthropicBatchesCreated, 0);
        Interlocked.Exchange(ref _anthropicBatchRequestsProcessed, 0);
        Interlocked.Exchange(ref _tokenExchanges, 0);
        Interlocked.Exchange(ref _tokenExchangeRequests, 0);
        Interlocked.Exchange(ref _structured, 0);
        Interlocked.Exchange(ref _accepted, 0);
        Interlocked.Exchange(ref _rejectedInvalid, 0);
        Interlocked.Exchange(ref _rejectedRateLimited, 0);
        Interlocked.Exchange(ref _rejectedQuota, 0);
        Interlocked.Exchange(ref _secondaryRequests, 0);
        Interlocked.Exchange(ref _secondaryCredentialed, 0);
        for (int i = 0; i < _faults.Length; i++)
        {
            Interlocked.Exchange(ref _faults[i], 0);
        }

        Interlocked.Exchange(ref _maxConcurrent, Interlocked.Read(ref _inFlight));
        _byFingerprint.Clear();
        _byConversation.Clear();
        Interlocked.Exchange(ref _filesUploaded, 0);
        Interlocked.Exchange(ref _batchesCreated, 0);
        Interlocked.Exchange(ref _batchLinesProcessed, 0);
        _batchAttempts.Clear();
        _batchAnswers.Clear();
    }

    private sealed class FingerprintCounter
    {
        private long _received;
        private long _served;
        private long _accepted;

        public long IncrementReceived() => Interlocked.Increment(ref _received);

        public void IncrementAccepted() => Interlocked.Increment(ref _accepted);

        public void IncrementServed() => Interlocked.Increment(ref _served);

        public FingerprintStats Snapshot()
        {
            long served = Interlocked.Read(ref _served);
            long accepted = Interlocked.Read(ref _accepted);
            return new FingerprintStats(Interlocked.Read(ref _received), served) { Accepted = accepted };
        }
    }
}
