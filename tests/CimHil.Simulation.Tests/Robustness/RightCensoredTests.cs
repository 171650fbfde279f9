using CimHil.Simulation.Nn;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Robustness;

public sealed class RightCensoredTests
{
    [Theory]
    [InlineData(1.0, 0.5)]
    [InlineData(0.2, -0.1)]
    [InlineData(0.5, 1.0)]
    public void Sampler_AtomAtThresholdAndTruncatedNormalBelowIt(double sigma, double threshold)
    {
        const int n = 100_000;
        var rng = new SimulationRng(12345);
        var below = new List<double>(n);
        var atThreshold = 0;
        for (var i = 0; i < n; i++)
        {
            var x = RightCensoredGaussianNoise.Next(rng, sigma, threshold);
            Assert.True(x <= threshold, $"draw {x} above threshold {threshold}");
            if (x == threshold)
            {
                atThreshold++;
            }
            else
            {
                below.Add(x);
            }
        }

        // Censored mass P(X = t) = 1 − Φ(t/σ); binomial standard error √(p(1−p)/n), 5 of them.
        var p = 1 - RobustnessTestModels.Phi(threshold / sigma);
        var se = Math.Sqrt(p * (1 - p) / n);
        Assert.InRange(atThreshold / (double)n, p - (5 * se), p + (5 * se));

        // Below t: CDF Φ(x/σ)/Φ(t/σ). DKW: P(sup|F_m − F| > ε) ≤ 2e^{−2mε²}; ε for a 1e-6 false-alarm rate.
        var m = below.Count;
        var eps = Math.Sqrt(Math.Log(2 / 1e-6) / (2.0 * m));
        below.Sort();
        var norm = RobustnessTestModels.Phi(threshold / sigma);
        var d = 0.0;
        for (var i = 0; i < m; i++)
        {
            var f = RobustnessTestModels.Phi(below[i] / sigma) / norm;
            d = Math.Max(d, Math.Max(Math.Abs(((i + 1.0) / m) - f), Math.Abs((i / (double)m) - f)));
        }

        Assert.True(d < eps, $"KS distance {d} exceeds the DKW bound {eps} for {m} samples");
    }

    [Fact]
    public void NoiseArrays_AreCensoredAtThresholdTimesMaxAbsWeight()
    {
        var net = RobustnessTestModels.TwoLayer(2);
        var noise = new RightCensoredGaussianNoise(0.2, 0.05).Sample(net, 5);
        for (var l = 0; l < noise.Length; l++)
        {
            var t = (float)(0.05 * net.WeightedLayers[l].Weight.Data.Max(Math.Abs));
            Assert.All(noise[l], v => Assert.True(v <= t));
            Assert.Contains(noise[l], v => v == t);
            Assert.Contains(noise[l], v => v < -t);
        }
    }

    [Fact]
    public void Percentile_IsLowerNearestRank()
    {
        double[] v = [5, 1, 4, 2, 3];
        Assert.Equal(1, RightCensoredSearch.Percentile(v, 0));
        Assert.Equal(1, RightCensoredSearch.Percentile(v, 20));
        Assert.Equal(3, RightCensoredSearch.Percentile(v, 50));
        Assert.Equal(5, RightCensoredSearch.Percentile(v, 100));
    }

    [Fact]
    public void Search_FindsTheMaximumOfASmoothObjectiveAndRefinesAroundIt()
    {
        // Synthetic KPP peaked at σ = 0.12, t/σ = 0.75: the coarse grid finds (0.1, 0.5 or 1) and refinement moves closer.
        static double Kpp(RightCensoredGaussianNoise n)
        {
            var ts = n.SigmaRelative == 0 ? 0 : n.ThresholdRelative / n.SigmaRelative;
            return 0.9 - Math.Pow(n.SigmaRelative - 0.12, 2) - (0.01 * Math.Pow(ts - 0.75, 2));
        }

        var result = RightCensoredSearch.Run(new RcnSearchOptions { RefinementRounds = 2 }, Kpp);
        Assert.Equal(result.Candidates.Max(c => c.KthPercentileAccuracy), result.Best.KthPercentileAccuracy);
        Assert.InRange(result.Best.SigmaRelative, 0.1, 0.15);
        Assert.InRange(result.Best.ThresholdSigmas, 0.5, 1.0);
        Assert.True(Kpp(result.Best.Noise) >= Kpp(new RightCensoredGaussianNoise(0.1, 0.05)));
    }

    [Fact]
    public void KthPercentileAccuracy_WithoutNoise_IsTheCleanAccuracy_AndDropsWithNoise()
    {
        var net = RobustnessTestModels.TwoLayer(4);
        var (x, _) = RobustnessTestModels.Batch(net, 64, 5);
        var labels = net.Predict(x);
        Assert.Equal(1.0, RightCensoredSearch.KthPercentileAccuracy(net, x, labels, new GaussianWeightNoise(0), 5, 1, 1));
        var noisy = RightCensoredSearch.KthPercentileAccuracy(net, x, labels, new GaussianWeightNoise(0.5), 20, 1, 1);
        Assert.True(noisy < 1.0, $"KPP under σ_rel = 0.5 is {noisy}");
    }
}
