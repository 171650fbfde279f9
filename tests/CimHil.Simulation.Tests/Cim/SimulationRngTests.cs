using CimHil.Simulation.Variation;
using MathNet.Numerics.Distributions;

namespace CimHil.Simulation.Tests.Cim;

/// <summary>The ziggurat normal generator against the exact standard normal: moments, the whole CDF, and both tails.</summary>
public sealed class SimulationRngTests
{
    private const int N = 400_000;

    private static double[] Draw(ulong seed)
    {
        var rng = new SimulationRng(seed);
        var z = new double[N];
        for (var i = 0; i < z.Length; i++)
        {
            z[i] = rng.NextGaussian();
        }

        return z;
    }

    [Fact]
    public void NextGaussian_HasUnitNormalMoments()
    {
        var z = Draw(11);
        var mean = z.Average();
        var variance = z.Sum(v => (v - mean) * (v - mean)) / (N - 1);
        var skew = z.Sum(v => Math.Pow(v - mean, 3)) / N;
        var kurtosis = z.Sum(v => Math.Pow(v - mean, 4)) / N;

        // 4 standard errors: mean 1/√n, variance √(2/n), third moment √(15/n), fourth moment √(96/n).
        Assert.Equal(0, mean, 4 / Math.Sqrt(N));
        Assert.Equal(1, variance, 4 * Math.Sqrt(2.0 / N));
        Assert.Equal(0, skew, 4 * Math.Sqrt(15.0 / N));
        Assert.Equal(3, kurtosis, 4 * Math.Sqrt(96.0 / N));
    }

    [Fact]
    public void NextGaussian_PassesKolmogorovSmirnov()
    {
        var z = Draw(12);
        Array.Sort(z);
        var d = 0.0;
        for (var i = 0; i < z.Length; i++)
        {
            var cdf = Normal.CDF(0, 1, z[i]);
            d = Math.Max(d, Math.Max(((i + 1.0) / N) - cdf, cdf - ((double)i / N)));
        }

        // Critical value of D at α = 0.001: 1.95/√n.
        Assert.True(d < 1.95 / Math.Sqrt(N), $"KS distance {d:G4} ≥ {1.95 / Math.Sqrt(N):G4}");
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(3.442619855899)] // r: beyond it every sample comes from the ziggurat's tail algorithm
    [InlineData(4.0)]
    public void NextGaussian_TailFrequencyMatchesTheNormal(double threshold)
    {
        var z = Draw(13);
        var p = 2 * (1 - Normal.CDF(0, 1, threshold));
        var count = z.Count(v => Math.Abs(v) > threshold);
        var positive = z.Count(v => v > threshold);
        var sd = Math.Sqrt(N * p * (1 - p));

        Assert.InRange(count, (N * p) - (4 * sd) - 1, (N * p) + (4 * sd) + 1);
        // Both signs equally often: binomial(count, 1/2).
        Assert.InRange(positive, (count / 2.0) - (4 * Math.Sqrt(count / 4.0)) - 1, (count / 2.0) + (4 * Math.Sqrt(count / 4.0)) + 1);
    }

    [Fact]
    public void NextGaussian_IsDeterministicPerSeed()
    {
        var a = new SimulationRng(7);
        var b = new SimulationRng(7);
        var c = new SimulationRng(8);
        var x = Enumerable.Range(0, 100).Select(_ => a.NextGaussian()).ToArray();

        Assert.Equal(x, Enumerable.Range(0, 100).Select(_ => b.NextGaussian()).ToArray());
        Assert.NotEqual(x, Enumerable.Range(0, 100).Select(_ => c.NextGaussian()).ToArray());
    }
}
