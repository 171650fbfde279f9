using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.WorstCase;

public sealed class WorstCaseEvaluationTests
{
    [Fact]
    public async Task RunAsync_SavesOneDeltaPerBoundThatVerifiesExactlyAndAddsTheMonteCarloReference()
    {
        var net = TwoLayer(7, 6, 10, 3);
        var data = SelfLabelled(net, 300, 11);
        var dir = Path.Combine(Path.GetTempPath(), $"worst-eval-{Guid.NewGuid():N}");
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var mapping = new CimMappingOptions { BitsPerDevice = 4 };
        try
        {
            var report = await WorstCaseEvaluation.RunAsync(net, mapping, data, new WorstCaseRequest
            {
                Ks = [1, 0, 3],
                Bounds = bounds,
                Search = Fast(WorstCaseOptions.Default),
                OutputDirectory = dir,
                MonteCarloChips = 6,
            }, Log);

            Assert.Equal([0.0, 1, 3], report.Points.Select(p => p.K));
            Assert.Equal(report.CleanAccuracy, report.Points[0].Accuracy);
            Assert.True(report.Points[2].Accuracy <= report.Points[1].Accuracy);
            foreach (var p in report.Points)
            {
                Assert.Equal(Path.Combine(dir, WorstCaseEvaluation.FileName(p.K)), p.PerturbationPath);
                var (accuracy, recorded) = await WorstCaseEvaluation.VerifyAsync(net, mapping, bounds, data, p.PerturbationPath!);
                Assert.Equal(p.Accuracy, accuracy);
                Assert.Equal(p.Accuracy, recorded);
            }

            var mc = Assert.IsType<MonteCarloReference>(report.MonteCarlo);
            Assert.Equal(6, mc.Chips);
            Assert.InRange(mc.Minimum, 0, mc.Mean);

            // Programming error of ±3σ at random hardly moves the mean; placed adversarially it is far worse.
            Assert.True(report.Points[2].Accuracy < mc.Minimum, $"worst case at k=3 {report.Points[2].Accuracy} vs Monte-Carlo minimum {mc.Minimum}");
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    [Fact]
    public void Search_WithAdcAndDacQuantisation_ReportsTheExactTiledForwardAccuracy()
    {
        var net = TwoLayer(6, 6, 8, 3);
        var data = SelfLabelled(net, 120, 3);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4, AdcBits = 6, DacBits = 6, TileRows = 4 }, Window);
        mapped.CalibratePeriphery(data.Batches[0]);
        var forward = new MappedForward(mapped, data);
        var search = new WorstCaseSearch(forward, DeviceBoundModel.Uniform(0.02, Window), Fast(WorstCaseOptions.Default), Log);

        var run = search.Search(1);

        Assert.True(forward.HasConverters);
        Assert.True(run.Accuracy < search.CleanAccuracy);
        Assert.Equal(run.Accuracy, forward.Accuracy(run.Delta.ApplyTo(mapped)));
        var nominal = new MonteCarlo.MonteCarloEvaluator(mapped, VariationSpec.None, new MonteCarlo.MonteCarloOptions { Chips = 1 }).EvaluateNominal(data);
        Assert.Equal(nominal, search.CleanAccuracy);
    }

    [Fact]
    public void Parse_AcceptsUniformAndGaussianFormsAndRejectsNone()
    {
        var uniform = DeviceBoundModel.Parse("uniform:0.02");
        Assert.Equal(DeviceBoundKind.UniformWindow, uniform.Kind);
        Assert.Equal(0.02, uniform.Relative);
        Assert.Equal(DeviceBoundKind.GaussianWeight, DeviceBoundModel.Parse("gaussian:0.1").Kind);
        Assert.Equal(DeviceBoundKind.GaussianConductance, DeviceBoundModel.Parse("gaussian-conductance:0.1").Kind);
        Assert.Throws<Core.Config.ConfigException>(() => DeviceBoundModel.Parse("none"));
        Assert.Throws<Core.Config.ConfigException>(() => DeviceBoundModel.Parse("uniform:x"));
        Assert.Throws<Core.Config.ConfigException>(() => DeviceBoundModel.Parse("uniform:-1"));
    }
}
