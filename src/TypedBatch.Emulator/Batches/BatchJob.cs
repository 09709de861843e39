using System.Buffers;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TypedBatch.Emulator.Faults;

namespace TypedBatch.Emulator.Batches;

/// <summary>One entry of a failed batch's <c>errors.data</c>.</summary>
internal sealed record BatchError(string Code, string Message, string? Param, int? Line);

/// <summary>
/// A batch of <c>/v1/batches</c> and its lifecycle on the emulator's clock
/// (<see cref="EmulatorOptions.TimeProvider"/>). Nothing runs in the background: every read of the
/// batch first catches it up to the clock's now. <c>validating</c> lasts one
/// <see cref="EmulatorOptions.BatchStep"/>; <c>in_progress</c> answers
/// <see cref="EmulatorOptions.BatchLinesPerStep"/> lines per step; <c>finalizing</c> and
/// <c>cancelling</c> last one step each. A batch drawn by <see cref="EmulatorOptions.BatchExpiryRate"/>
/// expires once half its lines are done; any batch expires when the clock passes its <c>expires_at</c>.
/// Validation error codes are those OpenAI documents (<c>invalid_json_line</c>, <c>duplicate_custom_id</c>,
/// <c>url_mismatch</c>, <c>model_mismatch</c>, <c>empty_file</c>, <c>too_many_tasks</c>) plus the emulator's
/// <c>missing_required_parameter</c>, <c>invalid_method</c> and <c>file_too_large</c>.
/// Input lines are re-read from the input file by offset; answered lines are spooled to disk
/// (<see cref="LineSpool"/>) until the output and error files are written (shuffled, seeded) at the end.
/// </summary>
internal sealed class BatchJob : IDisposable
{
    /// <summary>The chat endpoint a batch can target.</summary>
    public const string ChatEndpoint = "/v1/chat/completions";

    /// <summary>The embeddings endpoint a batch can target.</summary>
    public const string EmbeddingsEndpoint = "/v1/embeddings";

    private const int MaxReportedErrors = 1000;
    private readonly Lock _lock = new();
    private readonly EmulatorState _state;
    private readonly SafeFileHandle _input;
    private readonly long _inputBytes;
    private readonly List<(long Offset, int Length, string CustomId)> _lines = [];
    private readonly LineSpool _outputLines;
    private readonly LineSpool _errorLines;
    private DateTimeOffset _phaseStart;
    private int _next;
    private int _expireAfter = -1;
    private string _status = "validating";
    private string? _model;
    private List<BatchError>? _errors;
    private string? _outputFileId;
    private string? _errorFileId;
    private long? _inProgressAt;
    private long? _finalizingAt;
    private long? _completedAt;
    private long? _failedAt;
    private long? _expiredAt;
    private long? _cancellingAt;
    private long? _cancelledAt;
    private int _total;
    private int _completed;
    private int _failed;
    private long _inputTokens;
    private long _outputTokens;

