using CimHil.Core.Devices;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cim;

public class VariationTests
{
    /// <summary>A 100×100 layer whose weights are all +α: every G⁺ at Gmax (x = 1), every G⁻ at Gmin.</summary>
    private static MappedNetwork Saturated(int size = 100)
    {
        var rng = new Random(1);
        var body = new Sequential(("flatten", new Flatten()), ("fc", new Linear(size, size, rng, bias: false)));
        var net = new Network("sat", body, [1, 1, size], size);
        Array.Fill(net.WeightedLayers[0].Weight.Data, 0.5f);
        return MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4 }, CimTestModels.Window);
    }

    [Theory]
    [InlineData(ErrorDistribution.Normal)]
    [InlineData(ErrorDistribution.Laplace)]
    [InlineData(ErrorDistribution.Logistic)]
    public void ProgrammingError_MatchesTheFittedSigmaAndOffset(ErrorDistribution family)
    {
        var mapped = Saturated();
        var device = CimTestModels.Device(family, readSigmaS: 0, offsetS: 0.3e-6);
        var chip = SimulatedChip.Program(mapped, new VariationSpec { Noise = new CalibratedNoiseModel(device) }, seed: 42, chipIndex: 0);
        var residuals = chip.Conductances[0].Plus[0].Select(g => g - CimTestModels.Window.MaxS).ToArray();
        var n = residuals.Length;
        var mean = residuals.Average();
        var sd = Math.Sqrt(residuals.Sum(r => (r - mean) * (r - mean)) / (n - 1));
        var sigma = device.Programming.SigmaS.Evaluate(1.0); // 3 µS at x = 1

        // Tolerances: 4 standard errors of the mean (σ/√n) and of the sd (≈ σ·√((κ − 1)/(4n)), κ ≤ 6 for these families).
        Assert.Equal(0.3e-6, mean, 4 * sigma / Math.Sqrt(n));
        Assert.Equal(sigma, sd, 4 * sigma * Math.Sqrt(5.0 / (4 * n)));
    }

    [Fact]
    public void ReadNoise_IsFreshPerBatchWithTheModelSigma()
    {
        var mapped = Saturated();
        var spec = new VariationSpec { Noise = new CalibratedNoiseModel(CimTestModels.Device(readSigmaS: 0.5e-6)), ProgrammingError = false };
        var chip = SimulatedChip.Program(mapped, spec, 3, 0);
        Assert.True(chip.VariesPerBatch);
        var w1 = new[] { new float[10000] };
        var w2 = new[] { new float[10000] };
        chip.EffectiveWeights(0, w1);
        chip.EffectiveWeights(1, w2);
        Assert.NotEqual(w1[0], w2[0]);

        // W = c·(G⁺ − G⁻): read noise on both devices gives sd c·σ_r·√2.
        var c = mapped.Layers[0].Coefficients[0][0];
        var expected = c * 0.5e-6 * Math.Sqrt(2);
        var nominal = mapped.Layers[0].NominalWeight[0];
        var sd = Math.Sqrt(w1[0].Select(v => (v - nominal) * (double)(v - nominal)).Average());
        Assert.Equal(expected, sd, 4 * expected / Math.Sqrt(2 * 10000));
    }

    [Fact]
    public void ReadNoise_OneDrawPerWeight_HasTheVarianceOfThePerDeviceDraws()
    {
        // Two slices with different coefficients: EffectiveWeights draws one Gaussian per weight with the summed variance,
        // SliceWeights draws every device; over the same chip both must show the same noise variance.
        var rng = new Random(2);
        var body = new Sequential(("flatten", new Flatten()), ("fc", new Linear(100, 100, rng, bias: false)));
        var net = new Network("two-slices", body, [1, 1, 100], 100);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 3, SliceCount = 2 }, CimTestModels.Window);
        var chip = SimulatedChip.Program(mapped, new VariationSpec { Noise = new CalibratedNoiseModel(CimTestModels.Device(readSigmaS: 0.5e-6)), ProgrammingError = false }, 4, 0);
        var layer = mapped.Layers[0];
        var clean = layer.Decode(chip.Conductances[0]);
        var w = new[] { new float[clean.Length] };
        double whole = 0, perDevice = 0;
        const int Batches = 20;
        for (var b = 0; b < Batches; b++)
        {
            chip.EffectiveWeights(b, w);
            var slices = chip.SliceWeights(b)[0];
            for (var i = 0; i < clean.Length; i++)
            {
                whole += Math.Pow(w[0][i] - clean[i], 2);
                perDevice += Math.Pow(slices[0][i] + slices[1][i] - clean[i], 2);
            }
        }

        var n = Batches * clean.Length;
        var expected = 0.0;
        for (var i = 0; i < clean.Length; i++)
        {
            expected += 2 * 0.5e-6 * 0.5e-6 * ((layer.Coefficients[0][i] * layer.Coefficients[0][i]) + (layer.Coefficients[1][i] * layer.Coefficients[1][i]));
        }

        expected /= clean.Length;
        // Each mean square of n Gaussian values has relative standard error √(2/n); allow 4 of them (plus float rounding).
        var tolerance = 4 * Math.Sqrt(2.0 / n) * expected;
        Assert.Equal(expected, whole / n, tolerance);
        Assert.Equal(expected, perDevice / n, tolerance);
    }

    [Fact]
    public void StuckAt_CellsAppearAtTheModelRates()
    {
        var mapped = Saturated();
        var stuck = new StuckAtModel { StuckOnRate = 0.02, StuckOffRate = 0.05, StuckOnConductanceS = 150e-6, StuckOffConductanceS = 0.1e-6 };
        var chip = SimulatedChip.Program(mapped, new VariationSpec { Noise = new CalibratedNoiseModel(CimTestModels.Device(stuck: stuck)) }, 5, 0);
        var all = chip.Conductances[0].Plus[0].Concat(chip.Conductances[0].Minus[0]).ToArray();
        var n = all.Length;
        foreach (var (value, rate) in new[] { (150e-6, 0.02), (0.1e-6, 0.05) })
        {
            var count = all.Count(g => g == value);
            var sd = Math.Sqrt(n * rate * (1 - rate));
            Assert.InRange(count, (n * rate) - (4 * sd), (n * rate) + (4 * sd));
        }
    }

    [Fact]
    public void DriftCompensation_RestoresTheMeanOutputScale()
    {
        var net = CimTestModels.LinearNet(6, bias: false);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 6 }, CimTestModels.Window);
        var drift = new DriftModel { T0Seconds = 1, NuMean = Polynomial.Constant(0.05), NuSigma = Polynomial.Constant(0.003) };
        var device = CimTestModels.Device(readSigmaS: 0, drift: drift);
        var x = CimTestModels.RandomInput(7, 256, 1, 4, 4);
        double MeanAbsOutput(VariationSpec spec)
        {
            var chip = SimulatedChip.Program(mapped, spec, 9, 0);
            var w = new[] { new float[160] };
            chip.EffectiveWeights(0, w);
            using var _ = Tensor.NoGrad();
            return net.Forward(x, mapped.WeightContext(w)).Data.Average(v => Math.Abs(v));
        }

        var nominal = MeanAbsOutput(new VariationSpec { Noise = new CalibratedNoiseModel(device), ProgrammingError = false });
        var drifted = MeanAbsOutput(new VariationSpec { Noise = new CalibratedNoiseModel(device), ProgrammingError = false, InferenceTimeSeconds = 1e6 });
        var compensated = MeanAbsOutput(new VariationSpec { Noise = new CalibratedNoiseModel(device), ProgrammingError = false, InferenceTimeSeconds = 1e6, DriftCompensation = true });

        // (1e6)^−0.05 ≈ 0.50: drift halves the output; the global factor brings the mean scale back within a few percent.
        Assert.InRange(drifted / nominal, 0.4, 0.6);
        Assert.InRange(compensated / nominal, 0.95, 1.05);
    }

    [Fact]
    public void Program_IsDeterministicPerSeedAndChip()
    {
        var mapped = Saturated(20);
        var spec = new VariationSpec { Noise = new CalibratedNoiseModel(CimTestModels.Device(stuck: new StuckAtModel { StuckOnRate = 0.01, StuckOffRate = 0.01, StuckOnConductanceS = 1e-4, StuckOffConductanceS = 0 })) };
        float[] Weights(long seed, int chip, long batch)
        {
            var w = new[] { new float[400] };
            SimulatedChip.Program(mapped, spec, seed, chip).EffectiveWeights(batch, w);
            return w[0];
        }

        Assert.Equal(Weights(1, 3, 2), Weights(1, 3, 2));
        Assert.NotEqual(Weights(1, 3, 2), Weights(1, 4, 2));
        Assert.NotEqual(Weights(1, 3, 2), Weights(2, 3, 2));
        Assert.NotEqual(Weights(1, 3, 2), Weights(1, 3, 5));
    }

    [Fact]
    public void GaussianWeightDomain_AddsSigmaTimesMaxAbsWeight()
    {
        var net = CimTestModels.LinearNet(8, classes: 200);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 8 }, VariationSpec.DefaultWindow);
        var chip = SimulatedChip.Program(mapped, VariationSpec.Parse("gaussian:0.1"), 1, 0);
        var w = new[] { new float[3200] };
        chip.EffectiveWeights(0, w);
        var maxAbs = net.WeightedLayers[0].Weight.Data.Max(v => Math.Abs(v));
        var diffs = w[0].Select((v, i) => (double)v - mapped.Layers[0].NominalWeight[i]).ToArray();
        var sd = Math.Sqrt(diffs.Select(d => d * d).Average());
        Assert.Equal(0.1 * maxAbs, sd, 4 * 0.1 * maxAbs / Math.Sqrt(2 * 3200));
    }

    [Fact]
    public void GaussianConductanceDomain_PerturbsEachDeviceBySigmaTimesSpan()
    {
        var mapped = Saturated();
        var chip = SimulatedChip.Program(mapped, VariationSpec.Parse("gaussian-conductance:0.02"), 1, 0);
        var d = chip.Conductances[0].Minus[0].Select(g => g - CimTestModels.Window.MinS).ToArray();
        var expected = 0.02 * CimTestModels.Window.SpanS;
        var sd = Math.Sqrt(d.Select(v => v * v).Average());
        Assert.Equal(expected, sd, 4 * expected / Math.Sqrt(2 * d.Length));
    }

    [Fact]
    public void Parse_RejectsBadSigmaAndMissingFiles()
    {
        Assert.Same(VariationSpec.None, VariationSpec.Parse("none"));
        Assert.Throws<CimHil.Core.Config.ConfigException>(() => VariationSpec.Parse("gaussian:-1"));
        Assert.Throws<CimHil.Core.Config.ConfigException>(() => VariationSpec.Parse("/nonexistent/model.json"));
    }

    [Theory]
    [InlineData(ErrorDistribution.Normal)]
    [InlineData(ErrorDistribution.Laplace)]
    [InlineData(ErrorDistribution.Logistic)]
    public void Rng_FamiliesHaveZeroMeanAndUnitVariance(ErrorDistribution family)
    {
        var rng = new SimulationRng(77);
        const int n = 40000;
        var v = Enumerable.Range(0, n).Select(_ => rng.Next(family)).ToArray();
        Assert.Equal(0, v.Average(), 4 / Math.Sqrt(n));
        Assert.Equal(1, v.Select(x => x * x).Average(), 4 * Math.Sqrt(5.0 / n));
    }
}
