using System.Text;

namespace CimHil.Reporting.Svg;

/// <summary>
/// A 2-D chart rendered to one inline &lt;svg&gt;: axes with nice ticks, grid, series, vertical markers and a legend
/// placed outside the plot area (so it never hides data). Data marks carry class "mark"; their count is the
/// svg's data-points attribute so tests can verify the plot rendered with data.
/// </summary>
public sealed class XyChart
{
    private const double FontSize = 12;

    // Average advance of DejaVu Sans / Helvetica at 12 px is ≈ 0.6 em; used only to reserve room for labels.
    private const double CharWidth = FontSize * 0.62;

    public XyChart(string id, AxisSpec x, AxisSpec y)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')))
        {
            throw new ArgumentException($"Chart id '{id}' must be non-empty ASCII letters, digits, '-' or '_'.", nameof(id));
        }

        Id = id;
        X = x;
        Y = y;
    }

    public string Id { get; }

    public AxisSpec X { get; }

    public AxisSpec Y { get; }

    public double Width { get; init; } = 760;

    public double Height { get; init; } = 400;

    /// <summary>Accessible name (aria-label) of the figure.</summary>
    public string? Description { get; init; }

    /// <summary>Optional title drawn above the plot area (used by small multiples, which have no legend).</summary>
    public string? Title { get; init; }

    public List<ChartSeries> Series { get; } = [];

    /// <summary>Adds a series and returns the chart, for fluent building.</summary>
    public XyChart Add(ChartSeries series)
    {
        Series.Add(series);
        return this;
    }

    /// <summary>Number of data marks (bars with a count, points) the chart draws.</summary>
    public int DataPointCount =>
        Series.OfType<ScatterSeries>().Sum(s => s.Points.Count(p => Finite(p, X, Y))) +
        Series.OfType<BarSeries>().Sum(b => b.Bins.Counts.Count(c => c > 0));

    /// <summary>Renders the chart as an &lt;svg&gt; element.</summary>
    public string Render()
    {
        var (xMin, xMax, xTicks) = Domain(X, XValues());
        var yValues = YValues().ToList();
        var markerCount = Series.Count(s => s is MarkerLine);
        if (markerCount > 0 && Y.Scale == AxisScale.Linear && Y.Max is null && yValues.Count > 0)
        {
            // Head-room above the data for the marker labels (≈ 8 % of the range per label row, up to three rows).
            var finiteY = yValues.Where(double.IsFinite).DefaultIfEmpty(0).ToList();
            yValues.Add(finiteY.Max() + ((finiteY.Max() - Math.Min(0, finiteY.Min())) * 0.08 * Math.Min(markerCount, 3)));
        }

        var (yMin, yMax, yTicks) = Domain(Y, yValues);

        var legend = Series.Where(s => !string.IsNullOrEmpty(s.Name) && s is not MarkerLine { InLegend: false }).ToList();
        var legendWidth = legend.Count == 0 ? 0 : 44 + (legend.Max(s => s.Name!.Length) * CharWidth);
        var yLabelChars = yTicks.Max(t => t.Label.Length);
        var left = 22 + 10 + (yLabelChars * CharWidth);
        var markers = Series.OfType<MarkerLine>().ToList();
        var top = Title is null ? 14.0 : 30.0;
        var bottom = 54.0;
        var right = 18 + legendWidth;
        var plotW = Width - left - right;
        var plotH = Height - top - bottom;
        if (plotW < 80 || plotH < 60)
        {
            throw new InvalidOperationException($"Chart '{Id}' is too small ({Width}x{Height}) for its labels and legend.");
        }

        double Px(double v) => left + (Fraction(X.Scale, v, xMin, xMax) * plotW);
        double Py(double v) => top + plotH - (Fraction(Y.Scale, v, yMin, yMax) * plotH);

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"plot-{Id}\" data-plot=\"{Id}\" data-points=\"{DataPointCount}\" data-series=\"{Series.Count}\" ");
        sb.Append($"viewBox=\"0 0 {C(Width)} {C(Height)}\" width=\"{C(Width)}\" height=\"{C(Height)}\" role=\"img\" aria-label=\"{Markup.Escape(Description ?? Id)}\" ");
        sb.Append("font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">");
        sb.Append($"<defs><clipPath id=\"plot-{Id}-clip\"><rect x=\"{C(left)}\" y=\"{C(top)}\" width=\"{C(plotW)}\" height=\"{C(plotH)}\"/></clipPath></defs>");
        sb.Append($"<rect x=\"{C(left)}\" y=\"{C(top)}\" width=\"{C(plotW)}\" height=\"{C(plotH)}\" fill=\"#fff\" stroke=\"none\"/>");
        if (Title is not null)
        {
            sb.Append($"<text class=\"chart-title\" x=\"{C(left + (plotW / 2))}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Markup.Escape(Title)}</text>");
        }

        // Grid and ticks.
        sb.Append("<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">");
        foreach (var t in xTicks)
        {
            sb.Append($"<line x1=\"{C(Px(t.Value))}\" y1=\"{C(top)}\" x2=\"{C(Px(t.Value))}\" y2=\"{C(top + plotH)}\"{(t.Major ? string.Empty : " stroke-dasharray=\"2 3\"")}/>");
        }

        foreach (var t in yTicks)
        {
            sb.Append($"<line x1=\"{C(left)}\" y1=\"{C(Py(t.Value))}\" x2=\"{C(left + plotW)}\" y2=\"{C(Py(t.Value))}\"{(t.Major ? string.Empty : " stroke-dasharray=\"2 3\"")}/>");
        }

        sb.Append("</g>");

        // Data, clipped to the plot area.
        sb.Append($"<g class=\"data\" clip-path=\"url(#plot-{Id}-clip)\">");
        foreach (var series in Series.Where(s => s is not ScatterSeries))
        {
            SeriesMarks.RenderSeries(sb, series, Px, Py, top, plotH);
        }

        sb.Append("</g>");

        // Points are not clipped: a point on the frame (a nice tick equal to the data extreme) stays whole.
        sb.Append("<g class=\"data\">");
        foreach (var series in Series.OfType<ScatterSeries>())
        {
            SeriesMarks.RenderSeries(sb, series, Px, Py, top, plotH);
        }

        sb.Append("</g>");

        // Axes frame, tick marks and labels.
        sb.Append($"<g class=\"axes\" stroke=\"#333\" stroke-width=\"1\" fill=\"none\"><rect x=\"{C(left)}\" y=\"{C(top)}\" width=\"{C(plotW)}\" height=\"{C(plotH)}\"/>");
        foreach (var t in xTicks)
        {
            sb.Append($"<line x1=\"{C(Px(t.Value))}\" y1=\"{C(top + plotH)}\" x2=\"{C(Px(t.Value))}\" y2=\"{C(top + plotH + 5)}\"/>");
        }

        foreach (var t in yTicks)
        {
            sb.Append($"<line x1=\"{C(left - 5)}\" y1=\"{C(Py(t.Value))}\" x2=\"{C(left)}\" y2=\"{C(Py(t.Value))}\"/>");
        }

        sb.Append("</g><g class=\"tick-labels\" fill=\"#222\">");
        var lastRight = double.NegativeInfinity;
        foreach (var t in xTicks)
        {
            // Skip a label that would overlap its left neighbour (dense minor log ticks).
            var px = Px(t.Value);
            var half = t.Label.Length * CharWidth / 2;
            if (px - half < lastRight + 4)
            {
                continue;
            }

            lastRight = px + half;
            sb.Append($"<text x=\"{C(px)}\" y=\"{C(top + plotH + 18)}\" text-anchor=\"middle\">{Markup.Escape(t.Label)}</text>");
        }

        var lastTop = double.PositiveInfinity;
        foreach (var t in yTicks)
        {
            var py = Py(t.Value);
            if (py + 6 > lastTop - 2)
            {
                continue;
            }

            lastTop = py - 6;
            sb.Append($"<text x=\"{C(left - 8)}\" y=\"{C(py + 4)}\" text-anchor=\"end\">{Markup.Escape(t.Label)}</text>");
        }

        sb.Append("</g>");
        sb.Append($"<text class=\"axis-title\" x=\"{C(left + (plotW / 2))}\" y=\"{C(Height - 12)}\" text-anchor=\"middle\" font-size=\"13\">{Markup.Escape(X.Title)}</text>");
        sb.Append($"<text class=\"axis-title\" transform=\"translate(16 {C(top + (plotH / 2))}) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">{Markup.Escape(Y.Title)}</text>");

        // Marker labels: packed greedily, left to right, into the first row at the top of the plot where they do not
        // overlap an earlier label; a white halo keeps them readable over grid lines and data.
        var rows = new List<List<(double X0, double X1)>>();
        foreach (var m in markers.OrderBy(m => Px(m.X)))
        {
            var px = Px(m.X);
            if (!double.IsFinite(px))
            {
                continue;
            }

            var labelW = (m.Name ?? string.Empty).Length * CharWidth;
            var anchorEnd = px + 4 + labelW > left + plotW;
            var span = anchorEnd ? (px - 4 - labelW, px - 4) : (px + 4, px + 4 + labelW);
            var row = rows.FindIndex(r => r.All(o => span.Item2 + 6 < o.X0 || span.Item1 - 6 > o.X1));
            if (row < 0)
            {
                rows.Add([]);
                row = rows.Count - 1;
            }

            rows[row].Add(span);
            var tx = anchorEnd ? px - 4 : px + 4;
            var ty = top + 14 + (row * 15);
            sb.Append($"<text class=\"marker-label\" x=\"{C(tx)}\" y=\"{C(ty)}\" text-anchor=\"{(anchorEnd ? "end" : "start")}\" fill=\"{m.Color}\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{Markup.Escape(m.Name)}</text>");
        }

        if (legend.Count > 0)
        {
            SeriesMarks.RenderLegend(sb, legend, left + plotW + 16, top + 4);
        }

        sb.Append("</svg>");
        return sb.ToString();
    }

    private IEnumerable<double> XValues()
    {
        foreach (var s in Series)
        {
            switch (s)
            {
                case BarSeries b:
                    yield return b.Bins.Edges[0];
                    yield return b.Bins.Edges[^1];
                    break;
                case LineSeries l:
                    foreach (var p in l.Points) { yield return p.X; }
                    break;
                case ScatterSeries sc:
                    foreach (var p in sc.Points) { yield return p.X; }
                    break;
                case MarkerLine m:
                    yield return m.X;
                    break;
                default:
                    break;
            }
        }
    }

    private IEnumerable<double> YValues()
    {
        foreach (var s in Series)
        {
            switch (s)
            {
                case BarSeries b:
                    yield return 0;
                    for (var i = 0; i < b.Bins.Counts.Count; i++) { yield return b.AsDensity ? b.Bins.Density(i) : b.Bins.Counts[i]; }
                    break;
                case LineSeries l:
                    foreach (var p in l.Points) { yield return p.Y; }
                    break;
                case ScatterSeries sc:
                    foreach (var p in sc.Points) { yield return p.Y; }
                    if (sc.YErrors is { } errors)
                    {
                        foreach (var e in errors)
                        {
                            if (e is { } v)
                            {
                                yield return v.Low;
                                yield return v.High;
                            }
                        }
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private static (double Min, double Max, IReadOnlyList<Tick> Ticks) Domain(AxisSpec axis, IEnumerable<double> values)
    {
        var usable = values.Where(v => double.IsFinite(v) && (axis.Scale == AxisScale.Linear || v > 0)).ToList();
        if (axis.IncludeZero && axis.Scale == AxisScale.Linear)
        {
            usable.Add(0);
        }

        var min = axis.Min ?? (usable.Count > 0 ? usable.Min() : (axis.Scale == AxisScale.Log ? 1 : 0));
        var max = axis.Max ?? (usable.Count > 0 ? usable.Max() : (axis.Scale == AxisScale.Log ? 10 : 1));
        if (axis.Scale == AxisScale.Log)
        {
            return Ticks.Log(min, max);
        }

        var (lo, hi, ticks) = Ticks.Linear(min, max);

        // Honour fixed bounds exactly (e.g. accuracy axis 0–100 %) while keeping the nice ticks inside them.
        if (axis.Min is { } fixedMin)
        {
            lo = fixedMin;
        }

        if (axis.Max is { } fixedMax)
        {
            hi = fixedMax;
        }

        return (lo, hi, ticks.Where(t => t.Value >= lo - 1e-12 && t.Value <= hi + 1e-12).ToList());
    }

    private static double Fraction(AxisScale scale, double v, double min, double max) =>
        scale == AxisScale.Log
            ? (v > 0 ? (Math.Log10(v) - Math.Log10(min)) / (Math.Log10(max) - Math.Log10(min)) : double.NaN)
            : (v - min) / (max - min);

    private static bool Finite(PlotPoint p, AxisSpec x, AxisSpec y) =>
        double.IsFinite(p.X) && double.IsFinite(p.Y) && (x.Scale == AxisScale.Linear || p.X > 0) && (y.Scale == AxisScale.Linear || p.Y > 0);

    private static string C(double v) => Markup.Coord(v);
}
