using System.Globalization;
using System.Text.Json;

namespace CimHil.Core.Config;

/// <summary>
/// A JSON object read with its path, so every error names where it is (<c>chip.safety.maxSetVoltageV</c>).
/// Used for hil-config.json, driver settings, plan files and calibration files alike.
/// </summary>
public sealed class JsonSection
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public JsonSection(JsonElement element, string path)
    {
        Element = element;
        Path = path;
    }

    public JsonElement Element { get; }

    public string Path { get; }

    /// <summary>
    /// Parses JSON text; a syntax error becomes a <see cref="ConfigException"/> with line and column, a key written
    /// twice in one object one with its path and both values.
    /// </summary>
    public static JsonSection Parse(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, DocumentOptions);

            // A key written twice must not silently override the first (a doubled safety limit once raised it).
            JsonDuplicateKeys.Reject(doc.RootElement, source);
            var root = new JsonSection(doc.RootElement.Clone(), string.Empty);
            if (root.Element.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException(string.Empty, $"expected a JSON object, found {Describe(root.Element)}", source);
            }

            return root;
        }
        catch (JsonException ex)
        {
            var line = ex.LineNumber + 1;
            var col = ex.BytePositionInLine + 1;
            throw new ConfigException(string.Empty, $"not valid JSON at line {line}, column {col}: {FirstSentence(ex.Message)}", source);
        }
    }

    public static JsonSection Load(string filePath)
    {
        if (!File.Exists(filePath))
        {
            throw new ConfigException(string.Empty, "file not found", filePath);
        }

        return Parse(File.ReadAllText(filePath), filePath);
    }

    public string PathOf(string name) => string.IsNullOrEmpty(Path) ? name : $"{Path}.{name}";

    public ConfigException Error(string name, string problem) => new(PathOf(name), problem);

    public ConfigException Error(string problem) => new(Path, problem);

    public bool Has(string name) => Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public IEnumerable<string> PropertyNames() => Element.EnumerateObject().Select(p => p.Name);

    /// <summary>Rejects properties not in <paramref name="allowed"/>: a misspelt key must not be silently ignored.</summary>
    public JsonSection AllowOnly(params string[] allowed)
    {
        foreach (var p in Element.EnumerateObject())
        {
            if (p.Name.StartsWith('$') || allowed.Contains(p.Name, StringComparer.Ordinal))
            {
                continue;
            }

            var hint = allowed.FirstOrDefault(a => string.Equals(a, p.Name, StringComparison.OrdinalIgnoreCase))
                ?? allowed.OrderBy(a => Distance(a, p.Name)).FirstOrDefault(a => Distance(a, p.Name) <= 3);
            var suggestion = hint is null ? $"allowed here: {string.Join(", ", allowed)}" : $"did you mean '{hint}'?";
            throw new ConfigException(PathOf(p.Name), $"unknown setting; {suggestion}");
        }

        return this;
    }

    public JsonSection Section(string name)
    {
        var v = Get(name);
        if (v.ValueKind != JsonValueKind.Object)
        {
            throw Error(name, $"expected an object, found {Describe(v)}");
        }

        return new JsonSection(v, PathOf(name));
    }

    public JsonSection? OptionalSection(string name) => Has(name) ? Section(name) : null;

    /// <summary>The section, or an empty object at that path when absent.</summary>
    public JsonSection SectionOrEmpty(string name) => OptionalSection(name) ?? new JsonSection(EmptyObject, PathOf(name));

    public IReadOnlyList<JsonSection> Sections(string name)
    {
        var v = Get(name);
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Error(name, $"expected an array, found {Describe(v)}");
        }

        var list = new List<JsonSection>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            var path = $"{PathOf(name)}[{i}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException(path, $"expected an object, found {Describe(item)}");
            }

            list.Add(new JsonSection(item, path));
            i++;
        }

        return list;
    }

    public double Double(string name, double? min = null, double? max = null)
    {
        var v = Get(name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d))
        {
            throw Error(name, $"expected a number, found {Describe(v)}");
        }

        return InRange(name, d, min, max);
    }

    public double Double(string name, double defaultValue, double? min, double? max) =>
        Has(name) ? Double(name, min, max) : defaultValue;

    public double? OptionalDouble(string name, double? min = null, double? max = null) =>
        Has(name) ? Double(name, min, max) : null;

    /// <summary>A strictly positive number.</summary>
    public double Positive(string name) => Positive(name, null);

    public double Positive(string name, double? defaultValue)
    {
        if (!Has(name))
        {
            return defaultValue ?? throw Error(name, "required setting is missing");
        }

        var d = Double(name);
        return d > 0 ? d : throw Error(name, $"{Format(d)} must be greater than 0");
    }

    public int Int(string name, int? min = null, int? max = null)
    {
        var v = Get(name);
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
        {
            throw Error(name, $"expected a whole number, found {Describe(v)}");
        }

        return (int)InRange(name, i, min, max);
    }

    public int Int(string name, int defaultValue, int? min, int? max) => Has(name) ? Int(name, min, max) : defaultValue;

    public long Long(string name, long defaultValue)
    {
        if (!Has(name))
        {
            return defaultValue;
        }

        var v = Get(name);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : throw Error(name, $"expected a whole number, found {Describe(v)}");
    }

    public string String(string name)
    {
        var v = Get(name);
        if (v.ValueKind != JsonValueKind.String)
        {
            throw Error(name, $"expected a string, found {Describe(v)}");
        }

        var s = v.GetString()!;
        return s.Length > 0 ? s : throw Error(name, "must not be empty");
    }

    public string String(string name, string defaultValue) => Has(name) ? String(name) : defaultValue;

    public string? OptionalString(string name) => Has(name) ? String(name) : null;

    public bool Bool(string name, bool defaultValue)
    {
        if (!Has(name))
        {
            return defaultValue;
        }

        var v = Get(name);
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(name, $"expected true or false, found {Describe(v)}"),
        };
    }

    /// <summary>An enum value by name, case-insensitive, with hyphens and underscores ignored ("stuck-on" = StuckOn).</summary>
    public TEnum Enum<TEnum>(string name)
        where TEnum : struct, Enum
    {
        var s = String(name);
        var key = s.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
        foreach (var value in System.Enum.GetValues<TEnum>())
        {
            if (string.Equals(value.ToString(), key, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        var names = string.Join(", ", System.Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()));
        throw Error(name, $"'{s}' is not one of: {names}");
    }

    public TEnum Enum<TEnum>(string name, TEnum defaultValue)
        where TEnum : struct, Enum => Has(name) ? Enum<TEnum>(name) : defaultValue;

    public IReadOnlyList<double> Doubles(string name, int minCount = 0)
    {
        var v = Get(name);
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Error(name, $"expected an array of numbers, found {Describe(v)}");
        }

        var list = new List<double>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !double.IsFinite(item.GetDouble()))
            {
                throw new ConfigException($"{PathOf(name)}[{i}]", $"expected a number, found {Describe(item)}");
            }

            list.Add(item.GetDouble());
            i++;
        }

        return list.Count >= minCount ? list : throw Error(name, $"needs at least {minCount} values, has {list.Count}");
    }

    public IReadOnlyList<string> Strings(string name)
    {
        var v = Get(name);
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Error(name, $"expected an array of strings, found {Describe(v)}");
        }

        var i = 0;
        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new ConfigException($"{PathOf(name)}[{i}]", $"expected a string, found {Describe(item)}"));
            i++;
        }

        return list;
    }

    public static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{v.GetString()}\"",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "nothing",
    };

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private JsonElement Get(string name)
    {
        if (Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null)
        {
            return v;
        }

        throw Error(name, "required setting is missing");
    }

    private double InRange(string name, double d, double? min, double? max)
    {
        if (min is { } lo && d < lo)
        {
            throw Error(name, $"{Format(d)} is below the minimum {Format(lo)}");
        }

        if (max is { } hi && d > hi)
        {
            throw Error(name, $"{Format(d)} exceeds the maximum {Format(hi)}");
        }

        return d;
    }

    private static string Format(double d) => d.ToString("G6", CultureInfo.InvariantCulture);

    private static string FirstSentence(string s)
    {
        var i = s.IndexOf(" Path:", StringComparison.Ordinal);
        return i > 0 ? s[..i] : s;
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            }
        }

        return d[a.Length, b.Length];
    }
}