    public BatchJob(EmulatorState state, long sequence, string id, StoredFile input, string endpoint, IReadOnlyList<KeyValuePair<string, string>>? metadata)
    {
        _state = state;
        Sequence = sequence;
        Id = id;
        InputFileId = input.Id;
        Endpoint = endpoint;
        Metadata = metadata;
        _input = File.OpenHandle(input.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        _inputBytes = input.Bytes;
        _outputLines = new LineSpool(state.Files);
        _errorLines = new LineSpool(state.Files);
        _phaseStart = state.Options.TimeProvider.GetUtcNow();
        CreatedAt = _phaseStart.ToUnixTimeSeconds();
        ExpiresAt = CreatedAt + (24 * 3600);
    }

    public long Sequence { get; }

    public string Id { get; }

    public string InputFileId { get; }

    public string Endpoint { get; }

    public IReadOnlyList<KeyValuePair<string, string>>? Metadata { get; }

    private long CreatedAt { get; }

    private long ExpiresAt { get; }

    /// <summary>Reads a consistent view of the batch after catching it up to now.</summary>
    public void Read(Action<BatchView> read)
    {
        lock (_lock)
        {
            CatchUp();
            read(View());
        }
    }

    /// <summary>Starts cancelling; false (and the status) when the batch can no longer be cancelled.</summary>
    public bool TryCancel(out string status)
    {
        lock (_lock)
        {
            CatchUp();
            status = _status;
            if (_status is "validating" or "in_progress" or "finalizing")
            {
                _phaseStart = _state.Options.TimeProvider.GetUtcNow();
                _cancellingAt = _phaseStart.ToUnixTimeSeconds();
                _status = "cancelling";
                return true;
            }

            return _status == "cancelling";
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _input.Dispose();
            _outputLines.Dispose();
            _errorLines.Dispose();
        }
    }

    private BatchView View() => new(
        Id, Endpoint, _model, _errors, InputFileId, _status, _outputFileId, _errorFileId, CreatedAt, _inProgressAt, ExpiresAt, _finalizingAt,
        _completedAt, _failedAt, _expiredAt, _cancellingAt, _cancelledAt, _total, _completed, _failed, _inputTokens, _outputTokens, Metadata);

    // Moves the batch through every step whose time has come.
    private void CatchUp()
    {
        EmulatorOptions options = _state.Options;
        DateTimeOffset now = options.TimeProvider.GetUtcNow();
        TimeSpan step = options.BatchStep;
        while (_phaseStart + step <= now)
        {
            DateTimeOffset at = _phaseStart + step;
            long atSeconds = at.ToUnixTimeSeconds();
            switch (_status)
            {
                case "validating":
                    Validate(atSeconds);
                    break;
                case "in_progress":
                    if (atSeconds >= ExpiresAt)
                    {
                        Expire(atSeconds);
                        break;
                    }

                    ProcessLines(options.BatchLinesPerStep, atSeconds);
                    if (_expireAfter >= 0 && _next >= _expireAfter)
                    {
                        Expire(atSeconds);
                    }
                    else if (_next == _lines.Count)
                    {
                        _status = "finalizing";
                        _finalizingAt = atSeconds;
                    }

                    break;
                case "finalizing":
                    WriteFiles(atSeconds);
                    _status = "completed";
                    _completedAt = atSeconds;
                    break;
                case "cancelling":
                    WriteFiles(atSeconds);
                    _status = "cancelled";
                    _cancelledAt = atSeconds;
                    break;
                default:
                    return; // a final status
            }

            _phaseStart = at;
        }
    }

    private void Expire(long atSeconds)
    {
        for (int i = _next; i < _lines.Count; i++)
        {
            _errorLines.Add(BatchLineAnswers.Expired(_state, _lines[i].CustomId));
        }

        WriteFiles(atSeconds);
        _status = "expired";
        _expiredAt = atSeconds;
    }

    private void ProcessLines(int count, long atSeconds)
    {
        int end = Math.Min(_lines.Count, _next + count);
        if (_expireAfter >= 0)
        {
            end = Math.Min(end, _expireAfter);
        }

        byte[] buffer = [];
        try
        {
            for (; _next < end; _next++)
            {
                (long offset, int length, string customId) = _lines[_next];
                if (buffer.Length < length)
                {
                    if (buffer.Length > 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(length);
                }

                int read = RandomAccess.Read(_input, buffer.AsSpan(0, length), offset);
                using var line = JsonDocument.Parse(buffer.AsMemory(0, read));
                JsonElement body = line.RootElement.GetProperty("body");
                _model ??= body.TryGetProperty("model", out JsonElement model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null;
                BatchLineResult result = BatchLineAnswers.Answer(_state, Endpoint, customId, body, atSeconds);
                _state.Stats.BatchLineProcessed();
                if (result.Succeeded)
                {
                    _outputLines.Add(result.Json);
                    _completed++;
                    _inputTokens += result.InputTokens;
                    _outputTokens += result.OutputTokens;
                }
                else
                {
                    _errorLines.Add(result.Json);
                    _failed++;
                }
            }
        }
        finally
        {
            if (buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    // Reads the input file line by line (bytes, never the whole file) and checks every line.
    private void Validate(long atSeconds)
    {
        EmulatorOptions options = _state.Options;
        var errors = new List<BatchError>();
        if (_inputBytes > options.BatchMaxFileBytes)
        {
            errors.Add(new BatchError("file_too_large", $"The input file is {_inputBytes} bytes; a batch input file may have at most {options.BatchMaxFileBytes}.", null, null));
        }
        else
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            string? model = null;
            long embeddingInputs = 0;
            int lineNumber = 0;
            foreach ((long offset, byte[] bytes) in ReadLines())
            {
                lineNumber++;
                if (bytes.AsSpan().Trim(" \t\r"u8).IsEmpty)
                {
                    continue;
                }

                if (CheckLine(bytes, lineNumber, seen, ref model, ref embeddingInputs, out string customId) is { } error)
                {
                    if (errors.Count < MaxReportedErrors)
                    {
                        errors.Add(error);
                    }

                    continue;
                }

                _lines.Add((offset, bytes.Length, customId));
            }

            if (_lines.Count + errors.Count == 0)
            {
                errors.Add(new BatchError("empty_file", "The input file has no requests.", null, null));
            }
            else if (_lines.Count + errors.Count > options.BatchMaxRequests)
            {
                errors.Insert(0, new BatchError(
                    "too_many_tasks", $"The input file has {_lines.Count + errors.Count} requests; a batch may have at most {options.BatchMaxRequests}.", null, null));
            }
            else if (Endpoint == EmbeddingsEndpoint && embeddingInputs > options.BatchMaxRequests)
            {
                errors.Add(new BatchError(
                    "too_many_tasks", $"The batch has {embeddingInputs} embedding inputs; at most {options.BatchMaxRequests} are allowed.", null, null));
            }
        }

        if (errors.Count > 0)
        {
            _lines.Clear();
            _errors = errors;
            _status = "failed";
            _failedAt = atSeconds;
            return;
        }

        _total = _lines.Count;
        _status = "in_progress";
        _inProgressAt = atSeconds;
        if (options.BatchExpiryRate > 0 && SeededFaults.Unit(options.FaultSeed, "batch-expiry:" + Id, 1) < options.BatchExpiryRate)
        {
            _expireAfter = _lines.Count / 2;
        }
    }

    // On success adds the line's custom_id to `seen` and returns it in `customId`.
    private BatchError? CheckLine(byte[] bytes, int lineNumber, HashSet<string> seen, ref string? model, ref long embeddingInputs, out string customId)
    {
        customId = "";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException)
        {
            return new BatchError("invalid_json_line", "This line is not parseable as valid JSON.", null, lineNumber);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new BatchError("invalid_json_line", "This line is not a JSON object.", null, lineNumber);
            }

            if (!root.TryGetProperty("custom_id", out JsonElement customIdElement) || customIdElement.ValueKind != JsonValueKind.String || customIdElement.GetString() is not { Length: > 0 } id)
            {
                return new BatchError("missing_required_parameter", "Missing required parameter: 'custom_id'.", "custom_id", lineNumber);
            }

            if (!root.TryGetProperty("method", out JsonElement method) || method.ValueKind != JsonValueKind.String || method.GetString() != "POST")
            {
                return new BatchError("invalid_method", "The method of every request must be 'POST'.", "method", lineNumber);
            }

            if (!root.TryGetProperty("url", out JsonElement url) || url.ValueKind != JsonValueKind.String || url.GetString() != Endpoint)
            {
                return new BatchError("url_mismatch", $"The URL provided for this request does not match the batch endpoint '{Endpoint}'.", "url", lineNumber);
            }

            if (!root.TryGetProperty("body", out JsonElement body) || body.ValueKind != JsonValueKind.Object)
            {
                return new BatchError("missing_required_parameter", "Missing required parameter: 'body'.", "body", lineNumber);
            }

            // Every request of a batch must use the same model.
            string? lineModel = body.TryGetProperty("model", out JsonElement modelElement) && modelElement.ValueKind == JsonValueKind.String
                ? modelElement.GetString()
                : null;
            model ??= lineModel;
            if (lineModel is not null && lineModel != model)
            {
                return new BatchError(
                    "model_mismatch", $"The model '{lineModel}' of this request differs from '{model}', the model of the batch's other requests.", "body.model", lineNumber);
            }

            if (Endpoint == EmbeddingsEndpoint && body.TryGetProperty("input", out JsonElement input))
            {
                embeddingInputs += input.ValueKind == JsonValueKind.Array ? input.GetArrayLength() : 1;
            }

            customId = id;
            if (!seen.Add(id))
            {
                return new BatchError(
                    "duplicate_custom_id",
                    "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.",
                    "custom_id",
                    lineNumber);
            }

            return null;
        }
    }

    // The lines of the input file with their byte offsets; a line's bytes exclude its '\n'.
    private IEnumerable<(long Offset, byte[] Bytes)> ReadLines()
    {
        byte[] chunk = new byte[64 * 1024];
        var current = new ArrayBufferWriter<byte>();
        long position = 0;
        long lineStart = 0;
        int read;
        while ((read = RandomAccess.Read(_input, chunk, position)) > 0)
        {
            int start = 0;
            for (int i = 0; i < read; i++)
            {
                if (chunk[i] == (byte)'\n')
                {
                    current.Write(chunk.AsSpan(start, i - start));
                    yield return (lineStart, current.WrittenSpan.ToArray());
                    current.ResetWrittenCount();
                    start = i + 1;
                    lineStart = position + i + 1;
                }
            }

            current.Write(chunk.AsSpan(start, read - start));
            position += read;
        }

        if (current.WrittenCount > 0)
        {
            yield return (lineStart, current.WrittenSpan.ToArray());
        }
    }

    private void WriteFiles(long atSeconds)
    {
        var random = new Random(unchecked((_state.Options.FaultSeed * 397) ^ (int)Sequence));
        _outputFileId = _outputLines.Count > 0 ? Store(_outputLines, "output", random, atSeconds) : null;
        _errorFileId = _errorLines.Count > 0 ? Store(_errorLines, "error", random, atSeconds) : null;
        _outputLines.Dispose();
        _errorLines.Dispose();
    }

    private string Store(LineSpool lines, string kind, Random random, long atSeconds)
    {
        FileStore files = _state.Files;
        string path = files.NewPath();
        long bytes;
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            bytes = lines.WriteShuffled(stream, random);
        }

        files.TryReserve(bytes, long.MaxValue);
        var file = new StoredFile(files.NextId(), "batch_output", $"{Id}_{kind}.jsonl", bytes, atSeconds, atSeconds + FilesEndpoint.BatchFileLifetimeSeconds, path);
        files.Add(file);
        return file.Id;
    }
}

/// <summary>A consistent view of a batch, for writing the batch object.</summary>
internal sealed record BatchView(
    string Id, string Endpoint, string? Model, IReadOnlyList<BatchError>? Errors, string InputFileId, string Status, string? OutputFileId,
    string? ErrorFileId, long CreatedAt, long? InProgressAt, long ExpiresAt, long? FinalizingAt, long? CompletedAt, long? FailedAt,
    long? ExpiredAt, long? CancellingAt, long? CancelledAt, int Total, int Completed, int Failed, long InputTokens, long OutputTokens,
    IReadOnlyList<KeyValuePair<string, string>>? Metadata);
