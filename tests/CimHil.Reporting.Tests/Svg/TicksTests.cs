using CimHil.Reporting.Svg;

namespace CimHil.Reporting.Tests.Svg;

public class TicksTests
{
    [Theory]
    [InlineData(10, 5, 2)]
    [InlineData(9.7, 6, 2)]
    [InlineData(1, 5, 0.2)]
    [InlineData(0.03, 6, 0.005)]
    [InlineData(1234, 5, 500)]
    [InlineData(100, 10, 10)]
    public void NiceStep_Range_IsOneTwoFiveTimesPowerOfTen(double range, int target, double expected) =>
        Assert.Equal(expected, Ticks.NiceStep(range, target), 12);

    [Fact]
    public void Linear_UnevenRange_ExtendsToWholeStepsAndLabelsWithNeededDecimals()
    {
        var (min, max, ticks) = Ticks.Linear(0.13, 9.7);
        Assert.Equal(0, min, 12);
        Assert.Equal(10, max, 12);
        Assert.Equal(["0", "2", "4", "6", "8", "10"], ticks.Select(t => t.Label));
    }

    [Fact]
    public void Linear_FractionalStep_UsesDecimalsAndUnicodeMinus()
    {
        var (_, _, ticks) = Ticks.Linear(-0.26, 0.31, 6);
        Assert.Equal(["\u22120.3", "\u22120.2", "\u22120.1", "0.0", "0.1", "0.2", "0.3", "0.4"], ticks.Select(t => t.Label));
    }

    [Fact]
    public void Linear_ConstantValue_StillGivesAnAxis()
    {
        var (min, max, ticks) = Ticks.Linear(5, 5);
        Assert.True(min < 5 && max > 5);
        Assert.True(ticks.Count >= 2);
    }

    [Fact]
    public void Log_SixDecades_TicksOnDecadesWithSuperscriptLabels()
    {
        var (min, max, ticks) = Ticks.Log(1.5, 8e5);
        Assert.Equal(1, min, 12);
        Assert.Equal(1e6, max, 6);
        Assert.Equal([1, 10, 100, 1e3, 1e4, 1e5, 1e6], ticks.Select(t => t.Value));
        Assert.Equal(["1", "10", "100", "1000", "10000", "10\u2075", "10\u2076"], ticks.Select(t => t.Label));
        Assert.All(ticks, t => Assert.True(t.Major));
    }

    [Fact]
    public void Log_LessThanTwoDecades_UsesOneTwoFiveMultiples()
    {
        var (min, max, ticks) = Ticks.Log(3, 18);
        Assert.Equal(2, min, 12);
        Assert.Equal(20, max, 12);
        Assert.Equal([2, 5, 10, 20], ticks.Select(t => t.Value));
        Assert.Equal([false, false, true, false], ticks.Select(t => t.Major));
    }

    [Fact]
    public void Log_WithinOneDecade_UsesEveryIntegerMultiple()
    {
        var (_, _, ticks) = Ticks.Log(4.2, 8.5);
        Assert.Equal([4, 5, 6, 7, 8, 9], ticks.Select(t => t.Value));
    }

    [Fact]
    public void Log_SmallValues_AreExactDecimalMultiples()
    {
        var (_, _, ticks) = Ticks.Log(2.5e-6, 3.1e-5);
        Assert.Equal([2e-6, 5e-6, 1e-5, 2e-5, 5e-5], ticks.Select(t => t.Value));
        Assert.Equal("2\u00b710\u207b\u2076", ticks[0].Label);
    }

    [Fact]
    public void Log_NonPositiveDomain_Throws() =>
        Assert.Throws<ArgumentException>(() => Ticks.Log(0, 10));
}
