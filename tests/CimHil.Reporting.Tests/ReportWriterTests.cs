using System.Text.RegularExpressions;
using System.Xml.Linq;
using CimHil.Core.Devices;

namespace CimHil.Reporting.Tests;

public partial class ReportWriterTests
{
    private static readonly string[] AllPlots =
    [
        ReportFigures.Ids.ConductanceMap, ReportFigures.Ids.LevelHistograms, ReportFigures.Ids.Sigma,
        ReportFigures.Ids.Drift, ReportFigures.Ids.MonteCarlo, ReportFigures.Ids.WorstCase,
        .. Enumerable.Range(0, SyntheticReport.LevelsS.Length).Select(i => $"{ReportFigures.Ids.LevelHistograms}-{i}"),
    ];

    [GeneratedRegex("<svg .*?</svg>", RegexOptions.Singleline)]
    private static partial Regex SvgElement();

    [GeneratedRegex("\\sid=\"([^\"]+)\"")]
    private static partial Regex IdAttribute();

    [Fact]
    public void Render_FullReport_EveryIdIsUniqueAndEveryInPageLinkResolves()
    {
        // A section and its figure once shared an id ("drift"), so #drift links and url(#…) references were ambiguous.
        var html = ReportWriter.Render(SyntheticReport.Create());
        var ids = IdAttribute().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Empty(ids.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key));
        foreach (Match link in Regex.Matches(html, "(?:href=\"|url\\()#([^\")]+)"))
        {
            Assert.Contains(link.Groups[1].Value, ids);
        }
    }

    [Fact]
    public void Render_FullReport_HasEveryPlotWithDataAndWellFormedSvg()
    {
        var html = ReportWriter.Render(SyntheticReport.Create());
        var svgs = SvgElement().Matches(html).Select(m => XElement.Parse(m.Value)).ToDictionary(e => e.Attribute("data-plot")!.Value);

        Assert.Equal(AllPlots.Order(), svgs.Keys.Order());
        foreach (var (id, svg) in svgs)
        {
            var declared = int.Parse(svg.Attribute("data-points")!.Value, System.Globalization.CultureInfo.InvariantCulture);
            var marks = svg.Descendants().Count(e => (string?)e.Attribute("class") == "mark");
            Assert.True(declared > 0, $"{id} has no data");
            Assert.Equal(declared, marks);
        }

        Assert.Equal(SyntheticReport.Rows * SyntheticReport.Columns, int.Parse(svgs["conductance-map"].Attribute("data-points")!.Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(SyntheticReport.LevelsS.Length * 11, int.Parse(svgs["drift"].Attribute("data-points")!.Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(8, int.Parse(svgs["sigma-vs-g"].Attribute("data-points")!.Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(15, int.Parse(svgs["worst-case"].Attribute("data-points")!.Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Render_FullReport_IsSelfContainedWithTableOfContents()
    {
        var html = ReportWriter.Render(SyntheticReport.Create());
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal));
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link rel=\"stylesheet\"", html);
        foreach (var id in new[] { "summary", "provenance", "conductance-map", "level-histograms", "sigma", "drift", "monte-carlo", "worst-case", "section-1" })
        {
            Assert.Contains($"<a href=\"#{id}\">", html);
            Assert.Contains($"<section id=\"{id}\">", html);
        }

        // The title is user text: escaped in <title> and <h1>.
        Assert.Contains("<title>CimHil run &lt;demo&gt; &amp; &quot;synthetic&quot; chip</title>", html);
    }

    [Fact]
    public void ConductanceMap_LargeArray_IsBlockAveragedIgnoringUnreadCells()
    {
        // 300×300 → blocks of 3×3 (ceil(300 / 128)), 100×100 drawn cells.
        var values = new double[300 * 300];
        for (var r = 0; r < 300; r++)
        {
            for (var c = 0; c < 300; c++)
            {
                values[(r * 300) + c] = (r < 3 && c < 3) ? (r == 0 && c == 0 ? double.NaN : 8e-6) : 1e-6 * ((r / 3) + 1);
            }
        }

        var map = new ConductanceMap(300, 300, [.. values]);
        var heatmap = ReportFigures.ConductanceMap(map);
        Assert.Equal(3, ReportFigures.BlockSpan(map));
        Assert.Equal((100, 100), (heatmap.Rows, heatmap.Columns));
        Assert.Equal(8.0, heatmap.Values[0], 9);
        Assert.Equal(2.0, heatmap.Values[100], 9);
        Assert.Equal(100.0, heatmap.Values[^1], 9);
        var svg = XElement.Parse(heatmap.Render());
        Assert.Equal("10000", svg.Attribute("data-points")!.Value);
        Assert.Contains("mean conductance of 3×3 cells (µS)", svg.ToString());
    }

    [Fact]
    public void Render_Summary_ShowsPercentagesAndWorstCasePerK()
    {
        var html = ReportWriter.Render(new RunReport
        {
            Title = "s",
            Summary = new AccuracySummary
            {
                Clean = 0.9012,
                MonteCarloMean = 0.8723,
                MonteCarloSd = 0.0111,
                MonteCarloChips = 500,
                Percentile = 0.8456,
                PercentileInterval = new Interval(0.84, 0.85),
                WorstCase = [new(2, 0.761), new(1, 0.842)],
            },
        });
        Assert.Contains("<td>90.12 %</td>", html);
        Assert.Contains("<td>87.23 % ± 1.11 % (500 chips)</td>", html);
        Assert.Contains("<td>Monte-Carlo 1st percentile [95 % CI]</td><td>84.56 % [84.00 %, 85.00 %]</td>", html);
        Assert.True(html.IndexOf("k = 1<", StringComparison.Ordinal) < html.IndexOf("k = 2<", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_DegenerateInputs_StillRendersWellFormedPlots()
    {
        var html = ReportWriter.Render(new RunReport
        {
            Title = "edge cases",
            ConductanceMap = new ConductanceMap(1, 2, [double.NaN, double.NaN]),
            LevelHistograms =
            [
                new LevelHistogram { TargetS = 5e-6, SamplesS = [] },
                new LevelHistogram { TargetS = 10e-6, SamplesS = [10e-6, 10e-6, 10e-6], Fit = new FittedDistribution(ErrorDistribution.Logistic, 0, 0) },
            ],
            Sigma = new SigmaCurve { Points = [new SigmaPoint(5e-6, 0.5e-6)] },
            Drift = new DriftReport { Levels = [new DriftLevel { TargetS = 5e-6, Points = [new DriftPoint(10, 5e-6)], Fit = new PowerLawFit(5e-6, 1, 0) }] },
            MonteCarlo = new MonteCarloAccuracy { Accuracies = [0.9] },
            WorstCase = new WorstCaseCurve { Series = [new WorstCaseSeries("one point", [new(1, 0.8)])] },
        });

        var svgs = SvgElement().Matches(html).Select(m => XElement.Parse(m.Value)).ToList();
        Assert.Equal(8, svgs.Count);
        Assert.DoesNotContain("NaN", html);
        Assert.DoesNotContain("Infinity", html);
        Assert.Contains("No cell was read.", html);
    }

    [Fact]
    public void Render_TitleOnly_HasNoPlotsAndSaysSo()
    {
        var html = ReportWriter.Render(new RunReport { Title = "empty" });
        Assert.DoesNotContain("<svg", html);
        Assert.Contains("no sections", html);
    }

    [Fact]
    public void Render_OnlyMonteCarlo_RendersOnlyThatPlotWithComputedPercentile()
    {
        var accuracies = Enumerable.Range(0, 101).Select(i => 0.8 + (i * 0.001)).ToArray();
        var html = ReportWriter.Render(new RunReport { Title = "mc", MonteCarlo = new MonteCarloAccuracy { Accuracies = [.. accuracies], PercentileRank = 5 } });
        var svg = Assert.Single(SvgElement().Matches(html));
        Assert.Contains("data-plot=\"mc-histogram\"", svg.Value);

        // Type-7 5th percentile of 0.800…0.900 in steps of 0.001 is 0.805.
        Assert.Contains("5th percentile 80.50 %", svg.Value);
        Assert.Contains("mean 85.00 %", svg.Value);
    }

    [Fact]
    public async Task WriteAsync_CreatesDirectoryAndUtf8FileWithoutBom()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-report-");
        try
        {
            var path = Path.Combine(dir.FullName, "nested", "report.html");
            await ReportWriter.WriteAsync(new RunReport { Title = "µS Ω" }, path, CancellationToken.None);
            var bytes = await File.ReadAllBytesAsync(path);
            Assert.Equal((byte)'<', bytes[0]);
            Assert.Contains("<title>µS Ω</title>", System.Text.Encoding.UTF8.GetString(bytes));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void SigmaCurve_FromModel_CopiesLevelsSortedWithIntervalsAndTheFit()
    {
        var model = new DeviceVariationModel
        {
            Name = "m",
            Technology = CimHil.Core.Chip.DeviceTechnology.Rram,
            Window = new ConductanceWindow(1e-6, 40e-6),
            Programming = new ProgrammingErrorModel
            {
                SigmaS = SyntheticReport.SigmaFit,
                Family = ErrorDistribution.Normal,
                Levels =
                [
                    new LevelStatistics { TargetS = 20e-6, OffsetS = 0, SigmaS = 1.1e-6, SigmaIntervalS = new Interval(1e-6, 1.2e-6), Family = ErrorDistribution.Normal, Count = 100 },
                    new LevelStatistics { TargetS = 5e-6, OffsetS = 0, SigmaS = 0.6e-6, Family = ErrorDistribution.Normal, Count = 100 },
                ],
            },
            ReadNoise = new ReadNoiseModel { SigmaS = Polynomial.Constant(0.05e-6) },
            Provenance = new ModelProvenance { Source = "test" },
        };

        var curve = SigmaCurve.FromModel(model);
        Assert.Equal([5e-6, 20e-6], curve.Points.Select(p => p.TargetS));
        Assert.Null(curve.Points[0].SigmaIntervalS);
        Assert.Equal(new Interval(1e-6, 1.2e-6), curve.Points[1].SigmaIntervalS);
        Assert.Same(SyntheticReport.SigmaFit, curve.FitS);
        Assert.Equal(40e-6, curve.MaxS);
        Assert.Contains("data-points=\"2\"", ReportFigures.Sigma(curve).Render());
    }

    [Fact]
    public void ConductanceMap_WrongValueCount_ThrowsNamingBothNumbers()
    {
        var e = Assert.Throws<ArgumentException>(() => new ConductanceMap(2, 3, [1, 2, 3]));
        Assert.Contains("3 values", e.Message);
        Assert.Contains("2x3 needs 6", e.Message);
    }

    [Theory]
    [InlineData(ErrorDistribution.Normal)]
    [InlineData(ErrorDistribution.Laplace)]
    [InlineData(ErrorDistribution.Logistic)]
    public void Pdf_EachFamily_HasUnitAreaGivenMeanAndGivenSd(ErrorDistribution family)
    {
        const double mean = 3, sd = 0.7, dx = 0.0005;
        double area = 0, m1 = 0, m2 = 0;
        for (var x = mean - (40 * sd); x <= mean + (40 * sd); x += dx)
        {
            var p = ReportFigures.Pdf(family, x, mean, sd) * dx;
            area += p;
            m1 += x * p;
            m2 += x * x * p;
        }

        Assert.Equal(1, area, 4);
        Assert.Equal(mean, m1, 4);
        Assert.Equal(sd, Math.Sqrt(m2 - (m1 * m1)), 3);
    }

    [Theory]
    [InlineData(1, "1st")]
    [InlineData(2, "2nd")]
    [InlineData(3, "3rd")]
    [InlineData(5, "5th")]
    [InlineData(11, "11th")]
    [InlineData(2.5, "2.5th")]
    public void Ordinal_Rank_HasEnglishSuffix(double rank, string expected) => Assert.Equal(expected, ReportFigures.Ordinal(rank));
}
