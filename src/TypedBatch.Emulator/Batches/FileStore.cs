using System.Collections.Concurrent;
using System.Globalization;

namespace TypedBatch.Emulator.Batches;

/// <summary>A file held by the emulator: the fields of OpenAI's file object and where its bytes are.</summary>
internal sealed record StoredFile(string Id, string Purpose, string FileName, long Bytes, long CreatedAt, long? ExpiresAt, string Path);

/// <summary>
/// The files of <c>/v1/files</c>: bytes in a temporary directory of this server (deleted when it
/// stops), metadata in memory, the total bounded by <see cref="EmulatorOptions.FileStorageLimitBytes"/>.
/// </summary>
internal sealed class FileStore : IDisposable
{
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly string _directory = Directory.CreateTempSubdirectory("typedbatch-emulator-files-").FullName;
    private long _ids;
    private long _totalBytes;

    /// <summary>A new path in the store's directory for a file being written.</summary>
    public string NewPath() => System.IO.Path.Combine(_directory, Guid.NewGuid().ToString("N"));

    /// <summary>A new file id, unique within this server, shaped like OpenAI's (<c>file-</c> and 22 characters).</summary>
    public string NextId() => "file-emu" + Interlocked.Increment(ref _ids).ToString("D14", CultureInfo.InvariantCulture);

    /// <summary>Bytes held now.</summary>
    public long TotalBytes => Interlocked.Read(ref _totalBytes);

    /// <summary>Reserves room for <paramref name="bytes"/> more; false (nothing reserved) when that would pass <paramref name="limit"/>.</summary>
    public bool TryReserve(long bytes, long limit)
    {
        long total = Interlocked.Read(ref _totalBytes);
        while (true)
        {
            if (total + bytes > limit)
            {
                return false;
            }

            long seen = Interlocked.CompareExchange(ref _totalBytes, total + bytes, total);
            if (seen == total)
            {
                return true;
            }

            total = seen;
        }
    }

    /// <summary>Gives back room reserved by <see cref="TryReserve"/>.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _totalBytes, -bytes);

    /// <summary>Adds a file whose bytes are already written (and reserved).</summary>
    public void Add(StoredFile file) => _files[file.Id] = file;

    /// <summary>Every file, oldest first (ids grow with each upload).</summary>
    public IEnumerable<StoredFile> All() => _files.Values.OrderBy(static f => f.Id, StringComparer.Ordinal);

    /// <summary>The file with this id, if any.</summary>
    public StoredFile? Find(string id) => _files.TryGetValue(id, out StoredFile? file) ? file : null;

    /// <summary>Removes a file and its bytes; false when there is no such file.</summary>
    public bool Delete(string id)
    {
        if (!_files.TryRemove(id, out StoredFile? file))
        {
            return false;
        }

        TryDelete(file.Path);
        Release(file.Bytes);
        return true;
    }

    /// <summary>Deletes a file written to the store's directory, when it exists.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Still open for a download in progress (Windows); the directory goes when the server stops.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }

    /// <summary>Deletes the directory and every file in it.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A download still holds a file open; the temporary directory is left to the OS.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
