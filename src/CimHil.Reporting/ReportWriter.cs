using System.Globalization;
using System.Text;
using CimHil.Core.IO;
using CimHil.Reporting.Svg;

namespace CimHil.Reporting;

/// <summary>
/// Writes a <see cref="RunReport"/> as ONE self-contained HTML file: inline CSS, inline SVG plots, no script,
/// no external request (it opens offline and prints). Sections that are absent from the report are left out.
/// </summary>
public static class ReportWriter
{
    /// <summary>Renders the report and writes it to <paramref name="path"/> atomically (UTF-8, directories created).</summary>
    public static void Write(RunReport report, string path)
    {
        ArgumentNullException.ThrowIfNull(report);
        AtomicFile.WriteAllText(path, Render(report));
    }

    /// <summary>Renders the report and writes it to <paramref name="path"/> asynchronously.</summary>
    public static async Task WriteAsync(RunReport report, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await AtomicFile.WriteAllTextAsync(path, Render(report), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The complete HTML document.</summary>
    public static string Render(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sections = new List<(string Id, string Title, string Body)>();

        if (report.Summary is { } summary)
        {
            sections.Add(("summary", "Summary", SummaryTable(summary)));
        }

        if (report.Provenance is { } provenance)
        {
            sections.Add(("provenance", "Provenance", ProvenanceTable(provenance)));
        }

        if (report.ConductanceMap is { } map)
        {
            var caption = map.Caption is null ? string.Empty : $", {map.Caption}";
            sections.Add(("conductance-map", "Conductance map", Figure(
                ReportFigures.ConductanceMap(map).Render(),
                $"Conductance of each cell of the {map.Rows}×{map.Columns} array (µS){caption}. {MapStatistics(map)}")));
        }

        var levels = report.LevelHistograms.OrEmpty();
        if (levels.Length > 0)
        {
            sections.Add(("level-histograms", "Programmed conductance per level", Figure(
                ReportFigures.LevelHistograms(levels).Render(),
                "Density histograms of the programmed conductance for each target level (bars) with the fitted error distribution (line). "
                + "The fit is parameterised by offset (mean − target) and standard deviation σ.")
                + "<div class=\"multiples\">" + string.Concat(ReportFigures.LevelPanels(levels).Select(c => $"<figure>{c.Render()}</figure>")) + "</div>"
                + "<p class=\"note\">Per level, on its own scale: histogram (bars), fitted distribution (black line), target (dashed).</p>"
                + LevelTable(levels)));
        }

        if (report.Sigma is { } sigma && sigma.Points.OrEmpty().Length > 0)
        {
            sections.Add(("sigma", "Programming σ versus conductance", Figure(
                ReportFigures.Sigma(sigma).Render(),
                "Standard deviation of the programmed conductance per target level with bootstrap confidence intervals, and the fitted polynomial σ(G).")));
        }

        if (report.Drift is { } drift && drift.Levels.OrEmpty().Length > 0)
        {
            sections.Add(("drift", "Conductance drift", Figure(
                ReportFigures.Drift(drift).Render(),
                "Mean conductance per level versus time after programming (log–log) with fitted power laws G(t) = G₀·(t/t₀)^(−ν) (Ielmini et al., IEEE TED 2007).")));
        }

        if (report.MonteCarlo is { } mc && mc.Accuracies.OrEmpty().Length > 0)
        {
            sections.Add(("monte-carlo", "Monte-Carlo accuracy", Figure(
                ReportFigures.MonteCarlo(mc).Render(),
                $"Accuracy of {mc.Accuracies.Length} simulated chips drawn from the calibrated variation model; vertical lines mark the mean, the "
                + $"{ReportFigures.Ordinal(mc.PercentileRank)} percentile, the worst case found and the clean (variation-free) accuracy.")));
        }

        if (report.WorstCase is { } wc && wc.Series.OrEmpty().Length > 0)
        {
            sections.Add(("worst-case", "Worst case versus bound", Figure(
                ReportFigures.WorstCase(wc).Render(),
                "Lowest accuracy found within a perturbation bound k, per method.")));
        }

        var custom = report.Sections.OrEmpty();
        for (var i = 0; i < custom.Length; i++)
        {
            var s = custom[i];
            var body = new StringBuilder();
            if (!string.IsNullOrWhiteSpace(s.Text))
            {
                foreach (var paragraph in s.Text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    body.Append("<p>").Append(Markup.Escape(paragraph)).Append("</p>");
                }
            }

            foreach (var link in s.Links.OrEmpty())
            {
                body.Append("<p><a href=\"").Append(Markup.Escape(link.Href)).Append("\">").Append(Markup.Escape(link.Text)).Append("</a></p>");
            }

            if (s.Table is { } table)
            {
                body.Append(Table(table.Columns.OrEmpty(), table.Rows.OrEmpty().Select(r => r.OrEmpty().Select(Markup.Escape).ToArray()).ToList()));
            }

            sections.Add(($"section-{i + 1}", s.Title, body.ToString()));
        }

        return Document(report.Title, report.Provenance, sections);
    }

    internal static string Document(string title, ReportProvenance? provenance, List<(string Id, string Title, string Body)> sections)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<meta name=\"generator\" content=\"CimHil.Reporting\">\n");

        // An empty data: icon stops the browser from asking for /favicon.ico (no request leaves the file).
        sb.Append("<link rel=\"icon\" href=\"data:,\">\n");
        sb.Append("<title>").Append(Markup.Escape(title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        sb.Append("<header><h1>").Append(Markup.Escape(title)).Append("</h1>");
        if (provenance is not null)
        {
            sb.Append("<p class=\"subtitle\">Run <code>").Append(Markup.Escape(provenance.RunId)).Append("</code>");
            if (provenance.Run?.Chip.ToString() is { } chip)
            {
                sb.Append(" · chip ").Append(Markup.Escape(chip));
            }

            if (provenance.StartedUtc is { } started)
            {
                sb.Append(" · ").Append(Markup.Escape(Timestamp(started)));
            }

            sb.Append("</p>");
        }

        sb.Append("</header>\n");
        if (sections.Count > 0)
        {
            sb.Append("<nav class=\"toc\" aria-label=\"Contents\"><h2>Contents</h2><ol>");
            foreach (var (id, sectionTitle, _) in sections)
            {
                sb.Append("<li><a href=\"#").Append(id).Append("\">").Append(Markup.Escape(sectionTitle)).Append("</a></li>");
            }

            sb.Append("</ol></nav>\n");
        }
        else
        {
            sb.Append("<p class=\"empty\">This report has no sections.</p>\n");
        }

        sb.Append("<main>\n");
        foreach (var (id, sectionTitle, body) in sections)
        {
            sb.Append("<section id=\"").Append(id).Append("\"><h2>").Append(Markup.Escape(sectionTitle)).Append("</h2>\n").Append(body).Append("\n</section>\n");
        }

        sb.Append("</main>\n<footer>Generated by CimHil.Reporting");
        if (provenance?.Run?.SoftwareVersion is { } version)
        {
            sb.Append(" · CimHil ").Append(Markup.Escape(version));
        }

        sb.Append(". Conductance in µS, accuracy in %, time in s.</footer>\n</body>\n</html>\n");
        return sb.ToString();
    }

    internal static string Figure(string svg, string caption) =>
        $"<figure>{svg}<figcaption>{Markup.Escape(caption)}</figcaption></figure>";

    private static string SummaryTable(AccuracySummary s)
    {
        var rows = new List<string[]>();
        if (s.Clean is { } clean)
        {
            rows.Add(["Clean accuracy (no variation)", Percent(clean)]);
        }

        if (s.MonteCarloMean is { } mean)
        {
            var sd = s.MonteCarloSd is { } v ? $" ± {Percent(v)}" : string.Empty;
            var n = s.MonteCarloChips is { } chips ? $" ({chips} chips)" : string.Empty;
            rows.Add(["Monte-Carlo mean ± sd", Percent(mean) + sd + n]);
        }

        if (s.Percentile is { } p)
        {
            var ci = s.PercentileInterval is { } i ? $" [{Percent(i.Low)}, {Percent(i.High)}]" : string.Empty;
            rows.Add([$"Monte-Carlo {ReportFigures.Ordinal(s.PercentileRank)} percentile" + (ci.Length > 0 ? $" [{Markup.Significant(s.ConfidenceLevel * 100, 3)} % CI]" : string.Empty), Percent(p) + ci]);
        }

        foreach (var w in s.WorstCase.OrEmpty().OrderBy(w => w.K))
        {
            rows.Add([$"Worst case, k = {Markup.Significant(w.K, 4)}", Percent(w.Accuracy)]);
        }

        return Table(["Quantity", "Value"], rows.Select(r => r.Select(Markup.Escape).ToArray()).ToList(), "summary");
    }

    private static string ProvenanceTable(ReportProvenance p)
    {
        var rows = new List<(string, string)> { ("Run id", p.RunId) };
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                rows.Add((key, value));
            }
        }

        Add("Started (UTC)", p.StartedUtc is { } s ? Timestamp(s) : null);
        Add("Finished (UTC)", p.FinishedUtc is { } f ? Timestamp(f) : null);
        if (p.StartedUtc is { } a && p.FinishedUtc is { } b)
        {
            Add("Duration", $"{Markup.Fixed((b - a).TotalSeconds, 1)} s");
        }

        Add("Chip", p.Run?.Chip.ToString());
        Add("Driver", p.Run?.Driver);
        Add("Device model", p.DeviceModel);
        Add("Config hash", p.Run?.ConfigHash);
        Add("Software version", p.Run?.SoftwareVersion);
        Add("Host", p.Host);
        foreach (var seed in p.Seeds.OrEmpty())
        {
            Add($"Seed: {seed.Key}", seed.Value.ToString(CultureInfo.InvariantCulture));
        }

        foreach (var extra in p.Extra.OrEmpty())
        {
            Add(extra.Key, extra.Value);
        }

        return Table(["Field", "Value"], rows.Select(r => new[] { Markup.Escape(r.Item1), $"<code>{Markup.Escape(r.Item2)}</code>" }).ToList(), "provenance");
    }

