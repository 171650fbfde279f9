using CimHil.Core.Numerics;

namespace CimHil.Core.Tests.Numerics;

public class OrderStatisticsTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(1.0, 1.04)]
    [InlineData(25.0, 2.0)]
    [InlineData(50.0, 3.0)]
    [InlineData(90.0, 4.6)]
    [InlineData(100.0, 5.0)]
    public void Percentile_InterpolatesAtRankNMinusOneTimesP(double p, double expected) =>
        Assert.Equal(expected, OrderStatistics.Percentile([1, 2, 3, 4, 5], p), 12);

    [Fact]
    public void Percentile_EvenCount_MatchesNumpyLinear()
    {
        // numpy.percentile([1, 2, 3, 4], [25, 50]) = [1.75, 2.5].
        Assert.Equal(1.75, OrderStatistics.Percentile([1, 2, 3, 4], 25), 12);
        Assert.Equal(2.5, OrderStatistics.Percentile([1, 2, 3, 4], 50), 12);
    }

    [Fact]
    public void Percentile_SingleValue_IsThatValue() => Assert.Equal(7.0, OrderStatistics.Percentile([7], 1));

    [Fact]
    public void Percentile_EmptySample_Throws() => Assert.Throws<ArgumentException>(() => OrderStatistics.Percentile([], 1));

    [Theory]
    [InlineData(-1.0)]
    [InlineData(100.5)]
    [InlineData(double.NaN)]
    public void Percentile_RankOutsideZeroToHundred_Throws(double p) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderStatistics.Percentile([1, 2], p));

    [Theory]
    [InlineData(new[] { 1.0, 2.0, 3.0 }, 2.0)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 4.0 }, 3.0)]
    [InlineData(new[] { 7.0 }, 7.0)]
    public void UpperMedian_IsTheObservedElementAtHalfTheCount(double[] sorted, double expected) =>
        Assert.Equal(expected, OrderStatistics.UpperMedian(sorted));

    [Fact]
    public void UpperMedian_EmptySample_Throws() => Assert.Throws<ArgumentException>(() => OrderStatistics.UpperMedian([]));

    [Theory]
    [InlineData(new[] { 1.0, 2.0, 3.0 }, 2.0)]
    [InlineData(new[] { 1.0, 2.0, 3.0, 10.0 }, 2.5)]
    [InlineData(new[] { 7.0 }, 7.0)]
    public void Median_IsTheMiddleElementOrTheMeanOfTheTwoMiddleOnes(double[] sorted, double expected)
    {
        Assert.Equal(expected, OrderStatistics.Median(sorted));
        Assert.Equal(OrderStatistics.Percentile(sorted, 50), OrderStatistics.Median(sorted), 1e-12);
    }

    [Fact]
    public void Median_EmptySample_Throws() => Assert.Throws<ArgumentException>(() => OrderStatistics.Median([]));
}
