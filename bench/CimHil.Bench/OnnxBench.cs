using System.Diagnostics;
using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;
using CimHil.Simulation.Variation;

namespace CimHil.Bench;

/// <summary>
/// Issue #17: Monte-Carlo throughput of the ONNX-imported LeNet-5 (tests/fixtures/onnx/lenet5.onnx) against the built-in
/// LeNet-5 with the same weights, alternated in one process (target: ≥ 90 %, median of paired ratios), and the residual
/// fixture's throughput beside the sgemm 1024³ rate. Arguments: [chips, default 8] [images, default 2000].
/// </summary>
internal static class OnnxBench
{
    private const int Repetitions = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        var chips = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
        var images = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        var onnx = (await OnnxImporter.LoadAsync("tests/fixtures/onnx/lenet5.onnx")).Network;
        var builtIn = await Checkpoint.LoadAsync("models/lenet5-fmnist.safetensors");
        var residual = (await OnnxImporter.LoadAsync("tests/fixtures/onnx/residual-cnn.onnx")).Network;
        var test = (await FashionMnist.LoadSplitAsync(FashionMnist.ResolveDirectory(null), "t10k")).Take(images);
        var data = TestSet.FromDataset(test, 1000);
        Console.WriteLine($"GEMM backend: {Gemm.Description}; {Environment.ProcessorCount} logical cores; {test.Count} images; {chips} chips; programming error + stuck-at (weights fixed per chip)");
        Console.WriteLine($"fast path: built-in {InferencePlan.TryCompile(builtIn) is not null}, ONNX LeNet-5 {InferencePlan.TryCompile(onnx) is not null}, residual {InferencePlan.TryCompile(residual) is not null} (a DAG: Network.Forward)");

        var device = new DeviceVariationModel
        {
            Name = "bench-pcm",
            Technology = DeviceTechnology.Pcm,
            Window = new ConductanceWindow(0.5e-6, 25e-6),
            Programming = new ProgrammingErrorModel { SigmaS = new Polynomial([0.3e-6, 0.6e-6]), Family = ErrorDistribution.Normal },
            ReadNoise = new ReadNoiseModel { SigmaS = Polynomial.Constant(0.1e-6) },
            StuckAt = new StuckAtModel { StuckOnRate = 0.001, StuckOffRate = 0.002, StuckOnConductanceS = 25e-6, StuckOffConductanceS = 0.5e-6 },
            Provenance = new ModelProvenance { Source = "bench (in code)" },
        };
        var spec = new VariationSpec { Noise = new CalibratedNoiseModel(device), ReadNoise = false };
        var mapping = new CimMappingOptions { BitsPerDevice = 4, SliceCount = 2 };
        MonteCarloEvaluator Evaluator(Network net) => new(MappedNetwork.Map(net, mapping, device.Window), spec, new MonteCarloOptions { Chips = chips, Seed = 1 });
        var (mcOnnx, mcBuiltIn, mcResidual) = (Evaluator(onnx), Evaluator(builtIn), Evaluator(residual));
        var warm = TestSet.FromDataset(test.Take(64), 64);
        mcOnnx.Run(warm);
        mcBuiltIn.Run(warm);
        mcResidual.Run(warm);

        var ratios = new List<double>();
        for (var rep = 0; rep < Repetitions; rep++)
        {
            var b = mcBuiltIn.Run(data).ImageChipsPerSecond;
            var o = mcOnnx.Run(data).ImageChipsPerSecond;
            ratios.Add(100 * o / b);
            Console.WriteLine($"  #{rep + 1}: built-in {b:F0} images×chips/s, ONNX {o:F0} images×chips/s = {ratios[^1]:F1} %");
        }

        var median = ratios.Order().ElementAt(ratios.Count / 2);
        Console.WriteLine($"ONNX LeNet-5 / built-in LeNet-5: median {median:F1} % — target ≥ 90 %");

        var flops = FlopsPerImage(residual);
        var gemm = GemmRate(1024, 1.0);
        var r = mcResidual.Run(data);
        var gflops = r.ImageChipsPerSecond * flops / 1e9;
        Console.WriteLine($"residual-cnn: {flops / 1e6:F2} MFLOP/image; MC {r.ImageChipsPerSecond:F0} images×chips/s = {gflops:F2} GFLOP/s beside sgemm 1024³ {gemm:F2} GFLOP/s ({100 * gflops / gemm:F1} %); nominal accuracy {r.NominalAccuracy:P2}");
        return median >= 90 ? 0 : 1;
    }

    /// <summary>2·MACs of every weighted layer for one sample, counted from the MVM outputs of one forward pass.</summary>
    private static double FlopsPerImage(Network net)
    {
        double flops = 0;
        var x = Tensor.Zeros([1, .. net.InputShape]);
        using var _ = Tensor.NoGrad();
        net.Forward(x, new ForwardContext
        {
            OutputTransform = (layer, y) =>
            {
                flops += 2.0 * y.Length * layer.FanIn;
                return y;
            },
        });
        return flops;
    }

    private static double GemmRate(int n, double seconds)
    {
        var rng = new Random(1);
        var a = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
        var b = Enumerable.Range(0, n * n).Select(_ => (float)rng.NextDouble()).ToArray();
        var c = new float[n * n];
        Gemm.Multiply(false, false, n, n, n, a, b, c);
        var reps = 0;
        var sw = Stopwatch.StartNew();
        do
        {
            Gemm.Multiply(false, false, n, n, n, a, b, c);
            reps++;
        }
        while (sw.Elapsed.TotalSeconds < seconds);
        return 2.0 * n * n * n * reps / sw.Elapsed.TotalSeconds / 1e9;
    }
}
