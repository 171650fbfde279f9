using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using CimHil.Simulation.WorstCase;
using Serilog.Core;

namespace CimHil.Simulation.Tests.Robustness;

public sealed class AdversarialRcnTests
{
    private static AdversarialRcnTraining Method(IWeightNoise? noise) => new(
        DeviceBoundModel.Uniform(0.02),
        3,
        new CimMappingOptions { BitsPerDevice = 8 },
        WorstCaseOptions.Default with { Steps = 8, Restarts = 0, PolishEvaluations = 0 },
        noise,
        Logger.None);

    [Fact]
    public void AdversarialPerturbation_RaisesTheBatchLossAndLeavesGradientsAlone()
    {
        var net = RobustnessTestModels.TwoLayer(11);
        var (x, _) = RobustnessTestModels.Batch(net, 32, 12);
        var labels = net.Predict(x);
        var sentinel = net.Parameters().Select(p => p.Grad).ToArray();
        var delta = Method(null).AdversarialPerturbation(net, x, labels);
        Assert.Equal(sentinel, net.Parameters().Select(p => p.Grad).ToArray());

        var clean = RobustnessTestModels.Loss(net, x, labels, new WeightOverrides());
        var adv = RobustnessTestModels.Loss(net, x, labels, NoiseInjectionTraining.Overrides(net, delta));
        Assert.True(adv > clean, $"adversarial loss {adv} not above clean {clean}");
    }

    [Fact]
    public void Step_TrainsAtTheCombinedPerturbation()
    {
        var net = RobustnessTestModels.TwoLayer(13);
        var (x, labels) = RobustnessTestModels.Batch(net, 16, 14);
        net.ZeroGrad();
        var outcome = Method(new RightCensoredGaussianNoise(0.05, 0.05)).Step(new TrainingBatch(net, x, labels, 1, 0, new Random(3)));
        Assert.True(double.IsFinite(outcome.Loss));
        Assert.All(net.Parameters(), p => Assert.Contains(p.Grad!, g => g != 0));
    }
}
