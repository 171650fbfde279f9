using CimHil.Core.Devices;
using CimHil.Simulation.Cuda;
using CimHil.Simulation.Cuda.Converters;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Tests.Cim;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// The GPU's tiled forward with DAC/ADC converters (Converters/TiledForward: its <see cref="ConverterTiling"/>, layout and
/// kernels) run on the CPU by <see cref="TiledPlanInterpreter"/> with the converter kernels built by g++, against
/// <see cref="MonteCarloEvaluator"/>'s CPU chips (<see cref="CrossbarForward"/>) under the managed GEMM, whose products sum in
/// the interpreter's order: every logit of every chip equal, so every chip's accuracy too. On the GPU cuBLAS sums the products
/// in its own order, so a partial sum on a quantisation boundary can move one LSB there (docs/gpu.md, "Converters"; counted
/// by <c>gpu check</c>).
/// </summary>
public sealed class TiledForwardHostTests : IDisposable
{
    private readonly ConverterKernels _kernels = new();

    public void Dispose() => _kernels.Dispose();

    public static TheoryData<string> Cases() => ["small-both", "small-adc-only", "small-dac-only", "lenet5"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TiledForward_EqualsTheCpuChips_LogitForLogit(string name)
    {
        var (mapped, variation, images) = await Problem(name);
        var plan = InferencePlan.TryCompile(mapped.Network)!;
        var tiling = ConverterTiling.Of(mapped);
        const int chips = 3, batchSize = 8;
        var test = new TestSet(images, mapped.Network.Predict(images), batchSize);
        var crossbar = new CrossbarForward(mapped, mapped.Ranges!);
        using var managed = Gemm.Use(GemmBackend.Managed);
        var programmed = Enumerable.Range(0, chips).Select(c => SimulatedChip.Program(mapped, variation, 5, c)).ToArray();
        var correct = new int[chips];

        for (var b = 0; b < test.Batches.Count; b++)
        {
            var batch = test.Batches[b];
            var n = batch.Dim(0);
            var slices = programmed.Select(chip => chip.SliceWeights(b)).ToArray();
            var factors = programmed.Select(chip => chip.OutputFactors.ToArray()).ToArray();

            var gpu = TiledPlanInterpreter.Logits(_kernels, plan, tiling, batch.Data, n, slices, factors);

            var classes = mapped.Network.ClassCount;
            for (var g = 0; g < chips; g++)
            {
                float[] cpu;
                using (Tensor.NoGrad())
                {
                    cpu = mapped.Network.Forward(batch, crossbar.Context(slices[g], factors[g])).Data;
                }

                for (var i = 0; i < n; i++)
                {
                    for (var k = 0; k < classes; k++)
                    {
                        var device = gpu[(((g * classes) + k) * n) + i];
                        Assert.True(cpu[(i * classes) + k] == device, $"chip {g}, batch {b}, image {i}, class {k}: cpu {cpu[(i * classes) + k]:R}, tiled {device:R}");
                    }

                    correct[g] += TopOne(gpu, g, classes, n, i) == test.BatchLabels(b)[i] ? 1 : 0;
                }
            }
        }

        var evaluator = new MonteCarloEvaluator(mapped, variation, new MonteCarloOptions { Chips = chips, Seed = 5, BatchSize = batchSize, MaxDegreeOfParallelism = 1 });
        var accuracies = evaluator.EvaluateChips(test, 0, chips);
        Assert.Equal(accuracies, correct.Select(c => (double)c / test.Count));
    }

    [Fact]
    public async Task Tiling_CutsEachLayerAsCrossbarForward_WithTheCalibratedRanges()
    {
        var (mapped, _, _) = await Problem("small-both");

        var tiling = ConverterTiling.Of(mapped);

        // conv 1→4 3×3 (K 9), conv 4→6 3×3 (K 36), linear 6→5, linear 5→3, in row tiles of 5 and column tiles of 2.
        Assert.Equal([[0, 5], [0, 5, 10, 15, 20, 25, 30, 35], [0, 5], [0]], tiling.Layers.Select(l => l.RowTiles.Select(t => t.FirstRow).ToArray()).ToArray());
        Assert.Equal([5, 4], tiling.Layers[0].RowTiles.Select(t => t.Rows).ToArray());
        Assert.Equal([2, 3, 3, 2], tiling.Layers.Select(l => l.ColumnTiles).ToArray());
        var ranges = mapped.Ranges!;
        var tile = tiling.Layers[1].RowTiles[3];
        Assert.Equal(Converter.Step(ranges.Dac[1][3], 6), tile.Dac!.Step);
        Assert.Equal(Converter.Step(ranges.Adc[1][3][2][1], 5), tile.Adc![2][1].Step);
        Assert.Equal(1.0 / tile.Adc[2][1].Step, tiling.AdcTable[tiling.AdcOffset(1, 3, 1) + 5]);
        Assert.Equal(15, tiling.AdcMaxCode(1));
    }

    [Fact]
    public async Task Unsupported_WithConverters_RunsChains_AndRefusesTheGraphPathNamingIt()
    {
        var (mapped, _, _) = await Problem("small-both");
        var residual = ModelZoo.Create(ModelZoo.ResNetSmall, 1);
        var graph = MappedNetwork.Map(residual, new CimMappingOptions { AdcBits = 8 }, CimTestModels.Window);
        graph.CalibratePeriphery(CimTestModels.RandomInput(3, [4, .. residual.InputShape]));

        Assert.Null(CudaMonteCarlo.Unsupported(mapped));
        Assert.Equal(
            "DAC/ADC converters (the tiled crossbar forward) run on the GPU only for chains of Conv2d, Linear, ReLU, MaxPool2d and Flatten (e.g. LeNet-5); resnet-small takes the graph path, which has no converters yet",
            CudaMonteCarlo.Unsupported(graph));
        Assert.Equal("the mapping has DAC/ADC converters but no calibrated ranges (MappedNetwork.CalibratePeriphery)", CudaMonteCarlo.Unsupported(MappedNetwork.Map(mapped.Network, mapped.Options, CimTestModels.Window)));
        Assert.StartsWith("DAC/ADC converters: the search's gradient", CudaWorstCasePasses.Unsupported(mapped), StringComparison.Ordinal);
    }

    private static int TopOne(float[] logits, int g, int classes, int n, int i)
    {
        var best = 0;
        for (var k = 1; k < classes; k++)
        {
            if (logits[(((g * classes) + k) * n) + i] > logits[(((g * classes) + best) * n) + i])
            {
                best = k;
            }
        }

        return best;
    }

    private static async Task<(MappedNetwork Mapped, VariationSpec Variation, Tensor Images)> Problem(string name)
    {
        if (name == "lenet5")
        {
            var lenet = await ModelFile.LoadAsync(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lenet5-fmnist.safetensors"));
            var lenetMapped = MappedNetwork.Map(lenet, new CimMappingOptions { AdcBits = 8, DacBits = 8 }, CimTestModels.Window);
            lenetMapped.CalibratePeriphery(CimTestModels.RandomInput(11, 16, 1, 28, 28));
            return (lenetMapped, VariationSpec.Parse("gaussian:0.1"), CimTestModels.RandomInput(12, 20, 1, 28, 28));
        }

        var rng = new Random(3);
        var body = new Sequential(
            ("conv1", new Conv2d(1, 4, 3, rng, padding: 1)),
            ("relu1", new Relu()),
            ("pool1", new MaxPool2d(2)),
            ("conv2", new Conv2d(4, 6, 3, rng)),
            ("relu2", new Relu()),
            ("pool2", new MaxPool2d(2)),
            ("flatten", new Flatten()),
            ("fc1", new Linear(6, 5, rng)),
            ("relu3", new Relu()),
            ("fc2", new Linear(5, 3, rng)));
        var net = new Network("tiled-test", body, [1, 8, 8], 3);
        var options = new CimMappingOptions
        {
            BitsPerDevice = 3,
            SliceCount = 2,
            TileRows = 5,
            TileColumns = 2,
            DacBits = name == "small-adc-only" ? null : 6,
            AdcBits = name == "small-dac-only" ? null : 5,
        };
        var mapped = MappedNetwork.Map(net, options, CimTestModels.Window);
        mapped.CalibratePeriphery(CimTestModels.RandomInput(4, 12, 1, 8, 8));

        // Programming noise, stuck cells, drift with global compensation (output factors ≠ 1) and read noise per batch.
        var drift = new DriftModel { T0Seconds = 1, NuMean = Polynomial.Constant(0.05), NuSigma = Polynomial.Constant(0.01) };
        var stuck = new StuckAtModel { StuckOnRate = 0.02, StuckOffRate = 0.03, StuckOnConductanceS = 9e-5, StuckOffConductanceS = 1e-6 };
        var variation = new VariationSpec { Noise = new CalibratedNoiseModel(CimTestModels.Device(drift: drift, stuck: stuck)), InferenceTimeSeconds = 1e4, DriftCompensation = true };
        return (mapped, variation, CimTestModels.RandomInput(5, 20, 1, 8, 8));
    }
}
