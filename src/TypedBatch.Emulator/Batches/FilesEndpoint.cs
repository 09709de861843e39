using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace TypedBatch.Emulator.Batches;

/// <summary>
/// <c>/v1/files</c>: multipart upload (streamed to disk, never held whole), the list, the file
/// object, its content (streamed) and deletion, in the shapes of OpenAI's Files API.
/// </summary>
internal sealed class FilesEndpoint(EmulatorState state)
{
    /// <summary>How long OpenAI keeps a <c>batch</c> file: 30 days.</summary>
    public const long BatchFileLifetimeSeconds = 30 * 24 * 3600;

    private static readonly string[] Purposes = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"];

    /// <summary><c>POST /v1/files</c> with the parts <c>purpose</c> and <c>file</c>.</summary>
    public async Task UploadAsync(HttpContext context)
    {
        // Kestrel's default cap (30 MB) is below a batch file's 200 MB; the store's own limits apply instead.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = null;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out MediaTypeHeaderValue? mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            await OpenAIErrors.WriteAsync(context, new RequestError("The request must be multipart/form-data with the parts 'purpose' and 'file'.", null, null));
            return;
        }

        EmulatorOptions options = state.Options;
        FileStore files = state.Files;
        string? purpose = null;
        string? fileName = null;
        string? path = null;
        long bytes = 0;
        bool stored = false;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body);
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out ContentDispositionHeaderValue? disposition))
                {
                    continue;
                }

                string? name = HeaderUtilities.RemoveQuotes(disposition.Name).Value;
                if (name == "purpose")
                {
                    using var text = new StreamReader(section.Body);
                    purpose = (await text.ReadToEndAsync(context.RequestAborted)).Trim();
                }
                else if (name == "file" && path is null)
                {
                    fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value is { Length: > 0 } star
                        ? star
                        : HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "file";
                    path = files.NewPath();
                    long? copied = await CopyBoundedAsync(section.Body, path, options.FileStorageLimitBytes - files.TotalBytes, context.RequestAborted);
                    if (copied is not { } length)
                    {
                        await OpenAIErrors.WriteAsync(context, 413, "The file is larger than the emulator's file storage allows (EmulatorOptions.FileStorageLimitBytes).", OpenAIErrors.InvalidRequest, "file", "file_too_large");
                        return;
                    }

                    bytes = length;
                }
            }

            if (purpose is null)
            {
                await OpenAIErrors.WriteAsync(context, RequestError.Missing("purpose"));
                return;
            }

            if (Array.IndexOf(Purposes, purpose) < 0)
            {
                await OpenAIErrors.WriteAsync(context, RequestError.Invalid("purpose", $"'{purpose}' is not one of {string.Join(", ", Purposes)}."));
                return;
            }

            if (path is null)
            {
                await OpenAIErrors.WriteAsync(context, RequestError.Missing("file"));
                return;
            }

            if (purpose == "batch" && bytes > options.BatchMaxFileBytes)
            {
                await OpenAIErrors.WriteAsync(context, new RequestError($"File is too large for purpose 'batch': {bytes} bytes, at most {options.BatchMaxFileBytes}.", "file", "file_too_large"));
                return;
            }

            if (!files.TryReserve(bytes, options.FileStorageLimitBytes))
            {
                await OpenAIErrors.WriteAsync(context, 413, "The emulator's file storage is full (EmulatorOptions.FileStorageLimitBytes); delete files first.", OpenAIErrors.InvalidRequest, "file", "file_too_large");
                return;
            }

            long now = state.Options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
            var file = new StoredFile(files.NextId(), purpose, fileName!, bytes, now, purpose == "batch" ? now + BatchFileLifetimeSeconds : null, path);
            files.Add(file);
            stored = true;
            state.Stats.FileUploaded();
            await WriteJsonAsync(context, writer => WriteFile(writer, file));
        }
        finally
        {
            if (!stored && path is not null)
            {
                FileStore.TryDelete(path);
            }
        }
    }

    /// <summary>
    /// <c>GET /v1/files?purpose=&amp;order=&amp;after=&amp;limit=</c>: newest first unless <c>order=asc</c>,
    /// <c>limit</c> 1 to 10,000 (10,000 by default), <c>after</c> a file id.
    /// </summary>
    public async Task ListAsync(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        int limit = 10_000;
        if (query.TryGetValue("limit", out Microsoft.Extensions.Primitives.StringValues limitText)
            && (!int.TryParse(limitText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 10_000))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("limit", "an integer between 1 and 10000."));
            return;
        }

        string order = query["order"].ToString() is { Length: > 0 } given ? given : "desc";
        if (order is not ("asc" or "desc"))
        {
            await OpenAIErrors.WriteAsync(context, RequestError.Invalid("order", "'asc' or 'desc'."));
            return;
        }

        IEnumerable<StoredFile> files = state.Files.All();
        if (order == "desc")
        {
            files = files.Reverse();
        }

        string? purpose = query["purpose"];
        if (!string.IsNullOrEmpty(purpose))
        {
            files = files.Where(f => f.Purpose == purpose);
        }

        string? after = query["after"];
        if (!string.IsNullOrEmpty(after))
        {
            files = order == "desc"
                ? files.Where(f => string.CompareOrdinal(f.Id, after) < 0)
                : files.Where(f => string.CompareOrdinal(f.Id, after) > 0);
        }

        (List<StoredFile> page, bool hasMore) = ListPage.Take(files, limit);
        await ListPage.WriteAsync(context, page, static f => f.Id, WriteFile, hasMore);
    }

    /// <summary><c>GET /v1/files/{id}</c>.</summary>
    public async Task GetAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is { } file)
        {
            await WriteJsonAsync(context, writer => WriteFile(writer, file));
        }
    }

    /// <summary><c>GET /v1/files/{id}/content</c>, streamed from disk.</summary>
    public async Task ContentAsync(HttpContext context)
    {
        if (await FindOrNotFoundAsync(context) is not { } file)
        {
            return;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024, useAsync: true);
        }
        catch (FileNotFoundException)
        {
            await NotFoundAsync(context, file.Id); // deleted meanwhile
            return;
        }

        await using (stream)
        {
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = stream.Length;
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    /// <summary><c>DELETE /v1/files/{id}</c>.</summary>
    public async Task DeleteAsync(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        if (!state.Files.Delete(id))
        {
            await NotFoundAsync(context, id);
            return;
        }

        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("object", "file");
            writer.WriteBoolean("deleted", true);
            writer.WriteString("id", id);
            writer.WriteEndObject();
        });
    }

    /// <summary>Writes OpenAI's file object.</summary>
    public static void WriteFile(Utf8JsonWriter writer, StoredFile file)
    {
        writer.WriteStartObject();
        writer.WriteString("object", "file");
        writer.WriteString("id", file.Id);
        writer.WriteString("purpose", file.Purpose);
        writer.WriteString("filename", file.FileName);
        writer.WriteNumber("bytes", file.Bytes);
        writer.WriteNumber("created_at", file.CreatedAt);
        if (file.ExpiresAt is { } expiresAt)
        {
            writer.WriteNumber("expires_at", expiresAt);
        }
        else
        {
            writer.WriteNull("expires_at");
        }

        writer.WriteString("status", "processed");
        writer.WriteNull("status_details");
        writer.WriteEndObject();
    }

    /// <summary>Writes a 200 JSON answer.</summary>
    public static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        HttpResponse response = context.Response;
        response.ContentType = JsonOutput.ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, JsonOutput.WriterOptions))
        {
            write(writer);
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    private async Task<StoredFile?> FindOrNotFoundAsync(HttpContext context)
    {
        string id = (string)context.Request.RouteValues["id"]!;
        if (state.Files.Find(id) is { } file)
        {
            return file;
        }

        await NotFoundAsync(context, id);
        return null;
    }

    private static Task NotFoundAsync(HttpContext context, string id) =>
        OpenAIErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"No such File object: {id}", OpenAIErrors.InvalidRequest, "id", null);

    // Copies at most `limit` bytes; null (and the partial file deleted) when the source has more.
    private static async Task<long?> CopyBoundedAsync(Stream source, string path, long limit, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[81920];
        long total = 0;
        await using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    break;
                }

                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        if (total > limit)
        {
            FileStore.TryDelete(path);
            return null;
        }

        return total;
    }
}
