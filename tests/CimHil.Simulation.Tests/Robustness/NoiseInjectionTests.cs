using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Robustness;

public sealed class NoiseInjectionTests
{
    [Theory]
    [InlineData(77UL)]
    [InlineData(78UL)]
    [InlineData(79UL)]
    public void NoiseInjectionGradient_EqualsFiniteDifferenceOfPerturbedLoss(ulong noiseSeed)
    {
        var net = RobustnessTestModels.TwoLayer(3);
        var (x, labels) = RobustnessTestModels.Batch(net, 16, 4);
        var noise = new GaussianWeightNoise(0.3).Sample(net, noiseSeed);
        Assert.All(noise, d => Assert.Contains(d, v => v != 0));

        net.ZeroGrad();
        var batch = new TrainingBatch(net, x, labels, 1, 0, new Random(1));
        NoiseInjectionTraining.StepWithNoise(batch, noise);

        // Clean gradient for contrast: the step must differentiate at the noisy point, not at W.
        var clean = LossGradients.OfWeights(net, x, labels).Gradients;
        var perturbed = NoiseInjectionTraining.Overrides(net, noise);
        const float h = 5e-4f; // small enough not to cross ReLU kinks (2e-3 does on this batch); the loss is summed in double
        var differsFromClean = false;
        for (var l = 0; l < net.WeightedLayers.Count; l++)
        {
            var w = net.WeightedLayers[l].Weight;
            var grad = w.Grad!;
            for (var i = 0; i < w.Length; i += 3)
            {
                var orig = w.Data[i];
                w.Data[i] = orig + h;
                var lp = RobustnessTestModels.Loss(net, x, labels, perturbed);
                w.Data[i] = orig - h;
                var lm = RobustnessTestModels.Loss(net, x, labels, perturbed);
                w.Data[i] = orig;
                var fd = (lp - lm) / (2 * h);

                Assert.True(Math.Abs(grad[i] - fd) <= 2e-4 + (1e-2 * Math.Abs(fd)), $"layer {l} weight {i}: autograd {grad[i]} vs finite difference {fd}");
                differsFromClean |= Math.Abs(grad[i] - clean[l][i]) > 1e-3;
            }
        }

        Assert.True(differsFromClean, "noise of σ_rel = 0.3 should change the gradient");
    }

    [Fact]
    public void GaussianWeightNoise_HasRelativeSigmaTimesMaxAbsWeight()
    {
        var net = RobustnessTestModels.TwoLayer(5);
        var d = new GaussianWeightNoise(0.1).Sample(net, 9)[0];
        var maxAbs = net.WeightedLayers[0].Weight.Data.Max(Math.Abs);
        var sd = Math.Sqrt(d.Select(v => (double)v * v).Average());
        // 96 draws: the sample σ has relative standard error ≈ 1/√(2·96) ≈ 0.072; allow 4 of them.
        Assert.InRange(sd / (0.1 * maxAbs), 1 - (4 * 0.072), 1 + (4 * 0.072));
    }

    [Fact]
    public void DeviceModelNoise_WithoutVariation_IsOnlyTheQuantisationError()
    {
        var net = RobustnessTestModels.TwoLayer(6);
        var options = new CimMappingOptions { BitsPerDevice = 4 };
        var d = new DeviceModelWeightNoise(VariationSpec.None, options).Sample(net, 1);
        for (var l = 0; l < d.Length; l++)
        {
            var alpha = net.WeightedLayers[l].Weight.Data.Max(Math.Abs);
            var halfStep = alpha / (2.0 * options.MaxCode);
            Assert.All(d[l], v => Assert.True(Math.Abs(v) <= halfStep * (1 + 1e-5), $"|ΔW| = {Math.Abs(v)} exceeds half a level {halfStep}"));
            Assert.Contains(d[l], v => v != 0);
        }
    }

    [Fact]
    public void DeviceModelNoise_WithGaussianSpec_IsReproducibleAndSeedDependent()
    {
        var net = RobustnessTestModels.TwoLayer(6);
        var noise = new DeviceModelWeightNoise(new VariationSpec { Noise = new GaussianNoiseModel(0.05) }, new CimMappingOptions { BitsPerDevice = 8 });
        Assert.Equal(noise.Sample(net, 3)[0], noise.Sample(net, 3)[0]);
        Assert.NotEqual(noise.Sample(net, 3)[0], noise.Sample(net, 4)[0]);
    }

    [Fact]
    public void NoiseInjectionTraining_ThroughTrainer_StepsAndReducesLoss()
    {
        var net = RobustnessTestModels.TwoLayer(8);
        var (x, labels) = RobustnessTestModels.Batch(net, 32, 9);
        var method = new NoiseInjectionTraining(new RightCensoredGaussianNoise(0.05, 0.05), "rcn");
        var before = RobustnessTestModels.Loss(net, x, labels, new WeightOverrides());
        var rng = new Random(2);
        var opt = net.NamedParameters().Select(p => p.Tensor).ToList();
        for (var step = 0; step < 60; step++)
        {
            net.ZeroGrad();
            method.Step(new TrainingBatch(net, x, labels, 1, step, rng));
            foreach (var p in opt)
            {
                for (var i = 0; i < p.Length; i++)
                {
                    p.Data[i] -= 0.2f * p.Grad![i];
                }
            }
        }

        var after = RobustnessTestModels.Loss(net, x, labels, new WeightOverrides());
        Assert.True(after < before * 0.9, $"loss {before} → {after}");
    }
}
