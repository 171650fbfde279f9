namespace CimHil.Reporting.Svg;

/// <summary>Linear or logarithmic axis.</summary>
public enum AxisScale
{
    Linear,
    Log,
}

/// <summary>An axis: title (with unit), scale and optional fixed bounds; IncludeZero pulls a linear domain to 0.</summary>
public sealed record AxisSpec(string Title, AxisScale Scale = AxisScale.Linear, double? Min = null, double? Max = null, bool IncludeZero = false);
