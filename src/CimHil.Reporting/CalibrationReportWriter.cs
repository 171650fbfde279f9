using System.Globalization;
using CimHil.Core.Devices;
using CimHil.Core.IO;
using CimHil.Reporting.Svg;

namespace CimHil.Reporting;

/// <summary>
/// Writes a <see cref="CalibrationReport"/> as one self-contained HTML file in the run report's style (inline CSS and SVG,
/// no script, no request): per-level histograms with the chosen family, σ(G) with its band, verify failures and
/// outliers, relaxation before/after, and the provenance of imported data.
/// </summary>
public static class CalibrationReportWriter
{
    private const double Micro = ReportFigures.MicroPerUnit;

    public static async Task WriteAsync(CalibrationReport report, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await AtomicFile.WriteAllTextAsync(path, Render(report), cancellationToken).ConfigureAwait(false);
    }

    public static string Render(CalibrationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var m = report.Model;
        var sections = new List<(string Id, string Title, string Body)>
        {
            ("model", "Model", ModelTable(report)),
        };

        var levels = m.Programming.Levels;
        if (levels.Length > 0)
        {
            var panels = levels.Select((l, i) => LevelPanel(l, i, ValuesOf(report, l.TargetS))).ToList();
            sections.Add(("levels", "Programmed conductance per level", "<div class=\"multiples\">" + string.Concat(panels.Select(c => $"<figure>{c.Render()}</figure>")) + "</div>"
                + "<p class=\"note\">Per level: settled conductance of the cells that verified (bars; outliers beyond the plotted range are listed below), "
                + "the distribution family chosen by the smallest Kolmogorov–Smirnov statistic (black line), the target (dashed) and the verify window (dotted).</p>"
                + LevelTable(levels)));
            sections.Add(("failures", "Verify failures and outliers", FailureTable(m)));
        }

        if (levels.Length > 0)
        {
            sections.Add(("sigma", "σ versus conductance", ReportWriter.Figure(SigmaChart(m).Render(),
                "Programming σ per measured level with its bootstrap 95 % interval (points), the polynomial used at measured levels (dashed), and the smooth σ(G) "
                + "used at every other level with its 95 % bootstrap band (solid, band dotted).") + SigmaText(m)));
        }

        if (m.Relaxation is { } r)
        {
            sections.Add(("relaxation", "Relaxation", (r.OverTime.Length > 0 ? ReportWriter.Figure(RelaxationChart(r).Render(),
                $"Mean conductance per level at every read time (points) with ±σ over cells (bars); phases {r.Before} → {r.After}.") : string.Empty)
                + RelaxationTable(r)));
        }

        sections.Add(("provenance", "Provenance of the data", ProvenanceTable(report)));
        return ReportWriter.Document(report.Title, null, sections);
    }

    private static IReadOnlyList<double> ValuesOf(CalibrationReport report, double targetS) =>
        report.Levels.Where(l => Math.Abs(l.TargetS - targetS) <= 1e-9 * Math.Max(Math.Abs(targetS), 1e-12)).Select(l => l.ValuesS).FirstOrDefault() ?? [];

    private static XyChart LevelPanel(LevelStatistics level, int index, IReadOnlyList<double> valuesS)
    {
        // Outliers are drawn only when they lie within 6 robust σ of the level: a 25 σ outlier would squash the histogram.
        var outliers = level.Verification?.OutlierValuesS.ToHashSet() ?? [];
        var shown = valuesS.Where(v => !outliers.Contains(v)).Select(v => v * Micro).ToArray();
        var bins = HistogramBins.Auto(shown, minBins: 6, maxBins: 40);
        var d = level.Distribution;
        var title = $"target {Markup.Fixed(level.TargetS * Micro, 2)} µS, n = {shown.Length}" + (d is null ? string.Empty : $", {Name(d.Family)}");
        var chart = new XyChart($"calibration-level-{index}", new AxisSpec("settled conductance (µS)"), new AxisSpec("density (1/µS)", IncludeZero: true))
        {
            Width = 500,
            Height = 300,
            Title = title,
            Description = $"Histogram of level {index}: {title}",
        };
        chart.Add(new BarSeries(null, Palette.SeriesColor(index), bins, AsDensity: true, Opacity: 0.45));
        if (d is not null && bins.Edges.Count > 1)
        {
            var (lo, hi) = (bins.Edges[0], bins.Edges[^1]);
            var xs = Enumerable.Range(0, 161).Select(k => lo + ((hi - lo) * k / 160.0)).ToArray();
            chart.Add(new LineSeries(null, "#222", xs.Select(x => new PlotPoint(x, Density(d, x / Micro) / Micro)).ToArray()));
        }

        chart.Add(new MarkerLine("target", "#666", level.TargetS * Micro, "3 3", InLegend: false));
        if (level.Verification is { WindowLowS: { } wl, WindowHighS: { } wh })
        {
            chart.Add(new MarkerLine("window", "#999", wl * Micro, "1 3", InLegend: false));
            chart.Add(new MarkerLine("window", "#999", wh * Micro, "1 3", InLegend: false));
        }

        return chart;
    }

