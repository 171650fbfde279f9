using System.CommandLine;
using System.Globalization;
using CimHil.Core.Config;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using CimHil.Workflows;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil evaluate</c>: Monte-Carlo accuracy of a trained model mapped to CiM crossbars under device variation.</summary>
public static class EvaluateCommand
{
    /// <summary>The stage name of its progress events and bar.</summary>
    public const string Stage = "monte-carlo";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var model = new Option<string>("--model") { Description = "Trained checkpoint (safetensors), e.g. models/lenet5-fmnist.safetensors, or an ONNX graph (net.onnx)", Required = true };
        var deviceModel = new Option<string>("--device-model")
        {
            Description = "Variation: a calibration JSON (programming error, read noise, drift, stuck-at), gaussian:σ (w' = w + N(0,(σ·max|W|)²)), gaussian-conductance:σ (g' = g + N(0,(σ·(Gmax−Gmin))²)) or none",
            Required = true,
        };
        var chips = new Option<int>("--chips") { Description = "Simulated chips", DefaultValueFactory = _ => 100 }.Within(1, CliLimits.MaxChips);
        var k = new Option<double>("--k") { Description = "Report the k-th percentile accuracy over chips", DefaultValueFactory = _ => 1 }.Within(0, 100);
        var seed = new Option<long>("--seed") { Description = "Run seed (chip i uses the stream of (seed, i))", DefaultValueFactory = _ => 1 };
        var images = new Option<int>("--images") { Description = "Test images used (first N of the test split)", DefaultValueFactory = _ => 10000 }.Within(1, CliLimits.MaxTestImages);
        var data = new Option<string?>("--data") { Description = $"Fashion-MNIST folder (default: ${FashionMnist.DirectoryVariable}, else {FashionMnist.DefaultDirectory}) or a NumPy pair x.npy,y.npy (float32 inputs, normalised; int64 labels)" };
        var foldBatchNorm = new Option<bool>("--fold-batchnorm") { Description = "ONNX models: fold each BatchNorm into the preceding convolution's weights (what the crossbar stores); default: BatchNorm stays digital" };
        var mappingFlags = new MappingFlags();
        var time = new Option<double?>("--time") { Description = "Inference time after programming in seconds (drift; device models with drift only)" }.Within(0, CliLimits.MaxInferenceTimeSeconds);
        var compensate = new Option<bool>("--drift-compensation") { Description = "Global drift compensation (scale outputs by the measured mean drift)" };
        var batch = new Option<int>("--batch") { Description = "Images per forward pass", DefaultValueFactory = _ => 1000 }.Within(1, CliLimits.MaxBatch);
        var exportOnnx = new Option<string?>("--export-onnx") { Description = "Also write one sampled chip as ONNX (its programmed crossbar weights, read noise off; digital layers nominal)" };
        var exportChip = new Option<int>("--export-chip") { Description = "Which chip --export-onnx writes (0 … chips−1)", DefaultValueFactory = _ => 0 }.Within(0, CliLimits.MaxChips);
        var json = CliServices.JsonOption();
        var sharding = new EvaluateSharding(services);
        var device = new SimulationDeviceOptions();
        var command = new Command("evaluate", "Monte-Carlo accuracy over simulated chips: mean, standard deviation, minimum and k-th percentile with bootstrap confidence intervals")
        {
            model, deviceModel, chips, k, seed, images, data, foldBatchNorm, mappingFlags.Bits, mappingFlags.Slices, mappingFlags.AdcBits, mappingFlags.DacBits, time, compensate, batch, exportOnnx, exportChip, json,
        };
        sharding.AddOptions(command);
        device.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = services.SimulationConfig(parse);
            var logger = services.Logger(parse);
            var variation = VariationSpec.Parse(parse.GetValue(deviceModel)!) with
            {
                InferenceTimeSeconds = parse.GetValue(time),
                DriftCompensation = parse.GetValue(compensate),
            };
            var mapping = mappingFlags.Mapping(parse, config);
            var options = new MonteCarloOptions
            {
                Chips = parse.GetValue(chips),
                Percentile = parse.GetValue(k),
                Seed = parse.GetValue(seed),
                BatchSize = parse.GetValue(batch),
            };
            try
            {
                mapping.Validate();
                options.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var n = parse.GetValue(images);
            if (n < 1)
            {
                throw new CliUsageException($"--images {n}: must be ≥ 1");
            }

            if (parse.GetValue(exportOnnx) is not null && parse.GetValue(exportChip) >= options.Chips)
            {
                throw new CliUsageException($"--export-chip {parse.GetValue(exportChip)}: the run has chips 0 … {options.Chips - 1}");
            }

            if (sharding.Submits(parse))
            {
                return await sharding.SubmitAsync(parse, ct);
            }

            var shard = sharding.Shard(parse, options.Chips);
            var network = await ModelFile.LoadAsync(parse.GetValue(model)!, parse.GetValue(foldBatchNorm), ct);
            var test = (await TestData.LoadAsync(parse.GetValue(data), "t10k", network, ct)).Take(n);
            var testSet = TestSet.FromDataset(test, options.BatchSize);
            var mapped = MappedNetwork.Map(network, mapping, variation.Window);
            await MappingFlags.CalibrateAsync(mapped, parse.GetValue(data), network, ct);

            logger.Information(
                "Monte-Carlo {Architecture}: {Chips} chips × {Images} images, variation {Variation}, {Bits} bits × {Slices} slices, {Devices} devices",
                network.Architecture, options.Chips, test.Count, variation.Describe(), mapping.BitsPerDevice, mapping.SliceCount, mapped.DeviceCount);
            using var backend = device.Backend(parse, config, mapped, variation, options, logger);
            var evaluator = new MonteCarloEvaluator(mapped, variation, options, backend);
            if (shard is not null)
            {
                return await sharding.RunShardAsync(parse, shard, evaluator, testSet, network.Architecture, parse.GetValue(model)!, ct);
            }

            var step = Math.Max(1, options.Chips / 20);
            var result = await StageProgressBars.RunAsync(services.NoProgressBars(parse, parse.GetValue(json)), [Stage], bars =>
            {
                var progress = new SynchronousProgress<MonteCarloProgress>(p =>
                {
                    bars.Report(MonteCarloChipProgress.Of(Stage, p));
                    if (p.ChipsDone % step == 0 || p.ChipsDone == p.ChipsTotal)
                    {
                        logger.Information("chip {ChipsDone}/{ChipsTotal}: chip {ChipIndex} accuracy {Accuracy:P2}", p.ChipsDone, p.ChipsTotal, p.ChipIndex, p.ChipAccuracy);
                    }
                });

                // On the thread pool, so the console's bars are redrawn while the chips run.
                return Task.Run(() => evaluator.Run(testSet, progress, ct), ct);
            });
            await sharding.WriteResultAsync(parse, result, network.Architecture, parse.GetValue(model)!, ct);
            object? exported = null;
            if (parse.GetValue(exportOnnx) is { } onnxPath)
            {
                var chip = parse.GetValue(exportChip);
                await Simulation.Onnx.ChipExport.MonteCarloChipAsync(onnxPath, mapped, variation, options.Seed, chip, parse.GetValue(model), parse.GetValue(foldBatchNorm), ct);
                exported = new { file = onnxPath, chip, accuracy = result.ChipAccuracies[chip], readNoise = variation.HasReadNoise ? "not exported" : "none in the device model", converters = mapping.NeedsTiledForward ? "not exported" : "none" };
                logger.Information("Chip {Chip} (accuracy {Accuracy:P2}) written to {File} as ONNX, read noise off", chip, result.ChipAccuracies[chip], onnxPath);
            }

            if (parse.GetValue(json))
            {
                services.WriteJson(new
                {
                    network.Architecture,
                    model = parse.GetValue(model),
                    mapping,
                    variation = result.Variation,
                    result.Images,
                    chips = result.ChipAccuracies.Length,
                    result.Seed,
                    result.NominalAccuracy,
                    result.Mean,
                    result.StandardDeviation,
                    result.Minimum,
                    result.PercentileK,
                    result.Percentile,
                    result.MeanInterval,
                    result.PercentileInterval,
                    result.ConfidenceLevel,
                    result.ElapsedSeconds,
                    result.ImageChipsPerSecond,
                    device = backend?.Description ?? "cpu",
                    chipAccuracies = result.ChipAccuracies,
                    exportedOnnx = exported,
                });
                return ExitCodes.Success;
            }

            var w = services.Output;
            var level = result.ConfidenceLevel.ToString("P0", CultureInfo.InvariantCulture);
            w.WriteLine($"Monte-Carlo of {network.Architecture} ({result.Images} images × {result.ChipAccuracies.Length} chips, seed {result.Seed}); variation {result.Variation}");
            w.WriteLine($"  mapped accuracy without variation {result.NominalAccuracy:P2}");
            w.WriteLine($"  mean            {result.Mean:P2}   {level} CI [{result.MeanInterval.Low:P2}, {result.MeanInterval.High:P2}]");
            w.WriteLine($"  std deviation   {result.StandardDeviation:P2}");
            w.WriteLine($"  minimum         {result.Minimum:P2}");
            w.WriteLine($"  percentile k={result.PercentileK.ToString("G3", CultureInfo.InvariantCulture)}  {result.Percentile:P2}   {level} CI [{result.PercentileInterval.Low:P2}, {result.PercentileInterval.High:P2}]");
            w.WriteLine($"  {result.ImageChipsPerSecond:F0} images×chips/s ({result.ElapsedSeconds:F1} s) on {backend?.Description ?? "the cpu"}");
            if (parse.GetValue(exportOnnx) is { } file)
            {
                var chip = parse.GetValue(exportChip);
                w.WriteLine($"  chip {chip} (accuracy {result.ChipAccuracies[chip]:P2}) written to {file} (read noise off{(mapping.NeedsTiledForward ? ", converters not exported" : string.Empty)})");
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
