using System.Globalization;
using System.Text;

namespace CimHil.Workflows;

/// <summary>
/// study.md: the aggregated table (mean and Student-t 95 % interval across seeds, significant differences from standard
/// training marked), then every per-seed row, then what the columns and statistics mean.
/// </summary>
public static class StudyTable
{
    /// <summary>The mark of a difference from standard training with paired-t p &lt; 0.05.</summary>
    public const string SignificantMark = "†";

    /// <summary>A fraction as a percentage with two decimals ("88.31 %").</summary>
    public static string Percent(double x) => double.IsFinite(x) ? (x * 100).ToString("F2", CultureInfo.InvariantCulture) + " %" : "-";

    /// <summary>An aggregated cell: "mean [low, high]" in percent (the mean alone for one seed), marked when significant.</summary>
    public static string Cell(StudyColumn c)
    {
        ArgumentNullException.ThrowIfNull(c);
        static string P(double x) => (x * 100).ToString("F2", CultureInfo.InvariantCulture);
        var v = c.Value;
        var text = !double.IsFinite(v.Mean) ? "-" : double.IsFinite(v.Low) ? $"{P(v.Mean)} [{P(v.Low)}, {P(v.High)}] %" : $"{P(v.Mean)} %";
        return c.VersusStandard is { Significant: true } ? text + " " + SignificantMark : text;
    }

    /// <summary>The column headers of the aggregated table after method, model and seeds.</summary>
    public static IReadOnlyList<string> Headers(StudySettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var pk = s.Percentile.ToString("G3", CultureInfo.InvariantCulture);
        return ["float", "clean", "MC mean", $"MC P{pk}", "clean (worst-case images)", .. s.WorstCaseKs.Select(k => $"worst k={k:0.###}")];
    }

    /// <summary>The whole study.md.</summary>
    public static string Markdown(StudyResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var s = results.Settings;
        var ks = s.WorstCaseKs;
        var pk = s.Percentile.ToString("G3", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Robustness study {results.RunId}");
        sb.AppendLine();
        sb.AppendLine(Summary(s));
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"## Across seeds (mean [95 % CI], {SignificantMark}: differs from standard, paired t, p < 0.05)");
        sb.AppendLine();
        Header(sb, ["method", "variation model", "seeds", .. Headers(s)], 3);
        foreach (var a in results.Aggregate)
        {
            Row(sb, [a.Method, a.Model, a.Seeds.Length.ToString(CultureInfo.InvariantCulture), .. a.Columns.Select(Cell)]);
        }

        sb.AppendLine();
        sb.AppendLine("## Per seed");
        sb.AppendLine();
        Header(sb, ["method", "seed", "variation model", "epochs (validation)", "float", "clean", "MC mean ± sd", $"P{pk} [95 % CI]", "clean (worst-case images)", .. ks.Select(k => $"worst k={k:0.###}")], 3);
        foreach (var r in results.Rows)
        {
            var model = results.Models.First(m => m.Method == r.Method && m.Seed == r.Seed);
            var mc = r.MonteCarlo;
            Row(sb, [
                r.Method, r.Seed.ToString(CultureInfo.InvariantCulture), r.Model, Epochs(model, s.Epochs), Percent(model.FloatAccuracy), Percent(mc.CleanAccuracy),
                $"{Percent(mc.Mean)} ± {Percent(mc.StandardDeviation)}", $"{Percent(mc.Percentile)} [{Percent(mc.PercentileInterval.Low)}, {Percent(mc.PercentileInterval.High)}]",
                Percent(r.WorstCase.CleanAccuracy), .. ks.Select(k => r.WorstCase.Points.FirstOrDefault(p => p.K == k) is { } point ? Percent(point.Accuracy) : "-"),
            ]);
        }

        sb.AppendLine();
        sb.AppendLine("Variation models:");
        foreach (var g in results.Rows.GroupBy(r => r.Model))
        {
            var r = g.First();
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {g.Key}: Monte-Carlo {r.Variation}; worst-case box {r.WorstCase.Bound}.");
        }

        sb.AppendLine();
        sb.AppendLine("Methods (docs/robustness.md):");
        foreach (var m in results.Models)
        {
            var parameters = string.Join(", ", m.Parameters.Where(kv => kv.Key != "method").Select(kv => $"{kv.Key} = {kv.Value}"));
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {m.Method} seed {m.Seed}{(parameters.Length > 0 ? $" ({parameters})" : string.Empty)}{(m.Cached ? ", cached checkpoint" : string.Empty)}: {m.Checkpoint}");
        }

        sb.AppendLine();
        sb.AppendLine("float: unmapped network on the Monte-Carlo test images; clean: mapped, no variation (on the Monte-Carlo images, and on the fewer worst-case images, against which the worst case is to be read); per-seed percentile intervals are bootstrap 95 % intervals over chips; the worst case is over programmed conductances within ±k·σ per device (read noise off).");
        sb.AppendLine();
        sb.AppendLine(StatisticsNote(s));
        sb.AppendLine();
        sb.Append(StudyTimings.Markdown(results));
        return sb.ToString();
    }

