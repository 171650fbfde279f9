using CimHil.Simulation.Engine;
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

/// <summary>An exported chip, run by ONNX Runtime, has the accuracy CimHil reported for that chip.</summary>
public sealed class ChipExportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cimhil-chip-export-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WorstCaseChip_InOnnxRuntime_HasTheReportedWorstCaseAccuracy(bool builtIn)
    {
        var (network, source) = await LeNetAsync(builtIn);
        var (x, labels) = TestData();
        var data = new TestSet(x, labels, 128);
        var mapping = new CimMappingOptions { BitsPerDevice = 4, SliceCount = 1 };
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var request = new WorstCaseRequest
        {
            Ks = [3.0],
            Bounds = bounds,
            Search = WorstCaseOptions.Default with { Steps = 4, Restarts = 0, PolishEvaluations = 4, Seed = 3 },
            OutputDirectory = _folder,
            MonteCarloChips = 0,
        };
        var report = await WorstCaseEvaluation.RunAsync(network, mapping, data, request, Log);
        var point = report.Points.Single();
        var written = Path.Combine(_folder, "worst.onnx");

        await ChipExport.WorstCaseChipAsync(written, MappedNetwork.Map(network, mapping, bounds.Window), point.PerturbationPath!, source, false);

        Assert.True(point.Accuracy < report.CleanAccuracy - 0.05, $"the worst case should hurt: {point.Accuracy:P2} vs clean {report.CleanAccuracy:P2}");
        Assert.Equal(point.Accuracy, OnnxRuntimeAccuracy(written, x, labels));
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(written);
        Assert.Contains("worst-case chip: k = 3", session.ModelMetadata.Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MonteCarloChip_InOnnxRuntime_HasThatChipsReportedAccuracy(bool builtIn)
    {
        var (network, source) = await LeNetAsync(builtIn);
        var (x, labels) = TestData();
        var data = new TestSet(x, labels, 128);
        var variation = VariationSpec.Parse("gaussian:0.15"); // no read noise: the chip is fully representable
        var mapped = MappedNetwork.Map(network, new CimMappingOptions { BitsPerDevice = 4, SliceCount = 2 }, variation.Window);
        var options = new MonteCarloOptions { Chips = 4, Seed = 11, MaxDegreeOfParallelism = 2, BootstrapResamples = 100 };
        var result = new MonteCarloEvaluator(mapped, variation, options).Run(data);
        var nominal = (float[])network.WeightedLayers[0].Weight.Data.Clone();

        var accuracies = new List<double>();
        foreach (var chip in new[] { 1, 3 })
        {
            var written = Path.Combine(_folder, $"chip{chip}.onnx");
            await ChipExport.MonteCarloChipAsync(written, mapped, variation, options.Seed, chip, source, false);
            accuracies.Add(OnnxRuntimeAccuracy(written, x, labels));
        }

        Assert.Equal([result.ChipAccuracies[1], result.ChipAccuracies[3]], accuracies);
        Assert.NotEqual(accuracies[0], result.NominalAccuracy);
        Assert.Equal(nominal, network.WeightedLayers[0].Weight.Data); // the nominal weights are restored after the write
    }

    private static async Task<(Network Network, string? Source)> LeNetAsync(bool builtIn) => builtIn
        ? (await Checkpoint.LoadAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lenet5-fmnist.safetensors")), null)
        : ((await OnnxImporter.LoadAsync(PathOf("lenet5"))).Network, PathOf("lenet5"));

    private static double OnnxRuntimeAccuracy(string model, Tensor x, int[] labels)
    {
        var logits = OnnxRuntimeOutput(model, x);
        var classes = logits.Length / labels.Length;
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            correct += row.IndexOf(System.Numerics.Tensors.TensorPrimitives.Max(row)) == labels[i] ? 1 : 0;
        }

        return (double)correct / labels.Length;
    }
}
