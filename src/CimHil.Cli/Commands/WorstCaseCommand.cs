using System.CommandLine;
using System.Globalization;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.WorstCase;
using CimHil.Workflows.Sharding;
using CimHil.Workflows;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil worst-case</c>: worst-case accuracy versus device-deviation bound, the Δ files, and the Monte-Carlo reference.</summary>
public static class WorstCaseCommand
{
    /// <summary>The stage name of the search's progress events and bar.</summary>
    public const string Stage = "worst-case";

    /// <summary>The stage name of the Monte-Carlo reference's progress events and bar.</summary>
    public const string ReferenceStage = "monte-carlo reference";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var model = new Option<string>("--model") { Description = "Trained checkpoint (safetensors), e.g. models/lenet5-fmnist.safetensors, or an ONNX graph (net.onnx)", Required = true };
        var deviceModel = new Option<string>("--device-model")
        {
            Description = "Box model: calibration JSON (|Δg| ≤ k·σ_prog(G)), gaussian:σ (|ΔW| ≤ k·σ·max|W|), gaussian-conductance:σ or uniform:f (|Δg| ≤ k·σ·(Gmax−Gmin))",
            Required = true,
        };
        var ks = new Option<string>("--k") { Description = "Bound multipliers, comma-separated", DefaultValueFactory = _ => "0,0.5,1,2,3" };
        var method = new Option<string>("--method") { Description = "Search: default (stronger) or paper (Yan et al., ICCAD 2022)", DefaultValueFactory = _ => "default" };
        var steps = new Option<int?>("--steps") { Description = "Gradient steps per start (default: the method's)" }.Within(1, CliLimits.MaxSearchSteps);
        var restarts = new Option<int?>("--restarts") { Description = "Random restarts after the first start (default: the method's)" }.Within(0, CliLimits.MaxRestarts);
        var images = new Option<int>("--images") { Description = "Test images used (first N of the test split)", DefaultValueFactory = _ => 10000 }.Within(1, CliLimits.MaxTestImages);
        var data = new Option<string?>("--data") { Description = $"Fashion-MNIST folder (default: ${FashionMnist.DirectoryVariable}, else {FashionMnist.DefaultDirectory}) or a NumPy pair x.npy,y.npy (float32 inputs, normalised; int64 labels)" };
        var foldBatchNorm = new Option<bool>("--fold-batchnorm") { Description = "ONNX models: fold each BatchNorm into the preceding convolution's weights (what the crossbar stores); default: BatchNorm stays digital" };
        var bits = new Option<int>("--bits") { Description = "Bits per device", DefaultValueFactory = _ => 4 };
        var slices = new Option<int>("--slices") { Description = "Device slices per weight", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Folder for the Δ files (worst-case-k<k>.safetensors)", DefaultValueFactory = _ => "worst-case" };
        var chips = new Option<int>("--mc-chips") { Description = "Monte-Carlo chips for the reference (0: none)", DefaultValueFactory = _ => 100 }.Within(0, CliLimits.MaxChips);
        var percentile = new Option<double>("--mc-percentile") { Description = "k-th percentile of the Monte-Carlo accuracies to report", DefaultValueFactory = _ => 1 }.Within(0, 100);
        var seed = new Option<int>("--seed") { Description = "Seed of the random restarts and of the Monte-Carlo chips", DefaultValueFactory = _ => 1 };
        var verify = new Option<string?>("--verify") { Description = "Re-apply a saved Δ file instead of searching, and compare with the accuracy recorded in it" };
        var exportOnnx = new Option<string?>("--export-onnx") { Description = "Also write the worst-case chip as ONNX (decoded crossbar weights of the Δ at --export-onnx-k; digital layers nominal)" };
        var exportK = new Option<double?>("--export-onnx-k") { Description = "Bound whose worst-case chip --export-onnx writes (one of --k; default: the largest)" };
        var json = CliServices.JsonOption();
        var sharding = new WorstCaseSharding(services);
        var command = new Command("worst-case", "Worst-case accuracy under bounded device deviations (directed search), versus the bound, with the Monte-Carlo minimum and percentile")
        {
            model, deviceModel, ks, method, steps, restarts, images, data, foldBatchNorm, bits, slices, output, chips, percentile, seed, verify, exportOnnx, exportK, json,
        };
        sharding.AddOptions(command);
        var device = new SimulationDeviceOptions();
        device.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = services.SimulationConfig(parse);
            var logger = services.Logger(parse);
            var bounds = DeviceBoundModel.Parse(parse.GetValue(deviceModel)!);
            var mapping = new CimMappingOptions { BitsPerDevice = parse.GetValue(bits), SliceCount = parse.GetValue(slices) };
            try
            {
                mapping.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new CliUsageException($"mapping: {ex.Message}");
            }

            var n = parse.GetValue(images);
            if (n < 1)
            {
                throw new CliUsageException($"--images {n}: must be ≥ 1");
            }

            if (parse.GetValue(exportOnnx) is not null && (sharding.Submits(parse) || parse.GetValue(verify) is not null))
            {
                throw new CliUsageException("--export-onnx: export from a single-process search (not with --slurm, --shard or --verify)");
            }

            if (sharding.Submits(parse))
            {
                return parse.GetValue(verify) is null ? await sharding.SubmitAsync(parse, ct) : throw new CliUsageException("--verify and --slurm: verify a saved Δ on one process");
            }

            var shard = sharding.Shard(parse);
            var network = await ModelFile.LoadAsync(parse.GetValue(model)!, parse.GetValue(foldBatchNorm), ct);
            var test = (await TestData.LoadAsync(parse.GetValue(data), "t10k", network, ct)).Take(n);
            var testSet = TestSet.FromDataset(test, 1000);

            if (parse.GetValue(verify) is { } file)
            {
                var (accuracy, recorded) = await WorstCaseEvaluation.VerifyAsync(network, mapping, bounds, testSet, file, ct);
                var same = recorded is null || recorded.Value == accuracy;
                if (parse.GetValue(json))
                {
                    services.WriteJson(new { file, accuracy, recorded, reproduced = same });
                }
                else
                {
                    services.Output.WriteLine($"{file}: accuracy {accuracy:P2}{(recorded is { } r ? $", recorded {r:P2} — {(same ? "reproduced exactly" : "MISMATCH")}" : string.Empty)}");
                }

                return same ? ExitCodes.Success : ExitCodes.BadInput;
            }

            // Opened before the search, so a GPU asked for and missing stops the command before any work (docs/gpu.md).
            using var chipDevice = ChipBackendChoice.Open(device, parse, config, logger);
            WorstCaseOptions options;
            try
            {
                // A shard other than 0 searches with restarts of its own; shard 0 is the single-process search.
                options = WorstCaseOptions.Preset(parse.GetValue(method)!) with { Seed = WorstCaseShardMerge.SearchSeed(parse.GetValue(seed), shard?.Shard ?? 0) };
            }
            catch (Core.Config.ConfigException ex)
            {
                // The preset named on the command line, not a config file: a usage error (2).
                throw new CliUsageException($"--method {parse.GetValue(method)}: {ex.Message}");
            }

            if (parse.GetValue(steps) is { } st)
            {
                options = options with { Steps = st };
            }

            if (parse.GetValue(restarts) is { } rs)
            {
                options = options with { Restarts = rs };
            }

            try
            {
                options.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var request = new WorstCaseRequest
            {
                Ks = ParseKs(parse.GetValue(ks)!),
                Bounds = bounds,
                Search = options,
                OutputDirectory = parse.GetValue(output),
                // The Monte-Carlo reference does not depend on the search: shard 0 alone runs it.
                MonteCarloChips = shard is null or { Shard: 0 } ? parse.GetValue(chips) : 0,
                MonteCarloPercentile = parse.GetValue(percentile),
                MonteCarloSeed = parse.GetValue(seed),
                MonteCarloBackend = chipDevice.Factory,
                SearchPasses = chipDevice.SearchPasses,
            };
            if (parse.GetValue(exportK) is { } ek && !request.Ks.Contains(ek))
            {
                throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"--export-onnx-k {ek}: not one of the bounds --k ({string.Join(", ", request.Ks)})"));
            }

