using System.Text.Json;

namespace CimHil.Core.Config;

/// <summary>A key written twice in one JSON object: where (<c>chip.safety.maxSetVoltageV</c>) and both values as written.</summary>
public sealed record DuplicateJsonKey(string JsonPath, string FirstValue, string SecondValue)
{
    /// <summary>The problem in the words every reader uses: <c>duplicate key (3.0, then 9.0)</c>.</summary>
    public string Problem => $"duplicate key ({FirstValue}, then {SecondValue})";
}

/// <summary>
/// Finds keys that appear twice in one object, anywhere in a document. System.Text.Json keeps the last of two equal
/// keys, so <c>"maxSetVoltageV": 3.0, "maxSetVoltageV": 9.0</c> silently raised a safety limit; every JSON file CimHil
/// reads is checked here. <c>JsonDocumentOptions.AllowDuplicateProperties = false</c> (.NET 9+) refuses the document
/// too, but its message names neither the path nor the two values, so the walk is our own.
/// </summary>
public static class JsonDuplicateKeys
{
    /// <summary>The first duplicate key in document order, or null when every object's keys are distinct.</summary>
    public static DuplicateJsonKey? Find(JsonElement element) => Find(element, string.Empty);

    /// <summary>Throws a <see cref="ConfigException"/> naming the path, both values and <paramref name="source"/> at the first duplicate key.</summary>
    public static void Reject(JsonElement element, string source)
    {
        if (Find(element) is { } duplicate)
        {
            throw new ConfigException(duplicate.JsonPath, duplicate.Problem, source);
        }
    }

    /// <summary>Deserializes <paramref name="json"/> after refusing duplicate keys (for files read by the serializer rather than <see cref="JsonSection"/>).</summary>
    public static T? Deserialize<T>(string json, JsonSerializerOptions options, string source)
    {
        using var doc = JsonDocument.Parse(json, new JsonDocumentOptions
        {
            CommentHandling = options.ReadCommentHandling == JsonCommentHandling.Skip ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
            AllowTrailingCommas = options.AllowTrailingCommas,
        });
        Reject(doc.RootElement, source);
        return doc.RootElement.Deserialize<T>(options);
    }

    private static DuplicateJsonKey? Find(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                // Names are compared after unescaping ("max\u0053etVoltageV" is "maxSetVoltageV") and ordinally, as TryGetProperty does.
                var seen = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var childPath = string.IsNullOrEmpty(path) ? property.Name : $"{path}.{property.Name}";
                    if (seen.TryGetValue(property.Name, out var first))
                    {
                        return new DuplicateJsonKey(childPath, Show(first), Show(property.Value));
                    }

                    seen.Add(property.Name, property.Value);
                    if (Find(property.Value, childPath) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;

            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item, $"{path}[{i}]") is { } inner)
                    {
                        return inner;
                    }

                    i++;
                }

                return null;

            default:
                return null;
        }
    }

    /// <summary>A scalar as written (3.0 stays 3.0); objects and arrays by kind, as their text can be long.</summary>
    private static string Show(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => Shorten(value.GetRawText()),
    };

    private static string Shorten(string text) => text.Length > 60 ? text[..57] + "..." : text;
}
