using System.Net.Http.Json;
using System.Text.Json;

namespace IndependentCheck;

/// <summary>
/// The server's Files and Batches API read directly (not through TypedBatch), to see what the SDK left there: the
/// remote batches it created, their statuses and metadata, and the files still stored.
/// </summary>
internal sealed class ServerAdmin(Uri baseUrl) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

    public void Dispose() => _http.Dispose();

    /// <summary>Every stored file (GET /files, all pages).</summary>
    public Task<List<JsonElement>> ListFilesAsync() => ListAllAsync("files");

    /// <summary>Every batch (GET /batches, all pages). Listing does not move a batch on; <see cref="GetBatchAsync"/> does, on aimock.</summary>
    public Task<List<JsonElement>> ListBatchesAsync() => ListAllAsync("batches");

    /// <summary>GET /batches/{id}. On aimock each retrieve moves the batch one step (validating, in_progress, its outcome; cancelling, cancelled).</summary>
    public async Task<JsonElement> GetBatchAsync(string id)
        => await _http.GetFromJsonAsync<JsonElement>($"batches/{Uri.EscapeDataString(id)}");

    /// <summary>The lines of a file's content (GET /files/{id}/content).</summary>
    public async Task<List<JsonElement>> ReadLinesAsync(string fileId)
    {
        string text = await _http.GetStringAsync($"files/{Uri.EscapeDataString(fileId)}/content");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonSerializer.Deserialize<JsonElement>(line)).ToList();
    }

    /// <summary>DELETE /files/{id}; true when the server says it deleted it.</summary>
    public async Task<bool> DeleteFileAsync(string fileId)
    {
        using HttpResponseMessage response = await _http.DeleteAsync($"files/{Uri.EscapeDataString(fileId)}");
        response.EnsureSuccessStatusCode();
        JsonElement body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.TryGetProperty("deleted", out JsonElement deleted) && deleted.ValueKind == JsonValueKind.True;
    }

    private async Task<List<JsonElement>> ListAllAsync(string path)
    {
        var all = new List<JsonElement>();
        string? after = null;
        while (true)
        {
            string url = after is null ? $"{path}?limit=100" : $"{path}?limit=100&after={Uri.EscapeDataString(after)}";
            JsonElement page = await _http.GetFromJsonAsync<JsonElement>(url);
            var data = page.GetProperty("data").EnumerateArray().Select(e => e.Clone()).ToList();
            all.AddRange(data);
            if (data.Count == 0 || !page.TryGetProperty("has_more", out JsonElement more) || more.ValueKind != JsonValueKind.True)
            {
                return all;
            }

            after = data[^1].GetProperty("id").GetString();
        }
    }

    /// <summary>A short description of a stored file: id, purpose, name and size.</summary>
    public static string Describe(JsonElement file)
        => $"{file.GetProperty("id").GetString()} (purpose {file.GetProperty("purpose").GetString()}, {Text(file, "filename")}, {(file.TryGetProperty("bytes", out JsonElement bytes) ? bytes.GetRawText() : "?")} bytes)";

    /// <summary>A string property, or "-" when it is missing or null (aimock omits unset fields).</summary>
    public static string Text(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";
}