    /// <summary>The density (1/S) of a level's fitted family at G (S); the truncated normal is normalised numerically over its window.</summary>
    public static double Density(LevelDistribution d, double g)
    {
        static double Phi(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);
        double P(string n) => d.Parameter(n) ?? double.NaN;
        switch (d.Family)
        {
            case LevelFamily.LogNormal:
                return g > 0 ? Phi((Math.Log(g) - P("logMean")) / P("logSigma")) / (g * P("logSigma")) : 0;
            case LevelFamily.Uniform:
                return g >= P("windowLowS") && g <= P("windowHighS") ? 1 / (P("windowHighS") - P("windowLowS")) : 0;
            case LevelFamily.TruncatedNormal:
                var (a, b, mu, s) = (P("windowLowS"), P("windowHighS"), P("meanS"), P("sigmaS"));
                if (g < a || g > b)
                {
                    return 0;
                }

                // Trapezoid integral of the normal density over [a, b] (400 steps: < 10⁻⁵ relative error for a smooth bell).
                var mass = 0.0;
                for (var k = 0; k <= 400; k++)
                {
                    var w = k is 0 or 400 ? 0.5 : 1;
                    mass += w * Phi((a + ((b - a) * k / 400.0) - mu) / s) / s;
                }

                mass *= (b - a) / 400.0;
                return Phi((g - mu) / s) / s / mass;
            default:
                return Phi((g - P("meanS")) / P("sigmaS")) / P("sigmaS");
        }
    }

    private static XyChart SigmaChart(DeviceVariationModel m)
    {
        var chart = new XyChart("calibration-sigma", new AxisSpec("conductance (µS)", IncludeZero: true), new AxisSpec("programming σ (µS)", IncludeZero: true))
        {
            Description = "Programming sigma versus conductance with the smooth fit and its confidence band",
        };
        var levels = m.Programming.Levels;
        chart.Add(new ScatterSeries("measured σ (95 % CI)", Palette.SeriesColor(0), levels.Select(l => new PlotPoint(l.TargetS * Micro, l.SigmaS * Micro)).ToArray(),
            levels.Select(l => l.SigmaIntervalS is { } i ? ((double, double)?)(i.Low * Micro, i.High * Micro) : null).ToArray()));
        var xs = Enumerable.Range(0, 101).Select(k => m.Window.MinS + (m.Window.SpanS * k / 100.0)).ToArray();
        chart.Add(new LineSeries("polynomial (measured levels)", "#888", xs.Select(g => new PlotPoint(g * Micro, Math.Max(0, m.Programming.SigmaS.Evaluate(m.Window.Normalise(g))) * Micro)).ToArray(), Dashed: true));
        if (m.Programming.SigmaOfG is { } curve)
        {
            chart.Add(new LineSeries($"σ(G), {curve.Form}", Palette.SeriesColor(1), xs.Select(g => new PlotPoint(g * Micro, curve.Evaluate(m.Window.Normalise(g)) * Micro)).ToArray()));
            if (curve.Band.Length > 0)
            {
                chart.Add(new LineSeries("95 % band", Palette.SeriesColor(1), curve.Band.Select(p => new PlotPoint(p.ConductanceS * Micro, p.LowS * Micro)).ToArray(), Dashed: true));
                chart.Add(new LineSeries(null, Palette.SeriesColor(1), curve.Band.Select(p => new PlotPoint(p.ConductanceS * Micro, p.HighS * Micro)).ToArray(), Dashed: true));
            }
        }

        return chart;
    }

