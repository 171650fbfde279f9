using CimHil.Reporting.Svg;

namespace CimHil.Reporting.Tests.Svg;

public class HistogramBinsTests
{
    [Fact]
    public void Create_KnownValues_CountsPerBinWithLastEdgeInclusive()
    {
        var bins = HistogramBins.Create([0, 0.5, 1, 1.99, 2, 3.5, 4, double.NaN, 4.01, -0.1], binCount: 4, min: 0, max: 4);
        Assert.Equal([0.0, 1, 2, 3, 4], bins.Edges);
        Assert.Equal([2, 2, 1, 2], bins.Counts);
        Assert.Equal(7, bins.Total);
    }

    [Fact]
    public void Density_IntegratesToOne()
    {
        var rng = new Random(7);
        var values = Enumerable.Range(0, 1000).Select(_ => rng.NextDouble() * 3).ToArray();
        var bins = HistogramBins.Auto(values);
        var area = Enumerable.Range(0, bins.Counts.Count).Sum(i => bins.Density(i) * bins.Width);
        Assert.Equal(1, area, 12);
        Assert.Equal(1000, bins.Total);
    }

    [Fact]
    public void SuggestBinCount_UniformSample_FollowsFreedmanDiaconis()
    {
        // Uniform on [0, 1): IQR = 0.5, so width = 2·0.5·n^(−1/3) = 0.1 for n = 1000 → 10 bins.
        var values = Enumerable.Range(0, 1000).Select(i => i / 1000.0).ToArray();
        Assert.Equal(10, HistogramBins.SuggestBinCount(values));
    }

    [Fact]
    public void SuggestBinCount_ZeroIqr_FallsBackToSturges()
    {
        var values = Enumerable.Repeat(1.0, 60).Append(2.0).Order().ToArray();
        Assert.Equal((int)Math.Ceiling(Math.Log2(61) + 1), HistogramBins.SuggestBinCount(values));
    }
}