    /// <summary>What was trained and how it was judged, with the seeds: the paragraph under the title.</summary>
    public static string Summary(StudySettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var seeds = string.Join(", ", s.Seeds.Train);
        return string.Create(CultureInfo.InvariantCulture, $"{s.Model} on Fashion-MNIST, {s.Epochs} epoch(s) on {(s.TrainSamples is { } n ? n.ToString(CultureInfo.InvariantCulture) : "all")} training samples; Monte-Carlo {s.MonteCarloChips} chips × {s.MonteCarloImages} test images; worst case ({s.WorstCaseMethod} search, {s.WorstCaseSteps} steps, {s.WorstCaseRestarts} restarts) on {s.WorstCaseImages} test images. Training seeds {seeds}; Monte-Carlo seed {s.Seeds.MonteCarlo} + training seed, worst-case seed {s.Seeds.WorstCase} + training seed.");
    }

    /// <summary>What the aggregated cells and the mark mean, and the limits of the test with this many seeds.</summary>
    public static string StatisticsNote(StudySettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return string.Create(CultureInfo.InvariantCulture, $"Across seeds: the mean of the per-seed values and its Student-t 95 % interval, mean ± t(0.975, n − 1)·s/√n over n = {s.Seeds.Train.Count} seed(s) (none for one seed), its ends clipped to [0, 100] % (an accuracy cannot leave that range; the symmetric t interval can). {SignificantMark}: the paired t-test of the per-seed differences from standard training (same seed, same chips) gives p < 0.05, two-sided. With 3 seeds the test has 2 degrees of freedom: only a difference several times its seed-to-seed spread is marked, and an unmarked one is not shown to be zero.");
    }

    /// <summary>
    /// The epochs the training actually ran of the budget, and the validation accuracy of the epoch it kept (issue #23:
    /// the table states the epochs each method used; early stopping may end a method before the budget).
    /// </summary>
    public static string Epochs(StudyModel model, int budget)
    {
        ArgumentNullException.ThrowIfNull(model);
        var run = model.EpochsRun > 0 ? model.EpochsRun.ToString(CultureInfo.InvariantCulture) : "?";
        var validation = model.BestValidationAccuracy is { } v ? $" ({Percent(v)})" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{run} of {budget}{validation}");
    }

    private static void Header(StringBuilder sb, IReadOnlyList<string> columns, int textColumns)
    {
        Row(sb, columns);
        Row(sb, [.. columns.Select((_, i) => i < textColumns ? "---" : "---:")]);
    }

    private static void Row(StringBuilder sb, IReadOnlyList<string> cells) => sb.Append("| ").AppendJoin(" | ", cells).AppendLine(" |");
}
