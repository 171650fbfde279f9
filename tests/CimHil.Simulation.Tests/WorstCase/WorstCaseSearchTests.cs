using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.WorstCase;

public sealed class WorstCaseSearchTests
{
    [Fact]
    public async Task Sweep_AtBoundZero_EqualsTheCleanMappedAccuracyOfTheMonteCarloEvaluator()
    {
        var net = TwoLayer(3, 6, 8, 4);
        var mapped = Map(net, bits: 2);
        var data = SelfLabelled(net, 200, 5);
        var search = new WorstCaseSearch(new MappedForward(mapped, data), DeviceBoundModel.Uniform(0.02, Window), Fast(WorstCaseOptions.Default), Log);

        var points = await search.SweepAsync([0.0]);

        var nominal = new MonteCarloEvaluator(mapped, VariationSpec.None, new MonteCarloOptions { Chips = 1 }).EvaluateNominal(data);
        Assert.Equal(nominal, points[0].Accuracy);
        Assert.Equal(nominal, search.CleanAccuracy);
        Assert.Equal(0, points[0].MaxNormalisedDeviation);

        // 2-bit weights lose some accuracy against the float self-labels, so the reference is not trivially 1.
        Assert.InRange(nominal, 0.3, 0.999);
    }

    [Fact]
    public async Task Sweep_ReportedAccuracyIsNonIncreasingInTheBoundAndEachDeltaStaysInsideItsBox()
    {
        var net = TwoLayer(7, 6, 10, 3);
        var mapped = Map(net);
        var data = SelfLabelled(net, 300, 11);
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var search = new WorstCaseSearch(new MappedForward(mapped, data), bounds, Fast(WorstCaseOptions.Default), Log);
        var saved = new Dictionary<double, ConductancePerturbation>();

        var points = await search.SweepAsync([2.0, 0.0, 0.5, 1.0, 0.25], (k, d, _, _) =>
        {
            saved[k] = d.Clone();
            return Task.FromResult<string?>(null);
        });

        Assert.Equal([0.0, 0.25, 0.5, 1.0, 2.0], points.Select(p => p.K));
        for (var i = 1; i < points.Count; i++)
        {
            Assert.True(points[i].Accuracy <= points[i - 1].Accuracy, $"accuracy rose from {points[i - 1].Accuracy} at k={points[i - 1].K} to {points[i].Accuracy} at k={points[i].K}");
            Assert.True(search.Box(points[i].K).Contains(saved[points[i].K], 1e-18), $"Δ for k={points[i].K} leaves its box");
            Assert.InRange(points[i].MaxNormalisedDeviation, 0, points[i].K * (1 + 1e-12));
            Assert.Equal(points[i].Accuracy, search.AccuracyOf(saved[points[i].K]));
        }

        // Adversarial placement within 2σ must hurt: the curve actually falls.
        Assert.True(points[^1].Accuracy < points[0].Accuracy - 0.05, $"k=2 worst case {points[^1].Accuracy} vs clean {points[0].Accuracy}");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public void Search_OnATwelveDeviceNetwork_ReachesTheExhaustiveWorstCorner(double k)
    {
        // 3 inputs → 2 classes: 6 weights, 12 devices, 4096 corners of the box, all enumerated.
        var net = Linear(21, 3, 2);
        var mapped = Map(net);
        var data = SelfLabelled(net, 40, 8);
        var forward = new MappedForward(mapped, data);
        var bounds = DeviceBoundModel.Uniform(0.04, Window);
        var search = new WorstCaseSearch(forward, bounds, WorstCaseOptions.Default with { Steps = 30, Restarts = 8, PolishEvaluations = 100 }, Log);
        var box = search.Box(k);

        var exhaustive = EnumerateCorners(mapped, box, forward);
        var run = search.Search(k);

        Assert.True(box.Contains(run.Delta, 1e-18));
        Assert.True(exhaustive < search.CleanAccuracy, $"k={k}: the box must contain a harmful corner for the test to mean anything (clean {search.CleanAccuracy})");
        Assert.True(run.Accuracy <= exhaustive, $"k={k}: search reached {run.Accuracy}, exhaustive worst corner {exhaustive}");
    }

    [Fact]
    public void Search_OnASixteenDeviceReluNetwork_ReachesTheExhaustiveWorstCorner()
    {
        // 2 → 2 → ReLU → 2 without biases: 8 weights, 16 devices, 65 536 corners.
        var rng = new Random(4);
        var body = new Nn.Sequential(("fc1", new Nn.Linear(2, 2, rng, bias: false)), ("relu", new Nn.Relu()), ("fc2", new Nn.Linear(2, 2, rng, bias: false)));
        var net = new Nn.Network("relu-worst", body, [2], 2);
        var mapped = Map(net);
        var data = SelfLabelled(net, 24, 9);
        var forward = new MappedForward(mapped, data);
        var search = new WorstCaseSearch(forward, DeviceBoundModel.Uniform(0.05, Window), WorstCaseOptions.Default with { Steps = 30, Restarts = 8, PolishEvaluations = 100 }, Log);
        var box = search.Box(1);

        var exhaustive = EnumerateCorners(mapped, box, forward);
        var run = search.Search(1);

        Assert.True(exhaustive < search.CleanAccuracy);
        Assert.True(run.Accuracy <= exhaustive, $"search reached {run.Accuracy}, exhaustive worst corner {exhaustive}");
    }

    [Fact]
    public async Task SavedDelta_ReappliedAfterLoading_ReproducesTheReportedAccuracyAndEveryConductanceExactly()
    {
        var net = TwoLayer(5, 5, 7, 3);
        var mapped = Map(net, bits: 3, slices: 2);
        var data = SelfLabelled(net, 150, 2);
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var search = new WorstCaseSearch(new MappedForward(mapped, data), bounds, Fast(WorstCaseOptions.Default), Log);
        var run = search.Search(1.5);
        var path = Path.Combine(Path.GetTempPath(), $"worst-{Guid.NewGuid():N}.safetensors");
        try
        {
            await run.Delta.SaveAsync(mapped, path, new Dictionary<string, string> { ["k"] = "1.5" });
            var (loaded, meta) = await ConductancePerturbation.LoadAsync(mapped, path);

            Assert.Equal("1.5", meta["k"]);
            Assert.Equal(run.Accuracy, search.AccuracyOf(loaded));
            var a = run.Delta.ApplyTo(mapped);
            var b = loaded.ApplyTo(mapped);
            for (var l = 0; l < a.Length; l++)
            {
                for (var s = 0; s < a[l].SliceCount; s++)
                {
                    Assert.Equal(a[l].Plus[s], b[l].Plus[s]);
                    Assert.Equal(a[l].Minus[s], b[l].Minus[s]);
                }
            }

            // A fresh mapping and forward of the same network agree as well (nothing hidden in the search object).
            var again = new MappedForward(Map(net, bits: 3, slices: 2), data);
            Assert.Equal(run.Accuracy, again.Accuracy(loaded.ApplyTo(again.Mapped)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Load_ForAnotherMapping_NamesTheMissingTensor()
    {
        var net = Linear(1, 4, 3);
        var mapped = Map(net);
        var path = Path.Combine(Path.GetTempPath(), $"worst-{Guid.NewGuid():N}.safetensors");
        try
        {
            await ConductancePerturbation.Zero(mapped).SaveAsync(mapped, path);
            var other = Map(net, slices: 2);
            var ex = await Assert.ThrowsAsync<CimHil.Simulation.Engine.SafetensorsFormatException>(() => ConductancePerturbation.LoadAsync(other, path));
            Assert.Contains("fc.delta_plus.1", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DefaultSearch_IsAtLeastAsStrongAsThePaperSearchOnTheSameNetwork()
    {
        var net = TwoLayer(12, 8, 16, 4);
        var mapped = Map(net);
        var data = SelfLabelled(net, 400, 13);
        var forward = new MappedForward(mapped, data);
        var bounds = DeviceBoundModel.Uniform(0.01, Window);
        var paperOptions = WorstCaseOptions.Paper with { Steps = 30 };
        var defaultOptions = WorstCaseOptions.Default with { Steps = 15, Restarts = 1 };
        var paper = new WorstCaseSearch(forward, bounds, paperOptions, Log).Search(1);
        var stronger = new WorstCaseSearch(forward, bounds, defaultOptions, Log).Search(1);

        Assert.Equal(paperOptions.GradientPasses, paper.GradientPasses);
        Assert.Equal(defaultOptions.GradientPasses, stronger.GradientPasses);
        Assert.Equal(2 * (15 + 1 + 1), stronger.GradientPasses);

        Assert.True(stronger.Accuracy <= paper.Accuracy, $"default {stronger.Accuracy} vs paper {paper.Accuracy}");
        Assert.True(paper.Accuracy < paper.Trace[0].Accuracy, "the paper search must make progress too");
    }

    [Fact]
    public void UnitBounds_FollowTheDeviceModelSigmaAtEachTargetAndTheWeightDomainBoundSpansItsWeightInterval()
    {
        var net = Linear(2, 4, 3);
        var mapped = Map(net);
        var device = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) }).UnitBounds(mapped);
        var t = mapped.Layers[0].Targets;
        for (var i = 0; i < t.WeightCount; i++)
        {
            Assert.Equal(1e-6 + (2e-6 * t.Plus[0][i] / Window.MaxS), device[0].Plus[0][i], 1e-18);
            Assert.Equal(1e-6 + (2e-6 * t.Minus[0][i] / Window.MaxS), device[0].Minus[0][i], 1e-18);
        }

        var weight = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new GaussianNoiseModel(0.1, GaussianDomain.Weight) }).UnitBounds(mapped);
        var maxAbs = net.WeightedLayers[0].Weight.Data.Max(v => Math.Abs(v));
        var c = mapped.Layers[0].Coefficients[0];
        for (var i = 0; i < t.WeightCount; i++)
        {
            // Both devices at their bounds in opposite directions move the weight by exactly σ_rel·max|W|.
            Assert.Equal(0.1 * maxAbs, c[i] * (weight[0].Plus[0][i] + weight[0].Minus[0][i]), 1e-9);
        }
    }

    [Fact]
    public void Box_RespectsZeroConductanceAndGrowsWithK()
    {
        var net = Linear(2, 4, 3);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 2 }, new Core.Devices.ConductanceWindow(0, 100e-6));
        var bounds = DeviceBoundModel.Uniform(0.05);
        var unit = bounds.UnitBounds(mapped);
        var small = PerturbationBox.Create(mapped, unit, 1, bounds.RespectsZeroConductance);
        var large = PerturbationBox.Create(mapped, unit, 2, bounds.RespectsZeroConductance);
        var t = mapped.Layers[0].Targets;
        for (var i = 0; i < t.WeightCount; i++)
        {
            Assert.Equal(-Math.Min(5e-6, t.Plus[0][i]), small.Lower[0].Plus[0][i], 1e-18);
            Assert.True(t.Plus[0][i] + large.Lower[0].Plus[0][i] >= 0);
            Assert.True(large.Lower[0].Plus[0][i] <= small.Lower[0].Plus[0][i] && large.Upper[0].Plus[0][i] >= small.Upper[0].Plus[0][i]);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => PerturbationBox.Create(mapped, unit, -1, true));
    }

    [Fact]
    public void Loss_IsTheClippedMarginWithUnitGradientOnTrueClassAndRunnerUp()
    {
        float[] logits = [3, 1, 2, /* wrong */ 0, 5, 1, /* correct, far */ 9, 0, 1];
        int[] labels = [0, 0, 0];
        var grad = new float[9];

        var loss = WorstCaseLoss.Evaluate(logits, labels, 3, kappa: 0.5, upper: 4, grad);

        // margins 1, −5, 8 → clamp to [−0.5, 4]: 1 − 0.5 + 4.
        Assert.Equal(4.5, loss, 12);
        Assert.Equal([1f, 0f, -1f, 0f, 0f, 0f, 0f, 0f, 0f], grad);
    }

    private static double EnumerateCorners(MappedNetwork mapped, PerturbationBox box, MappedForward forward)
    {
        var devices = new List<(int Layer, bool Plus, int Index)>();
        for (var l = 0; l < mapped.Layers.Count; l++)
        {
            for (var i = 0; i < mapped.Layers[l].Targets.WeightCount; i++)
            {
                devices.Add((l, true, i));
                devices.Add((l, false, i));
            }
        }

        var delta = ConductancePerturbation.Zero(mapped);
        var worst = 1.0;
        for (var mask = 0; mask < 1 << devices.Count; mask++)
        {
            for (var d = 0; d < devices.Count; d++)
            {
                var (l, plus, i) = devices[d];
                var hi = (mask >> d & 1) == 1;
                if (plus)
                {
                    delta.Layers[l].Plus[0][i] = hi ? box.Upper[l].Plus[0][i] : box.Lower[l].Plus[0][i];
                }
                else
                {
                    delta.Layers[l].Minus[0][i] = hi ? box.Upper[l].Minus[0][i] : box.Lower[l].Minus[0][i];
                }
            }

            worst = Math.Min(worst, forward.Accuracy(delta.ApplyTo(mapped)));
        }

        return worst;
    }
}
