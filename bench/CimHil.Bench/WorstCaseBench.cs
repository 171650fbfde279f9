using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using CimHil.Workflows;
using Serilog.Core;

namespace CimHil.Bench;

/// <summary>
/// Worst-case search on LeNet-5 / Fashion-MNIST at one bound: wall time until the final worst-case accuracy is reached and
/// the accuracy, for the default search and for Yan et al.'s search given the same number of passes over the test set,
/// plus the Monte-Carlo minimum and 1st percentile of the same device model for comparison.
/// Arguments: [k = 1] [images = 10000] [checkpoint = models/lenet5-fmnist.safetensors] [mc chips = 20].
/// </summary>
internal static class WorstCaseBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var k = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var images = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10000;
        var checkpoint = args.Length > 2 ? args[2] : "models/lenet5-fmnist.safetensors";
        var chips = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 20;

        var net = await Checkpoint.LoadAsync(checkpoint);
        var test = (await FashionMnist.LoadSplitAsync(FashionMnist.ResolveDirectory(null), "t10k")).Take(images);
        var all = test.Batch(Enumerable.Range(0, test.Count).ToArray());
        var data = new TestSet(all.Input, all.Labels, 1000);
        var device = PcmLike();
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(device) });
        var mapping = new CimMappingOptions { BitsPerDevice = 4, SliceCount = 1 };
        var mapped = MappedNetwork.Map(net, mapping, device.Window);
        var forward = new MappedForward(mapped, data);
        Console.WriteLine($"LeNet-5 '{checkpoint}', {data.Count} Fashion-MNIST test images, {mapped.DeviceCount} devices, box |Δg| ≤ {k}·σ_prog(G) of '{device.Name}'");

        var defaults = WorstCaseOptions.Default;
        var stronger = new WorstCaseSearch(forward, bounds, defaults, Logger.None);
        Console.WriteLine($"clean mapped accuracy {stronger.CleanAccuracy:P2}");
        var a = stronger.Search(k);
        Report("default", a);

        // Same budget for the paper's search: as many gradient passes as the default spent in gradient and forward passes
        // (a forward pass costs about a third of a forward + backward one; counting it as a full pass favours the paper search).
        var paperSteps = a.GradientPasses + a.ForwardPasses - 1;
        var paper = new WorstCaseSearch(forward, bounds, WorstCaseOptions.Paper with { Steps = paperSteps }, Logger.None);
        var b = paper.Search(k);
        Report($"paper ({paperSteps} Adam steps)", b);

        if (chips > 0)
        {
            // The run's own Monte-Carlo stage, so the comparison is with what `cimhil run` reports for the same model.
            var options = new MonteCarloOptions { Chips = chips, Seed = 1, Percentile = 1 };
            var mc = await EvaluationStages.MonteCarloSummaryAsync(
                net, mapping, bounds.MonteCarloSpec, options, test, FashionMnist.ResolveDirectory(null), "monte-carlo", SynchronousProgress<StageProgress>.None, CancellationToken.None);
            Console.WriteLine($"Monte-Carlo {chips} chips ({bounds.MonteCarloSpec.Describe()}): mean {mc.Mean:P2}, minimum {mc.Minimum:P2}, 1st percentile {mc.Percentile:P2}, {mc.Seconds:F1} s");
        }

        return 0;

        static void Report(string name, WorstCaseRun run) => Console.WriteLine(
            $"{name}: worst-case accuracy {run.Accuracy:P2} (before polish {run.AccuracyBeforePolish:P2}); reached after {run.SecondsToBest:F1} s of {run.Seconds:F1} s; " +
            $"{run.GradientPasses} gradient + {run.ForwardPasses} forward passes");
    }

    /// <summary>The same PCM-like model as the Monte-Carlo bench: σ_p(x) = 0.3 µS + 0.6 µS·x over a 0.5–25 µS window.</summary>
    internal static DeviceVariationModel PcmLike() => new()
    {
        Name = "bench-pcm",
        Technology = DeviceTechnology.Pcm,
        Window = new ConductanceWindow(0.5e-6, 25e-6),
        Programming = new ProgrammingErrorModel { SigmaS = new Polynomial([0.3e-6, 0.6e-6]), Family = ErrorDistribution.Normal },
        ReadNoise = new ReadNoiseModel { SigmaS = Polynomial.Constant(0.1e-6) },
        Provenance = new ModelProvenance { Source = "bench (in code)" },
    };
}
