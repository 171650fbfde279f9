using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cim;

/// <summary>
/// The seam the GPU backend plugs into (IChipBatchBackend, docs/gpu.md). CI has no GPU, so a scripted backend stands in
/// for it: the evaluator must hand it the chip range and summarise exactly what it returns, keeping the nominal on the CPU.
/// </summary>
public class ChipBatchBackendTests
{
    [Fact]
    public void Run_WithABackend_SummarisesItsChipAccuracies_AndKeepsTheNominalOnTheCpu()
    {
        var net = CimTestModels.LinearNet(31);
        var (images, labels) = CimTestModels.SelfLabelled(net, 400, 32);
        var data = new TestSet(images, labels, 100);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 6 }, CimTestModels.Window);
        var options = new MonteCarloOptions { Chips = 4, Seed = 5, BootstrapResamples = 50 };
        using var backend = new ScriptedBackend([0.25, 0.5, 0.75, 1.0]);

        var result = new MonteCarloEvaluator(mapped, VariationSpec.Parse("gaussian:0.1"), options, backend).Run(data);
        var cpuNominal = new MonteCarloEvaluator(mapped, VariationSpec.Parse("gaussian:0.1"), options).EvaluateNominal(data);

        Assert.Equal([(0, 4)], backend.Calls);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], result.ChipAccuracies.ToArray());
        Assert.Equal(0.625, result.Mean, 12);
        Assert.Equal(0.25, result.Minimum);
        Assert.Equal(cpuNominal, result.NominalAccuracy);
    }

    [Fact]
    public void EvaluateChips_WithABackend_PassesTheShardsChipRangeThrough()
    {
        var net = CimTestModels.LinearNet(33);
        var (images, labels) = CimTestModels.SelfLabelled(net, 100, 34);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 6 }, CimTestModels.Window);
        using var backend = new ScriptedBackend([0.5, 0.5, 0.5]);

        var accuracies = new MonteCarloEvaluator(mapped, VariationSpec.None, new MonteCarloOptions { Chips = 10 }, backend)
            .EvaluateChips(new TestSet(images, labels, 50), 7, 3);

        Assert.Equal([(7, 3)], backend.Calls);
        Assert.Equal([0.5, 0.5, 0.5], accuracies);
    }

    private sealed class ScriptedBackend(double[] accuracies) : IChipBatchBackend
    {
        public List<(int First, int Count)> Calls { get; } = [];

        public string Description => "scripted";

        public double[] EvaluateChips(TestSet data, int firstChip, int count, IProgress<MonteCarloProgress>? progress, CancellationToken cancellationToken)
        {
            Calls.Add((firstChip, count));
            return accuracies[..count];
        }

        public void Dispose()
        {
        }
    }
}
