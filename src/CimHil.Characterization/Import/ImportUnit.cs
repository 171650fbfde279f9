using CimHil.Core.Config;

namespace CimHil.Characterization.Import;

/// <summary>A unit named in a mapping file, with the factor (and offset, for °C) that brings a value to SI.</summary>
public sealed record ImportUnit(string Name, Dimension Dimension, double Factor, double Offset = 0)
{
    private static readonly ImportUnit[] All =
    [
        new("ohm", Dimension.Resistance, 1), new("kohm", Dimension.Resistance, 1e3), new("Mohm", Dimension.Resistance, 1e6),
        new("S", Dimension.Conductance, 1), new("mS", Dimension.Conductance, 1e-3), new("uS", Dimension.Conductance, 1e-6),
        new("µS", Dimension.Conductance, 1e-6), new("nS", Dimension.Conductance, 1e-9),
        new("A", Dimension.Current, 1), new("mA", Dimension.Current, 1e-3), new("uA", Dimension.Current, 1e-6),
        new("µA", Dimension.Current, 1e-6), new("nA", Dimension.Current, 1e-9),
        new("V", Dimension.Voltage, 1), new("mV", Dimension.Voltage, 1e-3),
        new("s", Dimension.Time, 1), new("ms", Dimension.Time, 1e-3), new("min", Dimension.Time, 60), new("h", Dimension.Time, 3600),
        new("K", Dimension.Temperature, 1), new("C", Dimension.Temperature, 1, 273.15),
    ];

    /// <summary>The value in SI units (Ω, S, A, V, s, K).</summary>
    public double ToSi(double value) => (value * Factor) + Offset;

    /// <summary>The unit named at <paramref name="path"/>, refused unless it has one of the <paramref name="dimensions"/>.</summary>
    public static ImportUnit Parse(string name, string path, params Dimension[] dimensions)
    {
        var allowed = All.Where(u => dimensions.Contains(u.Dimension)).ToList();
        return allowed.FirstOrDefault(u => string.Equals(u.Name, name, StringComparison.Ordinal))
            ?? throw new ConfigException(path, $"'{name}' is not an allowed unit here; allowed: {string.Join(", ", allowed.Select(u => u.Name))}");
    }
}