    private static string SigmaText(DeviceVariationModel m)
    {
        if (m.Programming.SigmaOfG is not { } c)
        {
            return string.Empty;
        }

        var formula = c.Form == SigmaOfConductance.PowerLaw ? "σ = a·x^b" : "σ = a + b·x";
        return $"<p>{Markup.Escape(formula)}, x = G / {Us(m.Window.MaxS)} µS: a = {Us(c.A)} µS{Ci(c.AInterval, Micro)}, b = {Markup.Significant(c.Form == SigmaOfConductance.PowerLaw ? c.B : c.B * Micro, 4)}"
            + $"{(c.Form == SigmaOfConductance.PowerLaw ? Ci(c.BInterval, 1) : Ci(c.BInterval, Micro) + " µS")}; weighted χ² linear {Markup.Significant(c.LinearChiSquare ?? double.NaN, 3)}, "
            + $"power law {Markup.Significant(c.PowerLawChiSquare ?? double.NaN, 3)} (the smaller is chosen).</p>";
    }

    private static string LevelTable(IReadOnlyList<LevelStatistics> levels) => ReportWriter.Table(
        ["target (µS)", "n", "σ (µS) [95 % CI]", "family", "parameters [95 % CI]", "KS D", "candidates (KS D)"],
        levels.Select(l => new[]
        {
            Us(l.TargetS),
            l.Count.ToString(CultureInfo.InvariantCulture),
            Us(l.SigmaS) + Ci(l.SigmaIntervalS, Micro),
            Markup.Escape(l.Distribution is { } d ? Name(d.Family) : l.Family.ToString()),
            Markup.Escape(l.Distribution is { } dd ? string.Join("; ", dd.Parameters.Select(Parameter)) : string.Empty),
            Markup.Significant(l.Distribution?.Fit?.Statistic ?? l.Fit?.Statistic ?? double.NaN, 3),
            Markup.Escape(l.Distribution is { } c ? string.Join(", ", c.Candidates.Select(x => $"{Name(x.Family)} {Markup.Significant(x.Fit.Statistic, 3)}")) : string.Empty),
        }).ToList());

    private static string FailureTable(DeviceVariationModel m)
    {
        var rows = m.Programming.Levels.Select(l => l.Verification is not { } v
            ? new[] { Us(l.TargetS), "–", "–", "–", "–", "–" }
            : [
                Us(l.TargetS),
                v.Attempted.ToString(CultureInfo.InvariantCulture),
                v.Failed.ToString(CultureInfo.InvariantCulture),
                Markup.Fixed(v.FailureRate * 100, 2) + " %" + (v.FailureRateInterval is { } i ? $" [{Markup.Fixed(i.Low * 100, 2)}, {Markup.Fixed(i.High * 100, 2)}]" : string.Empty),
                v.Outliers.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", v.OutlierValuesS.Select(o => Us(o)))),
            ]).ToList();
        var threshold = m.Programming.OutlierThreshold is { } t ? Markup.Significant(t, 3) : "3.5";
        return ReportWriter.Table(["target (µS)", "programmed", "never verified", "failure rate [Wilson 95 %]", "outliers", "outlier values (µS)"], rows)
            + $"<p class=\"note\">Cells that never verified and outliers (modified z-score |0.6745·(G − median)/MAD| &gt; {threshold}, Iglewicz &amp; Hoaglin 1993) "
            + "are kept out of the fitted spread and counted here; programmed = fitted + outliers + never verified.</p>";
    }

    private static XyChart RelaxationChart(RelaxationModel r)
    {
        var positive = r.OverTime.All(p => p.ElapsedSeconds > 0);
        var chart = new XyChart("calibration-relaxation", new AxisSpec("time since programming (s)", positive ? AxisScale.Log : AxisScale.Linear), new AxisSpec("mean conductance (µS)"))
        {
            Description = "Mean conductance per level over time across the relaxation phases",
        };
        var i = 0;
        foreach (var level in r.OverTime.GroupBy(p => p.TargetS).OrderBy(g => g.Key))
        {
            var pts = level.OrderBy(p => p.ElapsedSeconds).ToList();
            chart.Add(new ScatterSeries($"{Us(level.Key)} µS", Palette.SeriesColor(i++), pts.Select(p => new PlotPoint(p.ElapsedSeconds, p.MeanS * Micro)).ToArray(),
                pts.Select(p => ((double, double)?)((p.MeanS - p.SigmaS) * Micro, (p.MeanS + p.SigmaS) * Micro)).ToArray(), Connect: true));
        }

        return chart;
    }

