namespace CimHil.Workflows.Tests.Study;

/// <summary>
/// The across-seed statistics against values computed by hand. With 2 degrees of freedom Student's t has the closed form
/// F(t) = 1/2 + t / (2·√(2 + t²)), so the two-sided p-value is 1 − |t| / √(2 + t²); t(0.975, 2) = 4.302653.
/// </summary>
public class SeedStatisticsTests
{
    private const double Tolerance = 1e-6;

    [Fact]
    public void Interval_ThreeSeeds_IsTheStudentTIntervalOfTheMean()
    {
        // mean 0.83; squared deviations 0.0009 + 0.0001 + 0.0016 = 0.0026, s = √0.0013 = 0.0360555;
        // half-width 4.302653 · 0.0360555 / √3 = 0.0895671.
        var i = SeedStatistics.Interval([0.80, 0.82, 0.87]);
        Assert.Equal(3, i.Seeds);
        Assert.Equal(0.83, i.Mean, Tolerance);
        Assert.Equal(0.0360555, i.StandardDeviation, Tolerance);
        Assert.Equal(0.83 - 0.0895671, i.Low, Tolerance);
        Assert.Equal(0.83 + 0.0895671, i.High, Tolerance);
    }

    [Fact]
    public void Interval_OneSeed_HasAMeanButNoInterval()
    {
        var i = SeedStatistics.Interval([0.5]);
        Assert.Equal(0.5, i.Mean);
        Assert.True(double.IsNaN(i.StandardDeviation) && double.IsNaN(i.Low) && double.IsNaN(i.High));
    }

    [Fact]
    public void Paired_ConsistentGain_IsSignificant()
    {
        // Differences 0.05, 0.04, 0.05: mean 0.046667, s = √(6.6667e-5 / 2) = 0.0057735, t = 0.046667 / (0.0057735/√3) = 14;
        // p = 1 − 14/√198 = 0.0050633.
        var c = SeedStatistics.Paired([0.85, 0.86, 0.92], [0.80, 0.82, 0.87]);
        Assert.Equal(0.0466667, c.MeanDifference, Tolerance);
        Assert.Equal(14, c.T, 1e-6);
        Assert.Equal(0.0050633, c.PValue, Tolerance);
        Assert.True(c.Significant);
    }

    [Fact]
    public void Paired_GainWithinTheSpread_IsNotSignificant()
    {
        // Differences 0.01, −0.02, 0.04: mean 0.01, s = 0.03, t = 0.01 / (0.03/√3) = 0.57735; p = 1 − 0.57735/√2.33333 = 0.622036.
        var c = SeedStatistics.Paired([0.81, 0.80, 0.91], [0.80, 0.82, 0.87]);
        Assert.Equal(0.01, c.MeanDifference, Tolerance);
        Assert.Equal(0.57735, c.T, 1e-5);
        Assert.Equal(0.622036, c.PValue, Tolerance);
        Assert.False(c.Significant);
    }

    [Fact]
    public void Paired_NegativeDifference_HasNegativeTAndTheSameP()
    {
        var up = SeedStatistics.Paired([0.85, 0.86, 0.92], [0.80, 0.82, 0.87]);
        var down = SeedStatistics.Paired([0.80, 0.82, 0.87], [0.85, 0.86, 0.92]);
        Assert.Equal(-up.T, down.T, 1e-9);
        Assert.Equal(up.PValue, down.PValue, 1e-12);
    }

    [Fact]
    public void Paired_EqualDifferencesOrOneSeed_GiveNoTestAndNoMark()
    {
        var equal = SeedStatistics.Paired([0.9, 0.8], [0.8, 0.7]);
        Assert.Equal(0.1, equal.MeanDifference, Tolerance);
        Assert.True(double.IsNaN(equal.T) && double.IsNaN(equal.PValue) && !equal.Significant);
        var one = SeedStatistics.Paired([0.9], [0.8]);
        Assert.True(double.IsNaN(one.T) && !one.Significant);
    }

    [Fact]
    public void Paired_DifferentSeedCounts_AreRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => SeedStatistics.Paired([0.9, 0.8], [0.8]));
        Assert.Contains("found 2 and 1", ex.Message, StringComparison.Ordinal);
    }
}
