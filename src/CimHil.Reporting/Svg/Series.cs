namespace CimHil.Reporting.Svg;

/// <summary>A data point in display units.</summary>
public readonly record struct PlotPoint(double X, double Y);

/// <summary>Anything drawn in the plot area of an <see cref="XyChart"/>.</summary>
public abstract record ChartSeries(string? Name, string Color);

/// <summary>A polyline through the points (fits, model curves); not counted as data marks.</summary>
public sealed record LineSeries(string? Name, string Color, IReadOnlyList<PlotPoint> Points, bool Dashed = false)
    : ChartSeries(Name, Color);

/// <summary>Points drawn as circles, optionally with vertical error bars (low, high) in Y units; also joined by a line when <see cref="Connect"/>.</summary>
public sealed record ScatterSeries(
    string? Name,
    string Color,
    IReadOnlyList<PlotPoint> Points,
    IReadOnlyList<(double Low, double High)?>? YErrors = null,
    bool Connect = false)
    : ChartSeries(Name, Color);

/// <summary>Histogram bars; Y is count or, when <see cref="AsDensity"/>, probability density.</summary>
public sealed record BarSeries(string? Name, string Color, HistogramBins Bins, bool AsDensity, double Opacity = 0.55)
    : ChartSeries(Name, Color);

/// <summary>A labelled vertical line at X (e.g. mean, percentile, worst case); listed in the legend unless <see cref="InLegend"/> is false.</summary>
public sealed record MarkerLine(string Name, string Color, double X, string Dash = "6 3", bool InLegend = true) : ChartSeries(Name, Color);
