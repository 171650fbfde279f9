using System.CommandLine;
using System.Diagnostics;
using CimHil.Simulation.Cuda;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil gpu info</c> (is CUDA usable here, and which device and libraries) and <c>cimhil gpu check</c> (the same chips on
/// the CPU and the GPU: how many chips' accuracies differ, by how many images): the by-hand GPU tests of a machine with no
/// .NET SDK (docs/gpu.md).
/// </summary>
public static class GpuCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var command = new Command("gpu", "The CUDA backend: what it finds here (info) and its agreement with the CPU (check); docs/gpu.md");
        command.Subcommands.Add(Info(services));
        command.Subcommands.Add(Check(services));
        command.Subcommands.Add(GpuWorstCaseCheck.Create(services));
        return command;
    }

    private static Command Info(CliServices services)
    {
        var info = new Command("info", "Opens GPU 0 through the CUDA driver, cuBLAS and NVRTC and prints what it found, or what is missing");
        info.SetAction((ParseResult parse) =>
        {
            try
            {
                using var device = CudaDevice.Open();
                services.Output.WriteLine($"cuda: {device.Describe()}");
                services.Output.WriteLine($"libraries: {device.Libraries}");
                return ExitCodes.Success;
            }
            catch (CudaException ex)
            {
                throw new CliUsageException($"cuda: {ex.Message}");
            }
        });
        return info;
    }

    private static Command Check(CliServices services)
    {
        var model = new Option<string>("--model") { Description = "Trained checkpoint (safetensors)", Required = true };
        var deviceModel = new Option<string>("--device-model") { Description = "Variation, as for evaluate (e.g. gaussian:0.1)", DefaultValueFactory = _ => "gaussian:0.1" };
        var chips = new Option<int>("--chips") { Description = "Chips compared", DefaultValueFactory = _ => 64 }.Within(1, CliLimits.MaxChips);
        var images = new Option<int>("--images") { Description = "Test images per chip", DefaultValueFactory = _ => 10000 }.Within(1, CliLimits.MaxTestImages);
        var seed = new Option<long>("--seed") { Description = "Run seed", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Images per inference batch (read noise is drawn per batch)", DefaultValueFactory = _ => 1000 }.Within(1, CliLimits.MaxBatch);
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST folder or a NumPy pair x.npy,y.npy, as for evaluate" };
        var json = CliServices.JsonOption();
        var device = new SimulationDeviceOptions();
        var mappingFlags = new MappingFlags();
        var check = new Command("check", "Evaluates the same chips on the CPU and on the GPU and reports how many chips' accuracies differ, and by how many images")
        {
            model, deviceModel, chips, images, seed, batch, data, json, device.Math, device.Sampler,
        };
        foreach (var option in mappingFlags.All)
        {
            check.Options.Add(option);
        }

        check.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = services.SimulationConfig(parse);
            var logger = services.Logger(parse);
            var variation = VariationSpec.Parse(parse.GetValue(deviceModel)!);
            CimMappingOptions mapping;
            try
            {
                mapping = mappingFlags.Mapping(parse, config).Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var options = new MonteCarloOptions { Chips = parse.GetValue(chips), Seed = parse.GetValue(seed), BatchSize = parse.GetValue(batch) }.Validate();
            var network = await ModelFile.LoadAsync(parse.GetValue(model)!, false, ct);
            var test = (await TestData.LoadAsync(parse.GetValue(data), "t10k", network, ct)).Take(parse.GetValue(images));
            var testSet = TestSet.FromDataset(test, options.BatchSize);
            var mapped = MappedNetwork.Map(network, mapping, variation.Window);
            await MappingFlags.CalibrateAsync(mapped, parse.GetValue(data), network, ct);
            CudaMonteCarlo gpu;
            try
            {
                gpu = CudaMonteCarlo.Create(CudaDevice.Open(device.MathMode(parse)), mapped, variation, options, ownsDevice: true, device.SamplerChoice(parse));
            }
            catch (CudaException ex)
            {
                throw new CliUsageException($"cuda: {ex.Message}");
            }

            using (gpu)
            {
                var n = options.Chips;
                gpu.EvaluateChips(testSet, 0, Math.Min(n, 4), null, ct);
                var sw = Stopwatch.StartNew();
                var onGpu = gpu.EvaluateChips(testSet, 0, n, null, ct);
                var gpuSeconds = sw.Elapsed.TotalSeconds;
                sw.Restart();
                var onCpu = new MonteCarloEvaluator(mapped, variation, options).EvaluateChips(testSet, 0, n, null, ct);
                var cpuSeconds = sw.Elapsed.TotalSeconds;
                var differences = onCpu.Zip(onGpu, (c, g) => (int)Math.Round((g - c) * testSet.Count)).ToArray();
                var differing = differences.Count(d => d != 0);
                var weights = gpu.CompareSampler(testSet, 0, n);
                var summary = new
                {
                    device = gpu.Description,
                    network.Architecture,
                    variation = variation.Describe(),
                    converters = mapping.NeedsTiledForward ? $"dac {mapping.DacBits?.ToString() ?? "ideal"}, adc {mapping.AdcBits?.ToString() ?? "ideal"}, tiles {mapping.TileRows}×{mapping.TileColumns}, {mapping.BitsPerDevice} bits × {mapping.SliceCount} slices" : "none",
                    chips = n,
                    images = testSet.Count,
                    chipsPerLaunch = gpu.ChipsPerLaunch,
                    chipsDiffering = differing,
                    maxImagesDifferent = differences.Select(Math.Abs).Max(),
                    imagesDifferentInTotal = differences.Sum(Math.Abs),
                    meanCpu = onCpu.Average(),
                    meanGpu = onGpu.Average(),
                    gpuImageChipsPerSecond = n * (double)testSet.Count / gpuSeconds,
                    cpuImageChipsPerSecond = n * (double)testSet.Count / cpuSeconds,
                    sampler = gpu.SamplerNote,
                    samplerWeights = weights?.Weights,
                    samplerWeightsDiffering = weights?.Differing,
                    samplerMaxUlps = weights?.MaxUlps,
                    samplerFirstDifference = weights?.FirstDifference,
                    differences,
                };
                if (parse.GetValue(json))
                {
                    services.WriteJson(summary);
                    return ExitCodes.Success;
                }

                var w = services.Output;
                w.WriteLine($"gpu check: {summary.Architecture}, {n} chips × {testSet.Count} images, {summary.variation}, converters {summary.converters}, on {summary.device} ({summary.chipsPerLaunch} chips per launch)");
                w.WriteLine($"  chips whose accuracy differs from the CPU: {differing} of {n}; at most {summary.maxImagesDifferent} images, {summary.imagesDifferentInTotal} in total");
                w.WriteLine($"  mean accuracy: cpu {summary.meanCpu:P4}, gpu {summary.meanGpu:P4}");
                if (weights is not null)
                {
                    w.WriteLine($"  device sampler: {weights.Differing} of {weights.Weights} weights differ from the host's, at most {weights.MaxUlps} ulps{(weights.FirstDifference is { } d ? $"; first: {d}" : "")}");
                }

                w.WriteLine($"  images×chips/s: gpu {summary.gpuImageChipsPerSecond:F0}, cpu {summary.cpuImageChipsPerSecond:F0} ({Environment.ProcessorCount} cores)");
                return ExitCodes.Success;
            }
        });
        return check;
    }
}
