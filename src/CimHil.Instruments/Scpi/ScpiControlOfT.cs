using System.Globalization;

namespace CimHil.Instruments.Scpi;

/// <summary>
/// One control of an instrument, declared once (PyMeasure's <c>Instrument.control</c>): the text that sets it, the query that
/// reads it, its unit and the values it accepts. Instrument classes build every message from these, so a command's text,
/// unit and validation stand in one place. Build them with <see cref="ScpiControl"/>.
/// </summary>
public sealed record ScpiControl<T>
{
    /// <summary>What the control is, for error messages (<c>source voltage level</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The set text with <c>{0}</c> where the value goes (<c>:SOUR:VOLT:LEV {0}</c>).</summary>
    public required string SetFormat { get; init; }

    /// <summary>The query that reads the control back, or null when the instrument has none.</summary>
    public string? Query { get; init; }

    /// <summary>SI unit of the value (<c>V</c>, <c>A</c>, <c>s</c>), empty for choices.</summary>
    public string Unit { get; init; } = "";

    /// <summary>The value as the instrument expects it on the wire.</summary>
    public required Func<T, string> Format { get; init; }

    /// <summary>A reply to <see cref="Query"/> as a value; throws <see cref="FormatException"/> on a reply it does not know.</summary>
    public required Func<string, T> Parse { get; init; }

    /// <summary>Null when a value is accepted, else why not (follows the value in the error message).</summary>
    public Func<T, string?> Validate { get; init; } = _ => null;

    /// <summary>The set command for <paramref name="value"/>; a value outside the control's range is refused before anything is sent.</summary>
    public string Set(T value)
    {
        if (Validate(value) is { } reason)
        {
            var text = value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString();
            throw new ArgumentOutOfRangeException(Name, value, $"{Name}: {text}{(Unit.Length > 0 ? " " + Unit : "")} {reason}");
        }

        return string.Format(CultureInfo.InvariantCulture, SetFormat, Format(value));
    }

    /// <summary>The query text; a control declared without one cannot be read back.</summary>
    public string QueryText => Query ?? throw new InvalidOperationException($"{Name} has no query");
}