    private static string LevelTable(IReadOnlyList<LevelHistogram> levels)
    {
        var rows = levels.Select(l =>
        {
            var samples = l.SamplesS.OrEmpty().Where(double.IsFinite).ToArray();
            var mean = samples.Length > 0 ? samples.Average() : double.NaN;
            var sd = samples.Length > 1 ? Math.Sqrt(samples.Sum(x => (x - mean) * (x - mean)) / (samples.Length - 1)) : double.NaN;
            return new[]
            {
                Us(l.TargetS), samples.Length.ToString(CultureInfo.InvariantCulture), Us(mean), Us(sd),
                l.Fit?.Family.ToString().ToLowerInvariant() ?? "–", l.Fit is { } f ? Us(f.OffsetS) : "–", l.Fit is { } g ? Us(g.SigmaS) : "–",
            }.Select(Markup.Escape).ToArray();
        }).ToList();
        return Table(["Target (µS)", "n", "Mean (µS)", "Sample sd (µS)", "Fitted family", "Fit offset (µS)", "Fit σ (µS)"], rows, "levels");
    }

    private static string MapStatistics(ConductanceMap map)
    {
        var finite = map.ConductanceS.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
        {
            return "No cell was read.";
        }

        var missing = map.ConductanceS.Length - finite.Length;
        return $"Min {Us(finite.Min())} µS, mean {Us(finite.Average())} µS, max {Us(finite.Max())} µS"
            + (missing > 0 ? $"; {missing} {(missing == 1 ? "cell" : "cells")} not read (grey)." : ".");
    }

