using System.Text.Json;

namespace TypedBatch.Journaling;

/// <summary>
/// A remote batch of a deferred run, as journaled the moment it exists: a rerun after a crash attaches to it instead of
/// submitting its requests again.
/// </summary>
/// <param name="Run">The run's custom-id prefix, which the batch's lines carry.</param>
/// <param name="Round">0 for the first submission of its requests, then 1, 2… for resubmissions.</param>
/// <param name="First">The first input index it may hold.</param>
/// <param name="Last">The last input index it may hold.</param>
/// <param name="Count">Requests in it.</param>
/// <param name="FileId">Its uploaded input file.</param>
/// <param name="BatchId">The remote batch.</param>
internal sealed record RemoteJob(string Run, int Round, int First, int Last, int Count, string FileId, string BatchId);

/// <summary>The journal's lines about remote batches: <c>{"remote":"batch",…}</c> when one is created, <c>{"remote":"done",…}</c> once it is read.</summary>
internal sealed partial class JournalFile
{
    private const string RemoteMarker = "remote";

    private readonly List<(RemoteJob Job, int Header)> _remoteJobs = [];

    /// <summary>Remote batches journaled under this batch's definition and not yet read back, oldest first.</summary>
    public IReadOnlyList<RemoteJob> OpenRemoteJobs
    {
        get
        {
            lock (_lock)
            {
                return _remoteJobs.Where(j => j.Header < _headerMatches.Length && _headerMatches[j.Header]).Select(j => j.Job).ToArray();
            }
        }
    }

    /// <summary>Journals a remote batch that now exists, flushed to the disk before returning: its ids must outlive a crash.</summary>
    public void AppendRemoteJob(RemoteJob job)
    {
        AppendRemote(w =>
        {
            w.WriteString("remote"u8, "batch"u8);
            w.WriteString("run"u8, job.Run);
            w.WriteNumber("round"u8, job.Round);
            w.WriteNumber("first"u8, job.First);
            w.WriteNumber("last"u8, job.Last);
            w.WriteNumber("count"u8, job.Count);
            w.WriteString("file"u8, job.FileId);
            w.WriteString("batch"u8, job.BatchId);
        });
        lock (_lock)
        {
            _remoteJobs.Add((job, _headers.Count - 1));
        }
    }

    /// <summary>Journals that a remote batch has been read back (its items are journaled): a rerun does not attach to it.</summary>
    public void AppendRemoteDone(string batchId)
    {
        AppendRemote(w =>
        {
            w.WriteString("remote"u8, "done"u8);
            w.WriteString("batch"u8, batchId);
        });
        lock (_lock)
        {
            _remoteJobs.RemoveAll(j => j.Job.BatchId == batchId);
        }
    }

    /// <summary>Writes a remote line through the queue, in order with the items, and flushes it to the disk before returning.</summary>
    private void AppendRemote(Action<Utf8JsonWriter> write)
    {
        ThrowIfUnusable();
        Utf8JsonWriter w = StartLine();
        write(w);
        WriteThrough(EndLine(w));
        try
        {
            RandomAccess.FlushToDisk(_handle);
        }
        catch (IOException flushFailed)
        {
            throw new BatchJournalException($"Flushing the journal '{Path}' to the disk failed: {flushFailed.Message}", flushFailed) { Path = Path };
        }
    }

    /// <summary>Indexes a remote line on open; false when it is torn or not one.</summary>
    private bool IndexRemote(ReadOnlySpan<byte> line)
    {
        try
        {
            return IndexRemote(JsonDocument.Parse(line.ToArray()));
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    private bool IndexRemote(JsonDocument line)
    {
        using JsonDocument document = line;
        JsonElement root = document.RootElement;
        string? batch = root.TryGetProperty("batch", out JsonElement b) ? b.GetString() : null;
        if (batch is null)
        {
            return false;
        }

        switch (root.GetProperty("remote").GetString())
        {
            case "batch":
                var job = new RemoteJob(
                    root.GetProperty("run").GetString()!,
                    root.GetProperty("round").GetInt32(),
                    root.GetProperty("first").GetInt32(),
                    root.GetProperty("last").GetInt32(),
                    root.GetProperty("count").GetInt32(),
                    root.GetProperty("file").GetString()!,
                    batch);
                _remoteJobs.Add((job, _headers.Count - 1));
                return true;
            case "done":
                _remoteJobs.RemoveAll(j => j.Job.BatchId == batch);
                return true;
            default:
                return false;
        }
    }
}