            string[] stages = request.MonteCarloChips > 0 ? [Stage, ReferenceStage] : [Stage];
            var report = await StageProgressBars.RunAsync(services.NoProgressBars(parse, parse.GetValue(json)), stages, bars =>
                WorstCaseEvaluation.RunAsync(
                    network, mapping, testSet, request, logger,
                    new SynchronousProgress<WorstCaseProgress>(p => bars.Report(WorstCaseStepProgress.Of(Stage, p))),
                    new SynchronousProgress<MonteCarloProgress>(p => bars.Report(MonteCarloChipProgress.Of(ReferenceStage, p))),
                    ct));
            await sharding.WriteResultAsync(parse, shard, report, network.Architecture, parse.GetValue(model)!, request, parse.GetValue(seed), ct);
            var exported = parse.GetValue(exportOnnx) is { } onnxPath && shard is null
                ? await ExportAsync(onnxPath, parse.GetValue(exportK), report, network, mapping, bounds, parse.GetValue(model)!, parse.GetValue(foldBatchNorm), ct)
                : null;
            if (parse.GetValue(json))
            {
                services.WriteJson(new
                {
                    report.Method,
                    report.Bound,
                    report.CleanAccuracy,
                    report.Images,
                    report.Devices,
                    readNoise = "off: the worst case is over the programmed conductances",
                    points = report.Points.Select(p => new
                    {
                        p.K,
                        p.Accuracy,
                        p.SearchAccuracy,
                        p.FromSmallerBound,
                        p.MaxNormalisedDeviation,
                        perturbation = p.PerturbationPath,
                        gradientPasses = p.Run?.GradientPasses ?? 0,
                        forwardPasses = p.Run?.ForwardPasses ?? 0,
                        seconds = p.Run?.Seconds ?? 0,
                        secondsToBest = p.Run?.SecondsToBest ?? 0,
                    }),
                    monteCarlo = report.MonteCarlo,
                    exportedOnnx = exported,
                    report.Seconds,
                });
                return ExitCodes.Success;
            }

