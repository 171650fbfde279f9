using System.Collections.Immutable;

namespace CimHil.Reporting.Tests;

public class ReportFiguresTests
{
    [Theory]
    [InlineData(0.0, 0.1)]
    [InlineData(25.0, 0.175)]
    [InlineData(50.0, 0.25)]
    [InlineData(100.0, 0.4)]
    public void PercentileOf_NoGivenValue_IsTheType7PercentileOfTheAccuracies(double rank, double expected)
    {
        var mc = new MonteCarloAccuracy { Accuracies = ImmutableArray.Create(0.4, 0.1, 0.3, 0.2), PercentileRank = rank };
        Assert.Equal(expected, ReportFigures.PercentileOf(mc)!.Value, 12);
    }

    [Fact]
    public void PercentileOf_GivenValue_IsReturnedAsGiven() =>
        Assert.Equal(0.123, ReportFigures.PercentileOf(new MonteCarloAccuracy { Accuracies = [0.5], Percentile = 0.123 }));
}
