namespace CimHil.Workflows.Tests.Study;

/// <summary>The aggregated study table on <see cref="SyntheticStudy"/>: means, intervals and paired tests by hand.</summary>
public class StudyAggregationTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public void Aggregate_OneRowPerMethodAndModel_WithEveryColumnInOrder()
    {
        var (models, rows) = SyntheticStudy.Table();
        var table = StudyAggregation.Aggregate(models, rows, [1, 2]);
        Assert.Equal(["standard/calibrated", "noise/calibrated"], table.Select(r => $"{r.Method}/{r.Model}"));
        Assert.Equal(["float", "clean", "mcMean", "mcPercentile", "cleanWorstCaseImages", "worst k=1", "worst k=2"], table[0].Columns.Select(c => c.Name));
        Assert.Equal(new[] { 1, 2, 3 }, table[1].Seeds.ToArray());
    }

    [Fact]
    public void Aggregate_Means_AndStudentTIntervals_AcrossSeeds()
    {
        var (models, rows) = SyntheticStudy.Table();
        var standard = StudyAggregation.Aggregate(models, rows, [1, 2])[0];

        // clean 0.80, 0.82, 0.87: mean 0.83 ± 4.302653 · 0.0360555 / √3 = 0.0895671 (as in SeedStatisticsTests).
        var clean = standard.Column("clean").Value;
        Assert.Equal(0.83, clean.Mean, Tolerance);
        Assert.Equal(0.83 - 0.0895671, clean.Low, Tolerance);
        Assert.Equal(0.83 + 0.0895671, clean.High, Tolerance);

        // Monte-Carlo mean and percentile are clean − 0.05 and − 0.20: same spread, shifted means.
        Assert.Equal(0.78, standard.Column("mcMean").Value.Mean, Tolerance);
        Assert.Equal(0.63 + 0.0895671, standard.Column("mcPercentile").Value.High, Tolerance);

        // float 0.90, 0.91, 0.92: mean 0.91, s = 0.01, half-width 4.302653 · 0.01 / √3 = 0.0248414.
        var f = standard.Column("float").Value;
        Assert.Equal(0.91, f.Mean, Tolerance);
        Assert.Equal(0.91 - 0.0248414, f.Low, Tolerance);

        // worst k=1: 0.10, 0.12, 0.14: mean 0.12, s = 0.02, half-width 0.0496828.
        var w = standard.Column("worst k=1").Value;
        Assert.Equal(0.12, w.Mean, Tolerance);
        Assert.Equal(0.12 + 0.0496828, w.High, Tolerance);
    }

    [Fact]
    public void Aggregate_PairedBySeed_AgainstStandard_MarksOnlyTheConsistentDifference()
    {
        var (models, rows) = SyntheticStudy.Table();
        var table = StudyAggregation.Aggregate(models, rows, [1, 2]);
        Assert.All(table[0].Columns, c => Assert.Null(c.VersusStandard));
        var noise = table[1];

        // clean differences 0.05, 0.04, 0.05 by seed: t = 14, p = 0.0050633 (significant).
        var clean = noise.Column("clean").VersusStandard!;
        Assert.Equal(0.0466667, clean.MeanDifference, Tolerance);
        Assert.Equal(14, clean.T, 1e-6);
        Assert.Equal(0.0050633, clean.PValue, Tolerance);
        Assert.True(clean.Significant);

        // worst k=1 differences 0.01, −0.02, 0.04: t = 0.57735, p = 0.622036 (not significant).
        var worst = noise.Column("worst k=1").VersusStandard!;
        Assert.Equal(0.622036, worst.PValue, Tolerance);
        Assert.False(worst.Significant);

        // float differences −0.02, −0.01, −0.03: mean −0.02, s = 0.01, t = −3.4641; p = 1 − 3.4641/√13.99995 = 0.0741799.
        var f = noise.Column("float").VersusStandard!;
        Assert.Equal(-3.4641016, f.T, 1e-6);
        Assert.Equal(0.0741799, f.PValue, Tolerance);
    }

    [Fact]
    public void Aggregate_StandardWithOtherSeeds_GivesNoPairedTest()
    {
        var (models, rows) = SyntheticStudy.Table();
        var table = StudyAggregation.Aggregate(models, [.. rows.Where(r => !(r.Method == "standard" && r.Seed == 3))], [1, 2]);
        Assert.All(table[1].Columns, c => Assert.Null(c.VersusStandard));
    }

    [Fact]
    public void Cell_ShowsMeanAndInterval_AndMarksSignificance()
    {
        var (models, rows) = SyntheticStudy.Table();
        var noise = StudyAggregation.Aggregate(models, rows, [1, 2])[1];

        // noise clean 0.85, 0.86, 0.92: mean 0.876667, s = 0.0378594, half-width 0.0940487.
        Assert.Equal("87.67 [78.26, 97.07] % †", StudyTable.Cell(noise.Column("clean")));
        Assert.Equal("13.00 [2.17, 23.83] %", StudyTable.Cell(noise.Column("worst k=1")));
    }

    [Fact]
    public void Aggregate_ClipsIntervalEnds_ToTheAccuracyRange()
    {
        // clean 0.99, 1.00, 0.95: mean 0.98, s = 0.0264575, half-width 4.302653 · s / √3 = 0.0657241 → high 1.0457 (clipped to 1).
        // worst k=1 0.00, 0.01, 0.08: mean 0.03, s = 0.0435890, half-width 0.1082811 → low −0.0783 (clipped to 0).
        StudyRow[] rows =
        [
            SyntheticStudy.Row("standard", 1, "gaussian", 0.99, 0.00, 0.00),
            SyntheticStudy.Row("standard", 2, "gaussian", 1.00, 0.01, 0.00),
            SyntheticStudy.Row("standard", 3, "gaussian", 0.95, 0.08, 0.00),
        ];
        StudyModel[] models = [SyntheticStudy.Model("standard", 1, 0.9), SyntheticStudy.Model("standard", 2, 0.9), SyntheticStudy.Model("standard", 3, 0.9)];
        var row = StudyAggregation.Aggregate(models, rows, [1, 2])[0];

        var clean = row.Column("clean").Value;
        Assert.Equal(0.98, clean.Mean, Tolerance);
        Assert.Equal(0.98 - 0.0657241, clean.Low, Tolerance);
        Assert.Equal(1.0, clean.High);
        var worst = row.Column("worst k=1").Value;
        Assert.Equal(0.03, worst.Mean, Tolerance);
        Assert.Equal(0.0436, worst.StandardDeviation, 1e-4);
        Assert.Equal(0.0, worst.Low);
        Assert.Equal(0.03 + 0.1082811, worst.High, Tolerance);
        Assert.Equal("3.00 [0.00, 13.83] %", StudyTable.Cell(row.Column("worst k=1")));
        Assert.Equal("98.00 [91.43, 100.00] %", StudyTable.Cell(row.Column("clean")));

        // Identical seeds (s = 0) give a zero-width interval, inside the range: nothing to clip.
        var k2 = row.Column("worst k=2").Value;
        Assert.Equal(0.0, k2.Low);
        Assert.Equal(0.0, k2.High);
    }

    [Fact]
    public void ClippedTo_KeepsOneSeedsMissingInterval()
    {
        var one = SeedStatistics.Interval([0.5]).ClippedTo(0, 1);
        Assert.True(double.IsNaN(one.Low) && double.IsNaN(one.High));
        Assert.Equal(0.5, one.Mean);
    }
}
