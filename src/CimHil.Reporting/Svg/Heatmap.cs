using System.Text;

namespace CimHil.Reporting.Svg;

/// <summary>
/// A rows × columns grid of values drawn as coloured cells (viridis) with a labelled colour bar.
/// Every cell is a data mark (class "mark"); NaN cells are grey and still counted, since they are data ("not read").
/// </summary>
public sealed class Heatmap
{
    private const double CharWidth = 12 * 0.62;

    public Heatmap(string id, int rows, int columns, IReadOnlyList<double> values)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (values.Count != rows * columns)
        {
            throw new ArgumentException($"Heatmap '{id}' has {values.Count} values for {rows}x{columns} cells.", nameof(values));
        }

        Id = id;
        Rows = rows;
        Columns = columns;
        Values = values;
    }

    public string Id { get; }

    public int Rows { get; }

    public int Columns { get; }

    /// <summary>Row-major values in display units.</summary>
    public IReadOnlyList<double> Values { get; }

    public string XTitle { get; init; } = "column (bit line)";

    public string YTitle { get; init; } = "row (word line)";

    public string ColorBarTitle { get; init; } = "value";

    public string? Description { get; init; }

    /// <summary>How many array rows/columns one drawn cell stands for (block-averaged maps); index labels are multiplied by it.</summary>
    public int CellSpan { get; init; } = 1;

    /// <summary>Largest size of the cell grid in px; cells are square and at most 28 px.</summary>
    public double MaxGridWidth { get; init; } = 560;

    public double MaxGridHeight { get; init; } = 440;

    /// <summary>Renders the heatmap as an &lt;svg&gt; element.</summary>
    public string Render()
    {
        var finite = Values.Where(double.IsFinite).ToList();
        var cell = Math.Min(28, Math.Min(MaxGridWidth / Columns, MaxGridHeight / Rows));
        var gridW = cell * Columns;
        var gridH = cell * Rows;

        // Fewer colour-bar ticks on a flat grid (about one per 40 px) so their labels never collide.
        var (vMin, vMax, barTicks) = Ticks.Linear(finite.Count > 0 ? finite.Min() : 0, finite.Count > 0 ? finite.Max() : 1, Math.Clamp((int)(gridH / 40), 2, 6));
        var rowTicks = IndexTicks(Rows, CellSpan);
        var colTicks = IndexTicks(Columns, CellSpan);
        var left = 22 + 10 + (rowTicks.Max(t => t.Label.Length) * CharWidth);
        // A flat array (few rows) is shorter than its rotated axis titles: add room above and below so they fit.
        var titleLength = Math.Max(YTitle.Length, ColorBarTitle.Length) * 13 * 0.62;
        var top = Math.Max(12.0, ((titleLength - gridH) / 2) + 6);
        var barX = left + gridW + 24;
        var barLabelChars = barTicks.Max(t => t.Label.Length);
        var width = barX + 18 + 8 + (barLabelChars * CharWidth) + 30;
        var height = top + gridH + Math.Max(52, top + 6);

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" id=\"plot-{Id}\" data-plot=\"{Id}\" data-points=\"{Values.Count}\" data-rows=\"{Rows}\" data-columns=\"{Columns}\" ");
        sb.Append($"viewBox=\"0 0 {C(width)} {C(height)}\" width=\"{C(width)}\" height=\"{C(height)}\" role=\"img\" aria-label=\"{Markup.Escape(Description ?? Id)}\" ");
        sb.Append("font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">");
        sb.Append($"<defs><linearGradient id=\"plot-{Id}-scale\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">");
        for (var i = 0; i <= 10; i++)
        {
            sb.Append($"<stop offset=\"{C(i / 10.0)}\" stop-color=\"{Palette.ViridisAt(i / 10.0)}\"/>");
        }

        sb.Append("</linearGradient></defs>");

        // Cells: shape-rendering crispEdges avoids hairline gaps between neighbours. Tooltips only for modest arrays (file size).
        var titles = Values.Count <= 4096;
        sb.Append("<g class=\"cells\" shape-rendering=\"crispEdges\">");
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                var v = Values[(r * Columns) + c];
                var color = double.IsFinite(v) ? Palette.ViridisAt((v - vMin) / (vMax - vMin)) : "#cccccc";
                sb.Append($"<rect class=\"mark\" x=\"{C(left + (c * cell))}\" y=\"{C(top + (r * cell))}\" width=\"{C(cell)}\" height=\"{C(cell)}\" fill=\"{color}\"");
                sb.Append(titles ? $"><title>({r},{c}): {Markup.Significant(v, 4)}</title></rect>" : "/>");
            }
        }

        sb.Append("</g>");
        sb.Append($"<rect x=\"{C(left)}\" y=\"{C(top)}\" width=\"{C(gridW)}\" height=\"{C(gridH)}\" fill=\"none\" stroke=\"#333\"/>");

        // Index ticks at cell centres.
        sb.Append("<g class=\"tick-labels\" fill=\"#222\">");
        foreach (var t in colTicks)
        {
            var x = left + ((t.Value + 0.5) * cell);
            sb.Append($"<line x1=\"{C(x)}\" y1=\"{C(top + gridH)}\" x2=\"{C(x)}\" y2=\"{C(top + gridH + 4)}\" stroke=\"#333\"/><text x=\"{C(x)}\" y=\"{C(top + gridH + 17)}\" text-anchor=\"middle\">{t.Label}</text>");
        }

        foreach (var t in rowTicks)
        {
            var y = top + ((t.Value + 0.5) * cell);
            sb.Append($"<line x1=\"{C(left - 4)}\" y1=\"{C(y)}\" x2=\"{C(left)}\" y2=\"{C(y)}\" stroke=\"#333\"/><text x=\"{C(left - 7)}\" y=\"{C(y + 4)}\" text-anchor=\"end\">{t.Label}</text>");
        }

        sb.Append("</g>");
        sb.Append($"<text class=\"axis-title\" x=\"{C(left + (gridW / 2))}\" y=\"{C(height - 12)}\" text-anchor=\"middle\" font-size=\"13\">{Markup.Escape(XTitle)}</text>");
        sb.Append($"<text class=\"axis-title\" transform=\"translate(16 {C(top + (gridH / 2))}) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">{Markup.Escape(YTitle)}</text>");

        // Colour bar with its own axis.
        sb.Append($"<g class=\"colorbar\"><rect x=\"{C(barX)}\" y=\"{C(top)}\" width=\"18\" height=\"{C(gridH)}\" fill=\"url(#plot-{Id}-scale)\" stroke=\"#333\"/>");
        foreach (var t in barTicks)
        {
            var y = top + gridH - ((t.Value - vMin) / (vMax - vMin) * gridH);
            sb.Append($"<line x1=\"{C(barX + 18)}\" y1=\"{C(y)}\" x2=\"{C(barX + 22)}\" y2=\"{C(y)}\" stroke=\"#333\"/><text x=\"{C(barX + 25)}\" y=\"{C(y + 4)}\" fill=\"#222\">{Markup.Escape(t.Label)}</text>");
        }

        var titleX = barX + 18 + 8 + (barLabelChars * CharWidth) + 14;
        sb.Append($"<text class=\"axis-title\" transform=\"translate({C(titleX)} {C(top + (gridH / 2))}) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">{Markup.Escape(ColorBarTitle)}</text></g>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static List<Tick> IndexTicks(int count, int span)
    {
        static string Label(int i, int span) => (i * span).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (count <= 16)
        {
            return Enumerable.Range(0, count).Select(i => new Tick(i, Label(i, span))).ToList();
        }

        var step = Math.Max(1, (int)Math.Round(Ticks.NiceStep(count - 1, 6)));
        var list = new List<Tick>();
        for (var i = 0; i < count; i += step)
        {
            list.Add(new Tick(i, Label(i, span)));
        }

        return list;
    }

    private static string C(double v) => Markup.Coord(v);
}