    internal static string Table(IReadOnlyList<string> columns, IReadOnlyList<string[]> escapedRows, string? cssClass = null)
    {
        var sb = new StringBuilder();
        sb.Append(cssClass is null ? "<table>" : $"<table class=\"{cssClass}\">");
        sb.Append("<thead><tr>");
        foreach (var c in columns)
        {
            sb.Append("<th scope=\"col\">").Append(Markup.Escape(c)).Append("</th>");
        }

        sb.Append("</tr></thead><tbody>");
        foreach (var row in escapedRows)
        {
            sb.Append("<tr>");
            for (var i = 0; i < columns.Count; i++)
            {
                sb.Append("<td>").Append(i < row.Length ? row[i] : string.Empty).Append("</td>");
            }

            sb.Append("</tr>");
        }

        sb.Append("</tbody></table>");
        return sb.ToString();
    }

    private static string Percent(double fraction) => Markup.Fixed(fraction * 100, 2) + " %";

    private static string Us(double siemens) => double.IsFinite(siemens) ? Markup.Significant(siemens * ReportFigures.MicroPerUnit, 4) : "–";

    private static string Timestamp(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    // Plain, print-friendly styling; figures never split across printed pages.
    private const string Css = """
        :root { color-scheme: light; }
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1a1a1a; background: #fff; margin: 0 auto; padding: 1.5rem 2rem 3rem; max-width: 1060px; line-height: 1.45; }
        header h1 { margin: 0 0 .25rem; font-size: 1.7rem; }
        .subtitle { margin: 0; color: #555; }
        nav.toc { border: 1px solid #ddd; background: #fafafa; padding: .5rem 1.25rem; margin: 1.25rem 0; }
        nav.toc h2 { font-size: 1rem; margin: .4rem 0; }
        nav.toc ol { margin: .2rem 0 .5rem; padding-left: 1.4rem; columns: 2; }
        section { margin: 2rem 0; }
        h2 { font-size: 1.3rem; border-bottom: 2px solid #0072B2; padding-bottom: .2rem; }
        figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
        figcaption { color: #444; font-size: .9rem; margin-top: .4rem; max-width: 60rem; }
        svg.plot { display: block; max-width: 100%; height: auto; }
        .multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: .5rem 1.5rem; }
        .multiples figure { margin: .25rem 0; }
        .note { color: #444; font-size: .9rem; }
        table { border-collapse: collapse; margin: .75rem 0; font-size: .92rem; break-inside: avoid; }
        th, td { border: 1px solid #ccc; padding: .3rem .65rem; text-align: left; vertical-align: top; }
        thead th { background: #f0f4f8; }
        tbody tr:nth-child(even) { background: #fafafa; }
        td code { font-size: .85rem; word-break: break-all; }
        footer { margin-top: 3rem; color: #666; font-size: .85rem; border-top: 1px solid #ddd; padding-top: .5rem; }
        @media print {
          body { padding: 0; max-width: none; }
          nav.toc { break-after: page; }
          a { color: inherit; text-decoration: none; }
          section { break-before: auto; }
        }
        """;
}
