using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using CimHil.Tests.Shared;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.WorstCase;

/// <summary>The seam the GPU passes plug into (<see cref="IWorstCasePasses"/>, docs/gpu.md): what the search takes from it and what it does not.</summary>
public sealed class WorstCasePassesTests
{
    [Fact]
    public void Search_WithOtherPasses_TakesEveryGradientAndPolishPassFromThem_AndFindsWhatTheCpuFinds()
    {
        var (forward, bounds) = Problem();
        var options = Fast(WorstCaseOptions.Default);
        var counting = new CountingPasses(forward, flipGradient: false);

        var cpu = new WorstCaseSearch(forward, bounds, options, Log).Search(1.0);
        var viaSeam = new WorstCaseSearch(forward, bounds, options, Log, counting).Search(1.0);

        Assert.Equal(cpu.Correct, viaSeam.Correct);
        Assert.Equal(Flatten(cpu.Delta), Flatten(viaSeam.Delta));
        Assert.Equal(viaSeam.GradientPasses, counting.Gradients);

        // Every exact pass but the last: the kept Δ is re-evaluated by the CPU's forward, whatever computed the search.
        Assert.Equal(viaSeam.ForwardPasses - 1, counting.Evaluations);
        Assert.True(counting.Evaluations > 0, "the polish made no exact pass through the seam");
    }

    [Fact]
    public void Search_WithPassesThatMislead_ReportsTheCpuAccuracyOfTheDeltaItKept()
    {
        var (forward, bounds) = Problem();
        var search = new WorstCaseSearch(forward, bounds, Fast(WorstCaseOptions.Default) with { PolishEvaluations = 0 }, Log, new CountingPasses(forward, flipGradient: true));

        var run = search.Search(1.0);
        var honest = new WorstCaseSearch(forward, bounds, Fast(WorstCaseOptions.Default) with { PolishEvaluations = 0 }, Log).Search(1.0);

        Assert.Equal(search.AccuracyOf(run.Delta), run.Accuracy);

        // Ascending instead of descending leaves more images correct than the real search: the passes really steer it.
        Assert.True(run.Correct > honest.Correct, $"misled search {run.Correct} correct, honest {honest.Correct}");
    }

    [Fact]
    public void Search_WithConverters_IgnoresOtherPasses()
    {
        var net = TwoLayer(5, 6, 8, 3);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { DacBits = 6, AdcBits = 6 }, Window);
        var data = SelfLabelled(net, 120, 9);
        mapped.CalibratePeriphery(data.Batches[0]);
        var forward = new MappedForward(mapped, data);
        var counting = new CountingPasses(forward, flipGradient: false);

        var search = new WorstCaseSearch(forward, DeviceBoundModel.Uniform(0.02, Window), Fast(WorstCaseOptions.Default), Log, counting);
        search.Search(1.0);

        Assert.Same(forward, search.Passes);
        Assert.Equal(0, counting.Gradients + counting.Evaluations);
    }

    [Fact]
    public void PassAgreement_OfAPassWithItself_IsExact_AndOneFlippedComponentIsCounted()
    {
        var (forward, _) = Problem();
        var a = forward.Gradient(forward.Mapped.Layers.Select(l => l.Targets).ToArray(), 0, double.PositiveInfinity);
        var same = PassAgreement.Compare(a, a);
        Assert.Equal((0.0, 1.0, 1.0, 0.0), (same.GradientRelativeError, same.GradientCosine, same.SignAgreement, same.MaxMarginDifference));
        var nonZero = a.WeightGradients!.Sum(g => g.Count(v => v != 0));
        Assert.Equal(nonZero, same.GradientComponents);

        var flipped = a.WeightGradients!.Select(g => (float[])g.Clone()).ToArray();
        var at = Array.FindIndex(flipped[0], v => v != 0);
        var x = flipped[0][at];
        flipped[0][at] = -x;
        var b = a with { WeightGradients = flipped, Margins = a.Margins.Select((m, i) => i == 0 ? m + 0.5f : m).ToArray() };

        var one = PassAgreement.Compare(a, b);
        Assert.Equal((double)(nonZero - 1) / nonZero, one.SignAgreement, 12);
        var norm = Math.Sqrt(a.WeightGradients!.Sum(g => g.Sum(v => (double)v * v)));
        Assert.Equal(2 * Math.Abs(x) / norm, one.GradientRelativeError, 9);
        Assert.Equal(0.5, one.MaxMarginDifference, 6);
    }

    private static (MappedForward Forward, DeviceBoundModel Bounds) Problem()
    {
        var net = TwoLayer(7, 6, 10, 3);
        var data = SelfLabelled(net, 300, 11);
        return (new MappedForward(Map(net), data), DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) }));
    }

    private static double[] Flatten(ConductancePerturbation delta) =>
        delta.Layers.SelectMany(l => Enumerable.Range(0, l.SliceCount).SelectMany(s => l.Plus[s].Concat(l.Minus[s]))).ToArray();
}
