using CimHil.Core.IO;
using CimHil.Reporting.Svg;

namespace CimHil.Reporting;

/// <summary>
/// Writes a <see cref="StudyReport"/> as one self-contained HTML file with the run report's page, table and chart code
/// (inline CSS and SVG, no script, no request): the aggregated table, then per method the Monte-Carlo accuracy histogram
/// of all seeds' chips (one series per variation model) and the worst case against k with its band across seeds.
/// </summary>
public static class StudyReportWriter
{
    /// <summary>The id of method <paramref name="method"/>'s Monte-Carlo histogram (the svg is <c>plot-</c> + id).</summary>
    public static string MonteCarloId(string method) => "study-mc-" + method;

    /// <summary>The id of method <paramref name="method"/>'s worst-case chart.</summary>
    public static string WorstCaseId(string method) => "study-wc-" + method;

    public static async Task WriteAsync(StudyReport report, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await AtomicFile.WriteAllTextAsync(path, Render(report), cancellationToken).ConfigureAwait(false);
    }

    public static string Render(StudyReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var table = ReportWriter.Table(report.Columns, [.. report.Rows.Select(r => r.Select(Markup.Escape).ToArray())]);
        var sections = new List<(string Id, string Title, string Body)>
        {
            ("table", "Across seeds", (report.Summary is null ? string.Empty : $"<p>{Markup.Escape(report.Summary)}</p>")
                + table + string.Concat(report.Notes.Select(n => $"<p class=\"note\">{Markup.Escape(n)}</p>"))),
        };
        foreach (var m in report.Methods)
        {
            sections.Add(($"method-{m.Method}", m.Method,
                ReportWriter.Figure(MonteCarlo(m).Render(), $"{m.Method}: Monte-Carlo accuracy of every chip of every seed, one series per variation model.")
                + ReportWriter.Figure(WorstCase(m).Render(), $"{m.Method}: worst-case accuracy against k, mean over seeds with its 95 % Student-t interval (bars), lowest and highest seed (dashed).")));
        }

        return ReportWriter.Document(report.Title, report.Provenance, sections);
    }

    private static XyChart MonteCarlo(StudyMethodFigures m)
    {
        var chart = new XyChart(MonteCarloId(m.Method), new AxisSpec("accuracy (%)"), new AxisSpec("simulated chips (count)", IncludeZero: true))
        {
            Width = 900,
            Height = 320,
            Title = $"{m.Method}: Monte-Carlo accuracy",
            Description = $"Monte-Carlo accuracy histogram of {m.Method}",
        };

        // Shared bins over every model's chips, so the series compare bar for bar.
        var all = m.Models.SelectMany(x => x.ChipAccuracies).Where(double.IsFinite).Select(a => a * 100).Order().ToArray();
        var bins = all.Length == 0 ? 6 : HistogramBins.SuggestBinCount(all, 6, 50);
        var (lo, hi) = all.Length == 0 ? (0.0, 100.0) : (all[0], all[^1]);
        for (var i = 0; i < m.Models.Length; i++)
        {
            var percent = m.Models[i].ChipAccuracies.Where(double.IsFinite).Select(a => a * 100).ToArray();
            chart.Add(new BarSeries($"{m.Models[i].Model}, n = {percent.Length}", Palette.SeriesColor(i), HistogramBins.Create(percent, bins, lo, hi), AsDensity: false, Opacity: 0.45));
        }

        return chart;
    }

    private static XyChart WorstCase(StudyMethodFigures m)
    {
        var chart = new XyChart(WorstCaseId(m.Method), new AxisSpec("bound k (multiples of σ)", IncludeZero: true), new AxisSpec("accuracy (%)"))
        {
            Width = 900,
            Height = 320,
            Title = $"{m.Method}: worst case against k",
            Description = $"Worst-case accuracy of {m.Method} against bound k across seeds",
        };
        for (var i = 0; i < m.Models.Length; i++)
        {
            var points = m.Models[i].WorstCase.OrderBy(p => p.K).ToArray();
            var color = Palette.SeriesColor(i);
            chart.Add(new ScatterSeries(
                $"{m.Models[i].Model}, mean",
                color,
                [.. points.Select(p => new PlotPoint(p.K, p.Mean * 100))],
                [.. points.Select(p => double.IsFinite(p.Low) ? ((double Low, double High)?)(p.Low * 100, p.High * 100) : null)],
                Connect: true));
            chart.Add(new LineSeries(null, color, [.. points.Select(p => new PlotPoint(p.K, p.Minimum * 100))], Dashed: true));
            chart.Add(new LineSeries(null, color, [.. points.Select(p => new PlotPoint(p.K, p.Maximum * 100))], Dashed: true));
        }

        return chart;
    }
}
