using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cim;

public class MonteCarloTests
{
    [Fact]
    public void Run_ZeroVariation_EveryChipEqualsTheQuantisedAccuracyWithinQuantisationLossOfFloat()
    {
        var net = CimTestModels.LinearNet(21);
        var (images, labels) = CimTestModels.SelfLabelled(net, 2000, 22); // float accuracy 1 by construction
        var data = new TestSet(images, labels, 256);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 6 }, CimTestModels.Window);
        var mc = new MonteCarloEvaluator(mapped, VariationSpec.None, new MonteCarloOptions { Chips = 4, BootstrapResamples = 100 });
        var result = mc.Run(data);
        Assert.All(result.ChipAccuracies, a => Assert.Equal(result.NominalAccuracy, a));
        Assert.Equal(0, result.StandardDeviation);

        // 6-bit weights move logits by at most Σ|x|·α/(2Q); only samples whose top-2 margin is smaller can flip.
        var alpha = mapped.Layers[0].Scales[0];
        var bound = alpha / (2.0 * 63);
        var logits = net.Forward(images);
        var atRisk = 0;
        for (var n = 0; n < 2000; n++)
        {
            var row = logits.Data.AsSpan(n * 10, 10).ToArray();
            Array.Sort(row);
            var xAbs = images.Data.AsSpan(n * 16, 16).ToArray().Sum(v => Math.Abs(v));
            if (row[9] - row[8] <= 2 * bound * xAbs)
            {
                atRisk++;
            }
        }

        Assert.InRange(result.NominalAccuracy, 1 - (atRisk / 2000.0), 1.0);
    }

    [Fact]
    public void Run_IsDeterministicPerSeedWhateverTheThreadCount()
    {
        var net = CimTestModels.LinearNet(23);
        var (images, labels) = CimTestModels.SelfLabelled(net, 600, 24);
        var data = new TestSet(images, labels, 100);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4, SliceCount = 2 }, CimTestModels.Window);
        var spec = new VariationSpec { Noise = new CalibratedNoiseModel(CimTestModels.Device()) };
        MonteCarloResult Run(int workers, int chips, long seed) =>
            new MonteCarloEvaluator(mapped, spec, new MonteCarloOptions { Chips = chips, Seed = seed, MaxDegreeOfParallelism = workers, BootstrapResamples = 100 }).Run(data);

        var one = Run(1, 6, 5);
        var two = Run(2, 6, 5);
        Assert.Equal(string.Join(" ", one.ChipAccuracies), string.Join(" ", two.ChipAccuracies));
        Assert.Equal(one.PercentileInterval, two.PercentileInterval);

        // Fewer chips than workers: parallel over batches, same numbers for the chips both runs share.
        Assert.Equal(one.ChipAccuracies[0], Run(2, 1, 5).ChipAccuracies[0]);
        Assert.NotEqual(string.Join(" ", one.ChipAccuracies), string.Join(" ", Run(2, 6, 6).ChipAccuracies));
        Assert.True(one.StandardDeviation > 0);
    }

    [Fact]
    public void Run_ReportsProgressOncePerChipAndConsistentStatistics()
    {
        var net = CimTestModels.LinearNet(25);
        var (images, labels) = CimTestModels.SelfLabelled(net, 300, 26);
        var data = new TestSet(images, labels, 128);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 3 }, CimTestModels.Window);
        var reports = new List<MonteCarloProgress>();
        var progress = new SynchronousProgress(p => { lock (reports) { reports.Add(p); } });
        var result = new MonteCarloEvaluator(mapped, VariationSpec.Parse("gaussian:0.1"), new MonteCarloOptions { Chips = 10, Percentile = 10, BootstrapResamples = 200 })
            .Run(data, progress);
        Assert.Equal(10, reports.Count);
        Assert.Equal(Enumerable.Range(0, 10), reports.Select(r => r.ChipIndex).Order());
        Assert.Equal(result.ChipAccuracies.Min(), result.Minimum);
        Assert.InRange(result.Percentile, result.Minimum, result.Mean);
        Assert.True(result.MeanInterval.Contains(result.Mean));
        Assert.True(result.ImageChipsPerSecond > 0);
    }

    [Fact]
    public void TiledRun_WithConvertersAndZeroVariation_MatchesItsNominalAccuracy()
    {
        var net = CimTestModels.LinearNet(27);
        var (images, labels) = CimTestModels.SelfLabelled(net, 400, 28);
        var data = new TestSet(images, labels, 200);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4, TileRows = 8, AdcBits = 6, DacBits = 6 }, CimTestModels.Window);
        Assert.Throws<InvalidOperationException>(() => new MonteCarloEvaluator(mapped, VariationSpec.None, new MonteCarloOptions()));
        mapped.CalibratePeriphery(data.Batches[0]);
        var result = new MonteCarloEvaluator(mapped, VariationSpec.None, new MonteCarloOptions { Chips = 2, BootstrapResamples = 50 }).Run(data);
        Assert.All(result.ChipAccuracies, a => Assert.Equal(result.NominalAccuracy, a));
        Assert.InRange(result.NominalAccuracy, 0.8, 1.0);
    }

    [Fact]
    public void Bootstrap_PercentileIntervalCoversTheTruePercentile()
    {
        // Standard normal: the true 10th percentile is −1.2816. Nominal coverage 95 %; over 60 independent samples of 400
        // the count of covering intervals is Binomial(60, ≈0.95): require ≥ 50 (a loose lower tail for percentile bootstrap).
        const double truth = -1.2815515655446004;
        var rng = new SimulationRng(99);
        var covered = 0;
        for (var rep = 0; rep < 60; rep++)
        {
            var sample = Enumerable.Range(0, 400).Select(_ => rng.NextGaussian()).ToArray();
            var ci = Bootstrap.Interval(sample, Bootstrap.PercentileStatistic(10), 400, 0.95, rep);
            if (ci.Contains(truth))
            {
                covered++;
            }
        }

        Assert.InRange(covered, 50, 60);
    }

    [Fact]
    public void PercentileStatistic_SortsThenTakesTheType7Percentile()
    {
        double[] s = [5, 1, 4, 2, 3];
        Assert.Equal(1.04, Bootstrap.PercentileStatistic(1)(s), 12);
        Assert.Equal([1, 2, 3, 4, 5], s);
    }

    private sealed class SynchronousProgress(Action<MonteCarloProgress> report) : IProgress<MonteCarloProgress>
    {
        public void Report(MonteCarloProgress value) => report(value);
    }
}