    private static string RelaxationTable(RelaxationModel r)
    {
        var conditions = $"<p>Before: <b>{Markup.Escape(r.Before)}</b>{At(r.BeforeElapsedSeconds, r.BeforeTemperatureK)}; after: <b>{Markup.Escape(r.After)}</b>{At(r.AfterElapsedSeconds, r.AfterTemperatureK)}"
            + (r.DurationSeconds is { } d ? $"; duration {Markup.Significant(d, 4)} s" : string.Empty) + ".</p>";
        return conditions + ReportWriter.Table(
            ["target (µS)", "cells", "mean before → after (µS)", "shift (µS) [95 % CI]", "σ before → after (µS)", "σ growth (µS) [95 % CI]", "σ of change (µS)"],
            r.Levels.Select(l => new[]
            {
                Us(l.TargetS),
                l.Cells.ToString(CultureInfo.InvariantCulture),
                $"{Us(l.MeanBeforeS)} → {Us(l.MeanAfterS)}",
                Us(l.MeanShiftS) + Ci(l.MeanShiftIntervalS, Micro),
                $"{Us(l.SigmaBeforeS)} → {Us(l.SigmaAfterS)}",
                Us(l.SigmaGrowthS) + Ci(l.SigmaGrowthIntervalS, Micro),
                Us(l.ChangeSigmaS),
            }).ToList());
    }

    private static string At(double? seconds, double? kelvin) =>
        (seconds is { } s ? $" at t = {Markup.Significant(s, 4)} s" : string.Empty) + (kelvin is { } k ? $", {Markup.Significant(k, 5)} K" : string.Empty);

    private static string ModelTable(CalibrationReport report)
    {
        var m = report.Model;
        var rows = new List<string[]>
        {
            new[] { "Model", Markup.Escape(m.Name) + (report.ModelPath is { } p ? $" (<code>{Markup.Escape(p)}</code>)" : string.Empty) },
            new[] { "Technology", Markup.Escape(m.Technology.ToString()) },
            new[] { "Window", $"{Us(m.Window.MinS)} … {Us(m.Window.MaxS)} µS" },
            new[] { "Store", report.StorePath is { } s ? $"<code>{Markup.Escape(s)}</code>" : "–" },
            new[] { "Source", Markup.Escape(m.Provenance.Source) },
            new[] { "Created (UTC)", m.Provenance.CreatedUtc is { } c ? Markup.Escape(c.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)) : "–" },
            new[] { "Software version", Markup.Escape(m.Provenance.SoftwareVersion ?? "–") },
        };
        return ReportWriter.Table(["Field", "Value"], rows, "provenance");
    }

    private static string ProvenanceTable(CalibrationReport report)
    {
        if (report.Imports.Count == 0)
        {
            return "<p>The store holds no imports: it was measured by <code>cimhil characterize</code> (run "
                + Markup.Escape(report.Model.Provenance.RunId ?? "?") + ", chip " + Markup.Escape(report.Model.Provenance.ChipId ?? "?") + ").</p>";
        }

        return ReportWriter.Table(
            ["imported (UTC)", "kind", "procedure", "file", "SHA-256", "rows", "skipped rows"],
            report.Imports.Select(i => new[]
            {
                Markup.Escape(i.ImportedUtc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)),
                Markup.Escape(i.Kind),
                Markup.Escape(i.Procedure),
                $"<code>{Markup.Escape(i.File)}</code>",
                $"<code>{Markup.Escape(i.Sha256)}</code>",
                i.Rows.ToString(CultureInfo.InvariantCulture),
                i.SkippedRows.ToString(CultureInfo.InvariantCulture),
            }).ToList(), "provenance")
            + string.Concat(report.Imports.Select(i => i.MappingJson).Distinct().Select(j => $"<details><summary>mapping</summary><pre>{Markup.Escape(j)}</pre></details>"));
    }

    private static string Parameter(DistributionParameter p)
    {
        var scale = p.Name.EndsWith('S') ? Micro : 1;
        var unit = p.Name.EndsWith('S') ? " µS" : string.Empty;
        var name = p.Name.EndsWith('S') ? p.Name[..^1] : p.Name;
        return $"{name} = {Markup.Significant(p.Value * scale, 4)}{unit}" + (p.Interval is { } i ? $" [{Markup.Significant(i.Low * scale, 4)}, {Markup.Significant(i.High * scale, 4)}]" : string.Empty);
    }

    private static string Name(LevelFamily f) => f switch
    {
        LevelFamily.LogNormal => "log-normal",
        LevelFamily.TruncatedNormal => "truncated normal",
        LevelFamily.Uniform => "uniform in window",
        _ => "normal",
    };

    private static string Ci(Interval? i, double scale) => i is null ? string.Empty : $" [{Markup.Significant(i.Low * scale, 4)}, {Markup.Significant(i.High * scale, 4)}]";

    private static string Us(double siemens) => double.IsFinite(siemens) ? Markup.Significant(siemens * Micro, 4) : "–";
}
