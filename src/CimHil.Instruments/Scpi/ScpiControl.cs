using System.Globalization;

namespace CimHil.Instruments.Scpi;

/// <summary>Declares <see cref="ScpiControl{T}"/>s: numbers with a unit and a range, choices, on/off switches; joins program messages.</summary>
public static class ScpiControl
{
    /// <summary>A number in SI units, written round-trip exact with the invariant culture (<c>1.2</c>, <c>0.0001</c>, <c>1E-09</c>).</summary>
    public static ScpiControl<double> Number(string name, string setFormat, string? query, string unit, ScpiRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        return new()
        {
            Name = name,
            SetFormat = setFormat,
            Query = query,
            Unit = unit,
            Format = FormatNumber,
            Parse = reply => double.Parse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture),
            Validate = value => range.Check(value, unit),
        };
    }

    /// <summary>One of a fixed set of values, each with its text on the wire; a reply is matched ignoring case and quotes.</summary>
    public static ScpiControl<T> Choice<T>(string name, string setFormat, string? query, IReadOnlyDictionary<T, string> choices)
        where T : notnull
    {
        ArgumentNullException.ThrowIfNull(choices);
        return new()
        {
            Name = name,
            SetFormat = setFormat,
            Query = query,
            Format = value => choices[value],
            Parse = reply => choices.FirstOrDefault(c => string.Equals(c.Value.Trim('"'), reply.Trim().Trim('"'), StringComparison.OrdinalIgnoreCase)) is { Value: not null } hit
                ? hit.Key
                : throw new FormatException($"'{reply}' is not one of {string.Join(", ", choices.Values)} ({name})"),
            Validate = value => choices.ContainsKey(value) ? null : $"is not one of {string.Join(", ", choices.Keys)}",
        };
    }

    /// <summary>An on/off switch: set as <c>ON</c>/<c>OFF</c>, read back as <c>1</c>/<c>0</c> (or ON/OFF).</summary>
    public static ScpiControl<bool> Switch(string name, string setFormat, string? query) => new()
    {
        Name = name,
        SetFormat = setFormat,
        Query = query,
        Format = on => on ? "ON" : "OFF",
        Parse = reply => reply.Trim().ToUpperInvariant() switch
        {
            "1" or "ON" => true,
            "0" or "OFF" => false,
            _ => throw new FormatException($"'{reply}' is not ON/OFF ({name})"),
        },
    };

    /// <summary>One program message of several commands (IEEE 488.2 section 7.4.1: separated by <c>;</c>).</summary>
    public static string Join(params IEnumerable<string> commands) => string.Join(';', commands);

    /// <summary>A number as every declared control writes it: round-trip exact, invariant culture.</summary>
    public static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
