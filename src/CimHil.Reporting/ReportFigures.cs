using System.Collections.Immutable;
using CimHil.Core.Devices;
using CimHil.Core.Numerics;
using CimHil.Reporting.Svg;

namespace CimHil.Reporting;

/// <summary>Turns the sections of a <see cref="RunReport"/> into charts (display units: µS, %, s).</summary>
public static class ReportFigures
{
    /// <summary>Siemens → microsiemens, for display only.</summary>
    public const double MicroPerUnit = 1e6;

    /// <summary>data-plot ids of the figures, stable for tests and the pipeline.</summary>
    public static class Ids
    {
        public const string ConductanceMap = "conductance-map";
        public const string LevelHistograms = "level-histograms";
        public const string Sigma = "sigma-vs-g";
        public const string Drift = "drift";
        public const string MonteCarlo = "mc-histogram";
        public const string WorstCase = "worst-case";
    }

    /// <summary>Largest drawn grid side; bigger arrays are block-averaged so the page stays small (one &lt;rect&gt; per drawn cell).</summary>
    public const int MaxHeatmapSide = 128;

    /// <summary>Heatmap of the array in µS; arrays larger than <see cref="MaxHeatmapSide"/> per side are shown as block means.</summary>
    public static Heatmap ConductanceMap(ConductanceMap map)
    {
        var span = BlockSpan(map);
        var rows = (map.Rows + span - 1) / span;
        var columns = (map.Columns + span - 1) / span;
        var values = new double[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                // Mean of the finite cells of the block; NaN (grey) only when none of them was read.
                double sum = 0;
                var n = 0;
                for (var rr = r * span; rr < Math.Min(map.Rows, (r + 1) * span); rr++)
                {
                    for (var cc = c * span; cc < Math.Min(map.Columns, (c + 1) * span); cc++)
                    {
                        var g = map[rr, cc];
                        if (double.IsFinite(g))
                        {
                            sum += g;
                            n++;
                        }
                    }
                }

                values[(r * columns) + c] = n > 0 ? sum / n * MicroPerUnit : double.NaN;
            }
        }

