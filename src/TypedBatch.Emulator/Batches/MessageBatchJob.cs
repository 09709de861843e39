using System.Globalization;
using TypedBatch.Emulator.Faults;

namespace TypedBatch.Emulator.Batches;

/// <summary>A consistent view of a Message Batch, for writing the <c>message_batch</c> object.</summary>
internal sealed record MessageBatchView(
    string Id, string ProcessingStatus, int Processing, int Succeeded, int Errored, int Canceled, int Expired, DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt, DateTimeOffset? EndedAt, DateTimeOffset? CancelInitiatedAt);

/// <summary>
/// A Message Batch and its lifecycle on the emulator's batch clock (<see cref="EmulatorOptions.TimeProvider"/>,
/// <see cref="EmulatorOptions.BatchStep"/>), caught up on every read as <see cref="BatchJob"/> is: it is
/// <c>in_progress</c> from creation (Anthropic's batches "begin processing immediately") and answers
/// <see cref="EmulatorOptions.BatchLinesPerStep"/> requests per step; when all are done it has
/// <c>ended</c>. A cancel makes it <c>canceling</c> for one step, then <c>ended</c> with the requests not
/// yet processed <c>canceled</c>. A batch drawn by <see cref="EmulatorOptions.BatchExpiryRate"/> ends
/// half done, any batch when the clock passes <c>expires_at</c> (24 hours), the rest <c>expired</c>.
/// The results are written once, at the end, in an order shuffled with <see cref="EmulatorOptions.FaultSeed"/>.
/// </summary>
internal sealed class MessageBatchJob
{
    private readonly Lock _lock = new();
    private readonly EmulatorState _state;
    private readonly List<(string CustomId, byte[] Parameters)> _requests;
    private readonly string _betas;
    private readonly List<byte[]> _results = [];
    private readonly int _expireAfter = -1;
    private readonly int _total;
    private DateTimeOffset _phaseStart;
    private int _next;
    private string _status = "in_progress";
    private DateTimeOffset? _endedAt;
    private DateTimeOffset? _cancelInitiatedAt;
    private int _succeeded;
    private int _errored;
    private int _canceled;
    private int _expired;
    private byte[]? _resultsFile;

    public MessageBatchJob(EmulatorState state, long sequence, string id, List<(string CustomId, byte[] Parameters)> requests, string betas)
    {
        _state = state;
        Sequence = sequence;
        Id = id;
        _requests = requests;
        _total = requests.Count;
        _betas = betas;
        _phaseStart = state.Options.TimeProvider.GetUtcNow();
        CreatedAt = _phaseStart;
        ExpiresAt = CreatedAt.AddHours(24);
        EmulatorOptions options = state.Options;
        if (options.BatchExpiryRate > 0 && SeededFaults.Unit(options.FaultSeed, "message-batch-expiry:" + id, 1) < options.BatchExpiryRate)
        {
            _expireAfter = requests.Count / 2;
        }
    }

    public long Sequence { get; }

    public string Id { get; }

    private DateTimeOffset CreatedAt { get; }

    private DateTimeOffset ExpiresAt { get; }

    /// <summary>A consistent view after catching the batch up to now.</summary>
    public MessageBatchView Read()
    {
        lock (_lock)
        {
            CatchUp();
            int done = _succeeded + _errored + _canceled + _expired;
            return new MessageBatchView(
                Id, _status, _total - done, _succeeded, _errored, _canceled, _expired, CreatedAt, ExpiresAt, _endedAt, _cancelInitiatedAt);
        }
    }

    /// <summary>The results as JSON Lines once the batch has ended; <see langword="null"/> before.</summary>
    public byte[]? Results()
    {
        lock (_lock)
        {
            CatchUp();
            return _resultsFile;
        }
    }

    /// <summary>Starts canceling; false when the batch has already ended.</summary>
    public bool TryCancel()
    {
        lock (_lock)
        {
            CatchUp();
            if (_status == "in_progress")
            {
                _phaseStart = _state.Options.TimeProvider.GetUtcNow();
                _cancelInitiatedAt = _phaseStart;
                _status = "canceling";
            }

            return _status == "canceling";
        }
    }

    // Moves the batch through every step whose time has come.
    private void CatchUp()
    {
        EmulatorOptions options = _state.Options;
        DateTimeOffset now = options.TimeProvider.GetUtcNow();
        TimeSpan step = options.BatchStep;
        while (_status != "ended" && _phaseStart + step <= now)
        {
            DateTimeOffset at = _phaseStart + step;
            if (_status == "canceling")
            {
                End(at, "canceled");
            }
            else if (at >= ExpiresAt)
            {
                End(at, "expired");
            }
            else
            {
                Process(options.BatchLinesPerStep);
                if (_expireAfter >= 0 && _next >= _expireAfter)
                {
                    End(at, "expired");
                }
                else if (_next == _requests.Count)
                {
                    End(at, null);
                }
            }

            _phaseStart = at;
        }
    }

    private void Process(int count)
    {
        int end = Math.Min(_requests.Count, _next + count);
        if (_expireAfter >= 0)
        {
            end = Math.Min(end, _expireAfter);
        }

        for (; _next < end; _next++)
        {
            (string customId, byte[] parameters) = _requests[_next];
            (byte[] line, bool succeeded) = MessageBatchLineAnswers.Answer(_state, customId, parameters, _betas);
            _state.Stats.AnthropicBatchRequestProcessed();
            _results.Add(line);
            if (succeeded)
            {
                _succeeded++;
            }
            else
            {
                _errored++;
            }
        }
    }

    // Ends the batch; the requests not processed get `rest` (canceled or expired) results.
    private void End(DateTimeOffset at, string? rest)
    {
        for (; rest is not null && _next < _requests.Count; _next++)
        {
            _results.Add(MessageBatchLineAnswers.NotProcessed(_requests[_next].CustomId, rest));
            if (rest == "canceled")
            {
                _canceled++;
            }
            else
            {
                _expired++;
            }
        }

        byte[][] order = [.. _results];
        new Random(unchecked((_state.Options.FaultSeed * 397) ^ (int)Sequence)).Shuffle(order);
        using var file = new MemoryStream();
        foreach (byte[] line in order)
        {
            file.Write(line);
            file.WriteByte((byte)'\n');
        }

        _resultsFile = file.ToArray();
        _results.Clear();
        _requests.Clear();
        _status = "ended";
        _endedAt = at;
    }

    /// <summary>An instant as the Message Batches API writes it: RFC 3339, UTC, microseconds.</summary>
    public static string Timestamp(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