            var w = services.Output;
            w.WriteLine($"worst case ({report.Method}) of {network.Architecture}, {report.Images} images, {report.Devices} devices; box {report.Bound}; read noise off");
            w.WriteLine($"  clean mapped accuracy {report.CleanAccuracy:P2}");
            foreach (var p in report.Points)
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  k={p.K,-5:0.###} worst-case accuracy {p.Accuracy,8:P2}{(p.FromSmallerBound ? " (Δ of a smaller k)" : string.Empty)}  {p.PerturbationPath}"));
            }

            if (report.MonteCarlo is { } mc)
            {
                w.WriteLine($"  Monte-Carlo {mc.Chips} chips ({mc.Variation}): mean {mc.Mean:P2}, minimum {mc.Minimum:P2}, {mc.PercentileK:G3} % percentile {mc.Percentile:P2}");
            }

            if (exported is not null)
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  worst-case chip at k={exported.K:0.###} (accuracy {exported.Accuracy:P2}) written to {exported.File}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>What <c>--export-onnx</c> wrote: the file, the bound and the worst-case accuracy its chip has.</summary>
    public sealed record ExportedChip(string File, double K, double Accuracy);

    private static async Task<ExportedChip> ExportAsync(string path, double? k, WorstCaseReport report, Simulation.Nn.Network network, CimMappingOptions mapping, DeviceBoundModel bounds, string model, bool fold, CancellationToken ct)
    {
        var chosen = k ?? report.Points.Max(p => p.K);
        var point = report.Points.FirstOrDefault(p => p.K == chosen)
            ?? throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"--export-onnx-k {chosen}: not one of the searched bounds --k ({string.Join(", ", report.Points.Select(p => p.K))})"));
        var delta = point.PerturbationPath
            ?? throw new CliUsageException("--export-onnx: the search saved no Δ file (give --out)");
        var mapped = MappedNetwork.Map(network, mapping, bounds.Window);
        await Simulation.Onnx.ChipExport.WorstCaseChipAsync(path, mapped, delta, model, fold, ct);
        return new ExportedChip(path, chosen, point.Accuracy);
    }

    private static double[] ParseKs(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            throw new CliUsageException("--k: give at least one bound multiplier, e.g. --k 0.5,1,2");
        }

        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var k) && k >= 0 && double.IsFinite(k)
            ? CliLimits.Require("--k", k, 0, CliLimits.MaxWorstCaseK)
            : throw new CliUsageException($"--k: '{p}' is not a finite number ≥ 0")).ToArray();
    }
}
