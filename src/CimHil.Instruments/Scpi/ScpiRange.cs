using System.Globalization;

namespace CimHil.Instruments.Scpi;

/// <summary>The values a numeric <see cref="ScpiControl{T}"/> accepts: finite, within [<see cref="Minimum"/>, <see cref="Maximum"/>].</summary>
public sealed record ScpiRange(double Minimum, double Maximum)
{
    /// <summary>When true the minimum itself is refused (a current limit must be above 0 A).</summary>
    public bool MinimumExclusive { get; init; }

    /// <summary>Above 0 and at most <paramref name="maximum"/>.</summary>
    public static ScpiRange Positive(double maximum) => new(0, maximum) { MinimumExclusive = true };

    /// <summary>Null when <paramref name="value"/> is accepted, else why not, in words that follow the value (<c>exceeds the maximum 210 V</c>).</summary>
    public string? Check(double value, string unit)
    {
        var u = unit.Length > 0 ? " " + unit : "";
        return !double.IsFinite(value) ? "is not a finite number"
            : value < Minimum || (MinimumExclusive && value == Minimum) ? $"is below the {(MinimumExclusive ? "exclusive " : "")}minimum {Num(Minimum)}{u}"
            : value > Maximum ? $"exceeds the maximum {Num(Maximum)}{u}"
            : null;
    }

    private static string Num(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
