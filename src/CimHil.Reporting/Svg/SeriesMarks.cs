using System.Text;

namespace CimHil.Reporting.Svg;

/// <summary>
/// The SVG marks of one chart series (bars, lines, points with error bars, vertical markers) and their legend entries,
/// in pixel coordinates given by the chart's axis transforms. Data marks carry class "mark" so tests can count them.
/// </summary>
internal static class SeriesMarks
{
    internal static void RenderSeries(StringBuilder sb, ChartSeries series, Func<double, double> px, Func<double, double> py, double top, double plotH)
    {
        switch (series)
        {
            case BarSeries bars:
                sb.Append($"<g class=\"bars\" fill=\"{bars.Color}\" fill-opacity=\"{C(bars.Opacity)}\" stroke=\"{bars.Color}\" stroke-width=\"0.8\">");
                for (var b = 0; b < bars.Bins.Counts.Count; b++)
                {
                    if (bars.Bins.Counts[b] == 0)
                    {
                        continue;
                    }

                    var value = bars.AsDensity ? bars.Bins.Density(b) : bars.Bins.Counts[b];
                    var x0 = px(bars.Bins.Edges[b]);
                    var x1 = px(bars.Bins.Edges[b + 1]);
                    var y0 = py(value);
                    var y1 = py(0);
                    sb.Append($"<rect class=\"mark\" x=\"{C(x0)}\" y=\"{C(y0)}\" width=\"{C(Math.Max(0.5, x1 - x0))}\" height=\"{C(Math.Max(0, y1 - y0))}\"><title>{Markup.Escape($"[{Markup.Significant(bars.Bins.Edges[b], 4)}, {Markup.Significant(bars.Bins.Edges[b + 1], 4)}): {bars.Bins.Counts[b]}")}</title></rect>");
                }

                sb.Append("</g>");
                break;
            case LineSeries line:
                var d = PathData(line.Points, px, py);
                if (d.Length > 0)
                {
                    sb.Append($"<path class=\"data-line\" d=\"{d}\" fill=\"none\" stroke=\"{line.Color}\" stroke-width=\"2\"{(line.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)}/>");
                }

                break;
            case ScatterSeries scatter:
                if (scatter.Connect)
                {
                    var path = PathData(scatter.Points, px, py);
                    if (path.Length > 0)
                    {
                        sb.Append($"<path class=\"data-line\" d=\"{path}\" fill=\"none\" stroke=\"{scatter.Color}\" stroke-width=\"1.5\"/>");
                    }
                }

                sb.Append($"<g class=\"points\" fill=\"{scatter.Color}\" stroke=\"{scatter.Color}\">");
                for (var i = 0; i < scatter.Points.Count; i++)
                {
                    var p = scatter.Points[i];
                    var (x, y) = (px(p.X), py(p.Y));
                    if (!double.IsFinite(x) || !double.IsFinite(y))
                    {
                        continue;
                    }

                    if (scatter.YErrors is { } errors && i < errors.Count && errors[i] is { } e && double.IsFinite(py(e.Low)) && double.IsFinite(py(e.High)))
                    {
                        var (yl, yh) = (py(e.Low), py(e.High));
                        sb.Append($"<path class=\"error-bar\" d=\"M{C(x)} {C(yl)}V{C(yh)}M{C(x - 4)} {C(yl)}H{C(x + 4)}M{C(x - 4)} {C(yh)}H{C(x + 4)}\" fill=\"none\" stroke-width=\"1.2\"/>");
                    }

                    sb.Append($"<circle class=\"mark\" cx=\"{C(x)}\" cy=\"{C(y)}\" r=\"3.5\" stroke=\"#fff\" stroke-width=\"0.8\"><title>{Markup.Escape($"({Markup.Significant(p.X, 4)}, {Markup.Significant(p.Y, 4)})")}</title></circle>");
                }

                sb.Append("</g>");
                break;
            case MarkerLine marker:
                var mx = px(marker.X);
                if (double.IsFinite(mx))
                {
                    sb.Append($"<line class=\"marker\" x1=\"{C(mx)}\" y1=\"{C(top)}\" x2=\"{C(mx)}\" y2=\"{C(top + plotH)}\" stroke=\"{marker.Color}\" stroke-width=\"2\" stroke-dasharray=\"{marker.Dash}\"/>");
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(series), series.GetType().Name, "Unknown chart series type.");
        }
    }

    internal static void RenderLegend(StringBuilder sb, List<ChartSeries> legend, double x, double y)
    {
        sb.Append("<g class=\"legend\">");
        for (var i = 0; i < legend.Count; i++)
        {
            var s = legend[i];
            var cy = y + (i * 18) + 6;
            switch (s)
            {
                case BarSeries b:
                    sb.Append($"<rect x=\"{C(x)}\" y=\"{C(cy - 6)}\" width=\"20\" height=\"12\" fill=\"{b.Color}\" fill-opacity=\"{C(b.Opacity)}\" stroke=\"{b.Color}\"/>");
                    break;
                case ScatterSeries sc:
                    if (sc.Connect)
                    {
                        sb.Append($"<line x1=\"{C(x)}\" y1=\"{C(cy)}\" x2=\"{C(x + 20)}\" y2=\"{C(cy)}\" stroke=\"{sc.Color}\" stroke-width=\"1.5\"/>");
                    }

                    sb.Append($"<circle cx=\"{C(x + 10)}\" cy=\"{C(cy)}\" r=\"3.5\" fill=\"{sc.Color}\"/>");
                    break;
                case LineSeries l:
                    sb.Append($"<line x1=\"{C(x)}\" y1=\"{C(cy)}\" x2=\"{C(x + 20)}\" y2=\"{C(cy)}\" stroke=\"{l.Color}\" stroke-width=\"2\"{(l.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty)}/>");
                    break;
                case MarkerLine m:
                    sb.Append($"<line x1=\"{C(x + 10)}\" y1=\"{C(cy - 7)}\" x2=\"{C(x + 10)}\" y2=\"{C(cy + 7)}\" stroke=\"{m.Color}\" stroke-width=\"2\" stroke-dasharray=\"4 2\"/>");
                    break;
                default:
                    break;
            }

            sb.Append($"<text x=\"{C(x + 26)}\" y=\"{C(cy + 4)}\" fill=\"#222\">{Markup.Escape(s.Name)}</text>");
        }

        sb.Append("</g>");
    }

    private static string PathData(IReadOnlyList<PlotPoint> points, Func<double, double> px, Func<double, double> py)
    {
        var sb = new StringBuilder();
        var pen = false;
        foreach (var p in points)
        {
            var (x, y) = (px(p.X), py(p.Y));
            if (!double.IsFinite(x) || !double.IsFinite(y))
            {
                pen = false;
                continue;
            }

            sb.Append(pen ? 'L' : 'M').Append(C(x)).Append(' ').Append(C(y));
            pen = true;
        }

        return sb.ToString();
    }

    private static string C(double v) => Markup.Coord(v);
}
