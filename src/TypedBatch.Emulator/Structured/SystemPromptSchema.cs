using System.Text.Json;

namespace TypedBatch.Emulator.Structured;

/// <summary>
/// Finds a JSON schema written into a system (or developer) message, as clients do for servers
/// without <c>json_schema</c> support: the first balanced <c>{...}</c> block that parses as a JSON
/// object with <c>type</c> or <c>properties</c> and that <see cref="SchemaChecker"/> accepts (non-strict).
/// </summary>
internal static class SystemPromptSchema
{
    /// <summary>The schema, cloned; <see langword="null"/> when no system message holds one.</summary>
    public static JsonElement? Find(IEnumerable<PromptMessage> messages)
    {
        foreach (PromptMessage message in messages)
        {
            if (message.Role is "system" or "developer" && message.Content is { } text && FindIn(text) is { } schema)
            {
                return schema;
            }
        }

        return null;
    }

    private static JsonElement? FindIn(string text)
    {
        int start = text.IndexOf('{', StringComparison.Ordinal);
        while (start >= 0)
        {
            int end = MatchingBrace(text, start);
            if (end < 0)
            {
                return null;
            }

            if (TryParseSchema(text.AsMemory(start, end - start + 1)) is { } schema)
            {
                return schema;
            }

            start = text.IndexOf('{', start + 1);
        }

        return null;
    }

    // The index of the '}' that closes the '{' at start, skipping braces inside JSON strings; -1 if none.
    private static int MatchingBrace(string text, int start)
    {
        int depth = 0;
        bool inString = false;
        for (int i = start; i < text.Length; i++)
        {
            char c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static JsonElement? TryParseSchema(ReadOnlyMemory<char> candidate)
    {
        try
        {
            using var document = JsonDocument.Parse(candidate);
            JsonElement root = document.RootElement;
            bool looksLikeSchema = root.TryGetProperty("type", out _) || root.TryGetProperty("properties", out _);
            return looksLikeSchema && SchemaChecker.FindProblem(root, strict: false) is null ? root.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
