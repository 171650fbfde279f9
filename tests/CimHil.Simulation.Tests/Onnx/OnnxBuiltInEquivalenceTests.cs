using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using static CimHil.Simulation.Tests.Onnx.OnnxFixtures;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.Onnx;

/// <summary>The ONNX LeNet-5 fixture carries the weights of models/lenet5-fmnist.safetensors: every result must be identical.</summary>
public sealed class OnnxBuiltInEquivalenceTests
{
    private static async Task<(Network Onnx, Network BuiltIn)> BothAsync()
    {
        var onnx = (await OnnxImporter.LoadAsync(PathOf("lenet5"))).Network;
        var builtIn = await Checkpoint.LoadAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lenet5-fmnist.safetensors"));
        return (onnx, builtIn);
    }

    [Fact]
    public async Task OnnxLeNet5_HasTheBuiltInLayersWeightsAndPaths()
    {
        var (onnx, builtIn) = await BothAsync();

        Assert.Equal(builtIn.WeightedLayers.Select(l => (l.Path, l.Kind, l.OutputCount, l.FanIn)), onnx.WeightedLayers.Select(l => (l.Path, l.Kind, l.OutputCount, l.FanIn)));
        foreach (var (a, b) in onnx.NamedParameters().Zip(builtIn.NamedParameters()))
        {
            Assert.Equal(b.Path, a.Path);
            Assert.Equal(b.Tensor.Data, a.Tensor.Data);
        }

        Assert.NotNull(InferencePlan.TryCompile(onnx)); // same fast path as the built-in, hence the same throughput
    }

    [Fact]
    public async Task MonteCarlo_GivesIdenticalChipAccuraciesForTheSameSeed()
    {
        var (onnx, builtIn) = await BothAsync();
        var (x, labels) = TestData();
        var data = new TestSet(x, labels, 128);
        var spec = new VariationSpec { Noise = new CalibratedNoiseModel(Device()) };
        var mapping = new CimMappingOptions { BitsPerDevice = 4, SliceCount = 2 };
        var options = new MonteCarloOptions { Chips = 6, Seed = 7, MaxDegreeOfParallelism = 2, BootstrapResamples = 200 };

        var a = new MonteCarloEvaluator(MappedNetwork.Map(onnx, mapping, spec.Window), spec, options).Run(data);
        var b = new MonteCarloEvaluator(MappedNetwork.Map(builtIn, mapping, spec.Window), spec, options).Run(data);

        var b2 = new MonteCarloEvaluator(MappedNetwork.Map(builtIn, mapping, spec.Window), spec, options).Run(data);
        Assert.True(b.ChipAccuracies.SequenceEqual(b2.ChipAccuracies), $"built-in twice: {string.Join(", ", b.ChipAccuracies)} vs {string.Join(", ", b2.ChipAccuracies)}");
        Assert.True(b.ChipAccuracies.SequenceEqual(a.ChipAccuracies), $"{string.Join(", ", b.ChipAccuracies)} vs {string.Join(", ", a.ChipAccuracies)}");
        Assert.Equal(b.NominalAccuracy, a.NominalAccuracy);
        Assert.Equal(b.Mean, a.Mean);
        Assert.Equal(b.Percentile, a.Percentile);
        Assert.True(b.ChipAccuracies.Distinct().Count() > 1, "the chips should differ from each other");
    }

    [Fact]
    public async Task WorstCase_GivesIdenticalAccuraciesAndDeviationsForTheSameSeed()
    {
        var (onnx, builtIn) = await BothAsync();
        var (x, labels) = TestData();
        var data = new TestSet(x, labels, 256);
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var options = WorstCaseOptions.Default with { Steps = 4, Restarts = 0, PolishEvaluations = 4, Seed = 3 };
        var saved = new List<double[]>[2];

        async Task<IReadOnlyList<WorstCaseBoundResult>> Sweep(Network net, int slot)
        {
            saved[slot] = [];
            var search = new WorstCaseSearch(new MappedForward(Map(net), data), bounds, options, Log);
            return await search.SweepAsync([0.5, 2.0], (_, d, _, _) =>
            {
                saved[slot].AddRange(d.Clone().Layers.SelectMany(l => l.Plus.Concat(l.Minus)));
                return Task.FromResult<string?>(null);
            });
        }

        var a = await Sweep(onnx, 0);
        var b = await Sweep(builtIn, 1);

        Assert.Equal(b.Select(p => (p.K, p.Accuracy, p.SearchAccuracy)), a.Select(p => (p.K, p.Accuracy, p.SearchAccuracy)));
        Assert.Equal(saved[1].Count, saved[0].Count);
        for (var i = 0; i < saved[0].Count; i++)
        {
            Assert.Equal(saved[1][i], saved[0][i]);
        }

        Assert.True(a[^1].Accuracy < a[0].Accuracy, "the k = 2 worst case should hurt more than k = 0.5");
    }
}
