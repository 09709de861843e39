using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace TypedBatch.Generators.Parsing;

/// <summary>A node of a JSON schema under construction: an object with ordered keys, an array, or a literal value.</summary>
internal abstract class SchemaNode
{
    public static SchemaValue String(string text) => new SchemaValue(JsonText.Quote(text));
}

/// <summary>A JSON object whose keys keep the order they were added in (strict mode reads properties in schema order).</summary>
internal sealed class SchemaObject : SchemaNode
{
    public List<KeyValuePair<string, SchemaNode>> Members { get; } = new List<KeyValuePair<string, SchemaNode>>();

    public SchemaObject Add(string key, SchemaNode value)
    {
        Members.Add(new KeyValuePair<string, SchemaNode>(key, value));
        return this;
    }

    /// <summary>Replaces the value of <paramref name="key"/> where it is, or adds it last: a key may not repeat.</summary>
    public SchemaObject Set(string key, SchemaNode value)
    {
        for (int i = 0; i < Members.Count; i++)
        {
            if (Members[i].Key == key)
            {
                Members[i] = new KeyValuePair<string, SchemaNode>(key, value);
                return this;
            }
        }

        return Add(key, value);
    }
}

internal sealed class SchemaArray : SchemaNode
{
    public SchemaArray(IEnumerable<SchemaNode> items) => Items = new List<SchemaNode>(items);

    public List<SchemaNode> Items { get; }
}

/// <summary>A literal, held as its JSON text: a quoted string, a number, <c>true</c>, <c>false</c> or <c>null</c>.</summary>
internal sealed class SchemaValue : SchemaNode
{
    public static readonly SchemaValue Null = new SchemaValue("null");
    public static readonly SchemaValue False = new SchemaValue("false");

    public SchemaValue(string json) => Json = json;

    public string Json { get; }

    public static SchemaValue Number(int value) => new SchemaValue(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>Writes a schema tree as minified JSON.</summary>
internal static class SchemaWriter
{
    public static string Write(SchemaNode node)
    {
        var json = new StringBuilder();
        Write(node, json);
        return json.ToString();
    }

    private static void Write(SchemaNode node, StringBuilder json)
    {
        switch (node)
        {
            case SchemaObject obj:
                json.Append('{');
                for (int i = 0; i < obj.Members.Count; i++)
                {
                    json.Append(i == 0 ? string.Empty : ",").Append(JsonText.Quote(obj.Members[i].Key)).Append(':');
                    Write(obj.Members[i].Value, json);
                }

                json.Append('}');
                break;
            case SchemaArray array:
                json.Append('[');
                for (int i = 0; i < array.Items.Count; i++)
                {
                    json.Append(i == 0 ? string.Empty : ",");
                    Write(array.Items[i], json);
                }

                json.Append(']');
                break;
            case SchemaValue value:
                json.Append(value.Json);
                break;
        }
    }
}
