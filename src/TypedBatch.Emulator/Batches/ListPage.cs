using System.Text.Json;

namespace TypedBatch.Emulator.Batches;

/// <summary>What the Files and Batches list endpoints share: a page cut at <c>limit</c>, and OpenAI's list object.</summary>
internal static class ListPage
{
    /// <summary>The first <paramref name="limit"/> items, and whether more follow.</summary>
    public static (List<T> Page, bool HasMore) Take<T>(IEnumerable<T> ordered, int limit)
    {
        List<T> page = [.. ordered.Take(limit + 1)];
        bool hasMore = page.Count > limit;
        if (hasMore)
        {
            page.RemoveAt(limit);
        }

        return (page, hasMore);
    }

    /// <summary>Writes <c>{"object":"list","data":[…],"first_id","last_id","has_more"}</c>.</summary>
    public static Task WriteAsync<T>(HttpContext context, IReadOnlyList<T> items, Func<T, string> id, Action<Utf8JsonWriter, T> writeItem, bool hasMore)
        => FilesEndpoint.WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            foreach (T item in items)
            {
                writeItem(writer, item);
            }

            writer.WriteEndArray();
            WriteStringOrNull(writer, "first_id", items.Count > 0 ? id(items[0]) : null);
            WriteStringOrNull(writer, "last_id", items.Count > 0 ? id(items[^1]) : null);
            writer.WriteBoolean("has_more", hasMore);
            writer.WriteEndObject();
        });

    public static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
