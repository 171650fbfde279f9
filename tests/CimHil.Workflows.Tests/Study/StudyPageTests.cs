using System.Text.RegularExpressions;
using CimHil.Reporting;

namespace CimHil.Workflows.Tests.Study;

/// <summary>study.html from <see cref="SyntheticStudy"/>: the aggregated numbers in the table, one histogram and one worst-case chart per method.</summary>
public class StudyPageTests
{
    private static StudyResults Results() => SyntheticStudy.Results();

    [Fact]
    public void Page_HoldsTheAggregatedCells_AndTwoChartsPerMethod()
    {
        var html = StudyReportWriter.Render(StudyPage.Of(Results()));
        Assert.Contains("<td>87.67 [78.26, 97.07] % †</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>13.00 [2.17, 23.83] %</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td>83.00 [74.04, 91.96] %</td>", html, StringComparison.Ordinal);
        foreach (var method in new[] { "standard", "noise" })
        {
            Assert.Single(Regex.Matches(html, $"id=\"plot-{StudyReportWriter.MonteCarloId(method)}\""));
            Assert.Single(Regex.Matches(html, $"id=\"plot-{StudyReportWriter.WorstCaseId(method)}\""));
        }

        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Figures_PoolEverySeedsChips_AndBandTheWorstCaseAcrossSeeds()
    {
        var page = StudyPage.Of(Results());
        Assert.Equal(["standard", "noise"], page.Methods.Select(m => m.Method));
        var standard = Assert.Single(page.Methods[0].Models);
        Assert.Equal(new[] { 0.7, 0.75, 0.72, 0.77, 0.8, 0.81 }, standard.ChipAccuracies.ToArray());

        // worst k=1 of standard over seeds: 0.10, 0.12, 0.14 → mean 0.12 ± 0.0496828, lowest 0.10, highest 0.14.
        var k1 = standard.WorstCase[0];
        Assert.Equal((1.0, 0.12, 0.10, 0.14), (k1.K, Math.Round(k1.Mean, 9), k1.Minimum, k1.Maximum));
        Assert.Equal(0.12 - 0.0496828, k1.Low, 1e-6);

        Assert.Equal(new[] { 6, 6 }, page.Methods.Select(m => m.Models.Sum(x => x.ChipAccuracies.Length)).ToArray());
    }

    [Fact]
    public void PerSeedTable_StatesTheEpochsEachTrainingRan_OfTheBudget_WithTheKeptEpochsValidationAccuracy()
    {
        var results = Results();
        var stopped = results.Models[1] with { EpochsRun = 2, BestValidationAccuracy = 0.8765 };
        var md = StudyTable.Markdown(results with { Models = results.Models.SetItem(1, stopped) });
        var budget = results.Settings.Epochs;

        Assert.Contains($"| standard | 2 | calibrated | 2 of {budget} (87.65 %) | 91.00 % |", md, StringComparison.Ordinal);

        // A cached checkpoint from before the field existed says it does not know, rather than claiming the budget.
        Assert.Contains($"| standard | 1 | calibrated | ? of {budget} | 90.00 % |", md, StringComparison.Ordinal);
    }
}