        return new Heatmap(Ids.ConductanceMap, rows, columns, values)
        {
            ColorBarTitle = span == 1 ? "conductance (µS)" : $"mean conductance of {span}×{span} cells (µS)",
            CellSpan = span,
            Description = $"Conductance map of the {map.Rows}x{map.Columns} array",
        };
    }

    /// <summary>Side of the square block one drawn heatmap cell averages (1 when the array fits).</summary>
    public static int BlockSpan(ConductanceMap map) =>
        Math.Max(1, (int)Math.Ceiling(Math.Max(map.Rows, map.Columns) / (double)MaxHeatmapSide));

    /// <summary>Overlaid per-level density histograms with the fitted pdf of each level.</summary>
    public static XyChart LevelHistograms(IReadOnlyList<LevelHistogram> levels)
    {
        var chart = new XyChart(Ids.LevelHistograms, new AxisSpec("programmed conductance (µS)"), new AxisSpec("probability density (1/µS)", IncludeZero: true))
        {
            Width = 1000,
            Height = 430,
            Description = "Histograms of programmed conductance per target level with fitted distributions",
        };
        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            var color = Palette.SeriesColor(i);
            var samplesUs = level.SamplesS.Select(g => g * MicroPerUnit).ToArray();
            var bins = HistogramBins.Auto(samplesUs, minBins: 6, maxBins: 40);
            var name = $"{Markup.Fixed(level.TargetS * MicroPerUnit, 2)} µS, n = {samplesUs.Length}";
            if (level.Fit is { } fit)
            {
                name += $": {FamilyName(fit.Family)}, σ = {Markup.Significant(fit.SigmaS * MicroPerUnit, 3)} µS";
            }

            chart.Add(new BarSeries(name, color, bins, AsDensity: true, Opacity: 0.4));
            if (level.Fit is { } f && f.SigmaS > 0)
            {
                var mu = (level.TargetS + f.OffsetS) * MicroPerUnit;
                var sigma = f.SigmaS * MicroPerUnit;
                var lo = Math.Min(bins.Edges[0], mu - (4 * sigma));
                var hi = Math.Max(bins.Edges[^1], mu + (4 * sigma));
                var curve = Enumerable.Range(0, 121)
                    .Select(k => lo + ((hi - lo) * k / 120.0))
                    .Select(x => new PlotPoint(x, Pdf(f.Family, x, mu, sigma)))
                    .ToArray();
                chart.Add(new LineSeries(null, color, curve));
            }
        }

        if (levels.Any(l => l.Fit is not null))
        {
            chart.Add(new LineSeries("fitted pdf (line, same colour)", "#555", []));
        }

        return chart;
    }

    /// <summary>One small chart per level on its own x range, so the shape of each distribution and its fit can be compared.</summary>
    public static IReadOnlyList<XyChart> LevelPanels(IReadOnlyList<LevelHistogram> levels) =>
        levels.Select((level, i) =>
        {
            var color = Palette.SeriesColor(i);
            var samplesUs = level.SamplesS.Select(g => g * MicroPerUnit).ToArray();
            var bins = HistogramBins.Auto(samplesUs, minBins: 6, maxBins: 40);
            var title = $"target {Markup.Fixed(level.TargetS * MicroPerUnit, 2)} µS, n = {samplesUs.Length}"
                + (level.Fit is { } fit ? $", {FamilyName(fit.Family)} σ = {Markup.Significant(fit.SigmaS * MicroPerUnit, 3)} µS" : string.Empty);
            var chart = new XyChart($"{Ids.LevelHistograms}-{i}", new AxisSpec("programmed conductance (µS)"), new AxisSpec("density (1/µS)", IncludeZero: true))
            {
                Width = 500,
                Height = 300,
                Title = title,
                Description = $"Histogram of level {i}: {title}",
            };
            chart.Add(new BarSeries(null, color, bins, AsDensity: true, Opacity: 0.45));
            if (level.Fit is { } f && f.SigmaS > 0)
            {
                var mu = (level.TargetS + f.OffsetS) * MicroPerUnit;
                var sigma = f.SigmaS * MicroPerUnit;
                var (lo, hi) = (bins.Edges[0], bins.Edges[^1]);
                chart.Add(new LineSeries(null, "#222", Enumerable.Range(0, 121)
                    .Select(k => lo + ((hi - lo) * k / 120.0))
                    .Select(x => new PlotPoint(x, Pdf(f.Family, x, mu, sigma)))
                    .ToArray()));
            }

            chart.Add(new MarkerLine("target", "#666", level.TargetS * MicroPerUnit, "3 3", InLegend: false));
            return chart;
        }).ToList();

    /// <summary>σ versus target conductance: measured points with CIs and the fitted polynomial.</summary>
    public static XyChart Sigma(SigmaCurve sigma)
    {
        var chart = new XyChart(Ids.Sigma, new AxisSpec("target conductance (µS)", IncludeZero: true), new AxisSpec("programming σ (µS)", IncludeZero: true))
        {
            Description = "Programming standard deviation versus target conductance",
        };
        var points = sigma.Points.Select(p => new PlotPoint(p.TargetS * MicroPerUnit, p.SigmaS * MicroPerUnit)).ToArray();
        var errors = sigma.Points.Select(p => p.SigmaIntervalS is { } ci ? ((double, double)?)(ci.Low * MicroPerUnit, ci.High * MicroPerUnit) : null).ToArray();
        var ciText = sigma.Points.Any(p => p.SigmaIntervalS is not null) ? $" ({Markup.Significant(sigma.ConfidenceLevel * 100, 3)} % CI)" : string.Empty;
        chart.Add(new ScatterSeries("measured σ" + ciText, Palette.SeriesColor(0), points, errors));
        if (sigma.FitS is { } poly && double.IsFinite(sigma.MaxS) && sigma.MaxS > 0)
        {
            var xMax = Math.Max(sigma.MaxS, sigma.Points.Length > 0 ? sigma.Points.Max(p => p.TargetS) : 0);
            var curve = Enumerable.Range(0, 101)
                .Select(k => xMax * k / 100.0)
                .Select(g => new PlotPoint(g * MicroPerUnit, poly.Evaluate(g / sigma.MaxS) * MicroPerUnit))
                .ToArray();
            chart.Add(new LineSeries($"fit: polynomial, degree {poly.Coefficients.Length - 1}", Palette.SeriesColor(1), curve));
        }

        return chart;
    }

    /// <summary>Mean conductance versus time per level on log-log axes, with power-law fit lines.</summary>
    public static XyChart Drift(DriftReport drift)
    {
        var chart = new XyChart(Ids.Drift, new AxisSpec("time after programming (s)", AxisScale.Log), new AxisSpec("mean conductance (µS)", AxisScale.Log))
        {
            Width = 900,
            Height = 440,
            Description = "Conductance drift per level with power-law fits",
        };
        for (var i = 0; i < drift.Levels.Length; i++)
        {
            var level = drift.Levels[i];
            var color = Palette.SeriesColor(i);
            var name = $"{Markup.Fixed(level.TargetS * MicroPerUnit, 2)} µS" + (level.Fit is { } fit ? $": ν = {Markup.Fixed(fit.Nu, 3)}" : string.Empty);
            chart.Add(new ScatterSeries(name, color, level.Points.Select(p => new PlotPoint(p.TimeSeconds, p.MeanConductanceS * MicroPerUnit)).ToArray()));
            var times = level.Points.Select(p => p.TimeSeconds).Where(t => t > 0).ToArray();
            if (level.Fit is { } f && times.Length > 0)
            {
                var (t0, t1) = (Math.Log10(times.Min()), Math.Log10(times.Max()));
                var line = Enumerable.Range(0, 41)
                    .Select(k => Math.Pow(10, t0 + ((t1 - t0) * k / 40.0)))
                    .Select(t => new PlotPoint(t, f.Evaluate(t) * MicroPerUnit))
                    .ToArray();
                chart.Add(new LineSeries(null, color, line));
            }
        }

        if (drift.Levels.Any(l => l.Fit is not null))
        {
            chart.Add(new LineSeries("power-law fit G₀·(t/t₀)^(−ν)", "#555", []));
        }

        return chart;
    }

    /// <summary>Histogram of per-chip Monte-Carlo accuracy with mean, percentile, worst-case and clean markers.</summary>
    public static XyChart MonteCarlo(MonteCarloAccuracy mc)
    {
        var chart = new XyChart(Ids.MonteCarlo, new AxisSpec("accuracy (%)"), new AxisSpec("simulated chips (count)", IncludeZero: true))
        {
            Width = 900,
            Description = "Monte-Carlo accuracy histogram",
        };
        var percent = mc.Accuracies.Where(double.IsFinite).Select(a => a * 100).ToArray();
        chart.Add(new BarSeries($"per-chip accuracy, n = {percent.Length}", Palette.SeriesColor(0), HistogramBins.Auto(percent, 6, 50), AsDensity: false, Opacity: 0.5));
        if (percent.Length > 0)
        {
            chart.Add(new MarkerLine($"mean {Markup.Fixed(percent.Average(), 2)} %", "#000000", percent.Average()));
        }

        var p = PercentileOf(mc);
        if (p is { } pv)
        {
            chart.Add(new MarkerLine($"{Ordinal(mc.PercentileRank)} percentile {Markup.Fixed(pv * 100, 2)} %", Palette.SeriesColor(1), pv * 100));
        }

        if (mc.WorstCase is { } worst)
        {
            chart.Add(new MarkerLine($"worst case {Markup.Fixed(worst * 100, 2)} %", Palette.SeriesColor(3), worst * 100, "2 3"));
        }

        if (mc.Clean is { } clean)
        {
            chart.Add(new MarkerLine($"clean {Markup.Fixed(clean * 100, 2)} %", Palette.SeriesColor(2), clean * 100, "10 3"));
        }

        return chart;
    }

    /// <summary>Worst-case accuracy versus bound k, one connected series each.</summary>
    public static XyChart WorstCase(WorstCaseCurve curve)
    {
        var chart = new XyChart(Ids.WorstCase, new AxisSpec(curve.KAxisTitle, IncludeZero: true), new AxisSpec("accuracy (%)"))
        {
            Width = 900,
            Description = "Worst-case accuracy versus bound k",
        };
        for (var i = 0; i < curve.Series.Length; i++)
        {
            var s = curve.Series[i];
            chart.Add(new ScatterSeries(s.Name, Palette.SeriesColor(i), s.Points.OrderBy(p => p.K).Select(p => new PlotPoint(p.K, p.Accuracy * 100)).ToArray(), Connect: true));
        }

        return chart;
    }

    /// <summary>The reported percentile: the given value, else the type-7 quantile of the accuracies.</summary>
    public static double? PercentileOf(MonteCarloAccuracy mc)
    {
        if (mc.Percentile is { } given)
        {
            return given;
        }

        var sorted = mc.Accuracies.Where(double.IsFinite).Order().ToArray();
        return sorted.Length == 0 ? null : OrderStatistics.Percentile(sorted, Math.Clamp(mc.PercentileRank, 0, 100));
    }

    /// <summary>Probability density of a family parameterised by mean and standard deviation (all three have finite variance).</summary>
    public static double Pdf(ErrorDistribution family, double x, double mean, double sd)
    {
        switch (family)
        {
            case ErrorDistribution.Normal:
                var z = (x - mean) / sd;
                return Math.Exp(-0.5 * z * z) / (sd * Math.Sqrt(2 * Math.PI));
            case ErrorDistribution.Laplace:
                // Variance of Laplace(b) is 2b², so b = σ/√2.
                var b = sd / Math.Sqrt(2);
                return Math.Exp(-Math.Abs(x - mean) / b) / (2 * b);
            case ErrorDistribution.Logistic:
                // Variance of Logistic(s) is s²π²/3, so s = σ√3/π.
                var s = sd * Math.Sqrt(3) / Math.PI;
                var e = Math.Exp(-Math.Abs(x - mean) / s);
                return e / (s * (1 + e) * (1 + e));
            default:
                throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown error distribution family.");
        }
    }

    /// <summary>"1st", "2nd", "5th", "2.5th".</summary>
    public static string Ordinal(double rank)
    {
        var text = Markup.Significant(rank, 4);
        if (rank != Math.Floor(rank))
        {
            return text + "th";
        }

        var n = (long)rank;
        var suffix = (n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
        return text + suffix;
    }

    private static string FamilyName(ErrorDistribution family) => family.ToString().ToLowerInvariant();

    internal static ImmutableArray<T> OrEmpty<T>(this ImmutableArray<T> array) => array.IsDefault ? [] : array;
}
