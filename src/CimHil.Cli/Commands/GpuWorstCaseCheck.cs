using System.CommandLine;
using System.Diagnostics;
using CimHil.Simulation.Cuda;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil gpu check-worst-case</c>: the worst-case search's gradient and exact passes on the GPU against the CPU's, at the
/// clean chip and at a uniformly random point of the box of one bound (docs/gpu.md): correct counts, objectives, margins and
/// ∂objective/∂W (relative error, cosine, sign agreement), and the seconds per pass on both. The by-hand GPU test of the
/// search's passes on a machine with no .NET SDK.
/// </summary>
internal static class GpuWorstCaseCheck
{
    public static Command Create(CliServices services)
    {
        var model = new Option<string>("--model") { Description = "Trained checkpoint (safetensors)", Required = true };
        var deviceModel = new Option<string>("--device-model") { Description = "Box model, as for worst-case (e.g. calibration/emulator-rram.json)", Required = true };
        var k = new Option<double>("--k") { Description = "Bound of the random point's box", DefaultValueFactory = _ => 1 }.Within(0, 100);
        var images = new Option<int>("--images") { Description = "Test images", DefaultValueFactory = _ => 2000 }.Within(1, CliLimits.MaxTestImages);
        var passes = new Option<int>("--passes") { Description = "GPU gradient passes timed", DefaultValueFactory = _ => 20 }.Within(1, 10000);
        var seed = new Option<long>("--seed") { Description = "Seed of the random point", DefaultValueFactory = _ => 1 };
        var data = new Option<string?>("--data") { Description = "Fashion-MNIST folder or a NumPy pair x.npy,y.npy, as for worst-case" };
        var json = CliServices.JsonOption();
        var device = new SimulationDeviceOptions();
        var command = new Command("check-worst-case", "The worst-case search's gradient and exact passes on the GPU against the CPU's (clean chip and a random point of the box)")
        {
            model, deviceModel, k, images, passes, seed, data, json, device.Math,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            // The built-in defaults when there is no hil-config.json, as gpu check (it needs no bench).
            _ = services.SimulationConfig(parse);
            var logger = services.Logger(parse);

            // Opened first, so a missing GPU is reported before the model and the test set are loaded.
            CudaDevice gpuDevice;
            try
            {
                gpuDevice = CudaDevice.Open(device.MathMode(parse));
            }
            catch (CudaException ex)
            {
                throw new CliUsageException($"cuda: {ex.Message}");
            }

            using var opened = gpuDevice;
            var bounds = DeviceBoundModel.Parse(parse.GetValue(deviceModel)!);
            var network = await ModelFile.LoadAsync(parse.GetValue(model)!, false, ct);
            var test = (await TestData.LoadAsync(parse.GetValue(data), "t10k", network, ct)).Take(parse.GetValue(images));
            var mapped = MappedNetwork.Map(network, new CimMappingOptions(), bounds.Window);
            var forward = new MappedForward(mapped, TestSet.FromDataset(test, 1000));
            var search = new WorstCaseSearch(forward, bounds, WorstCaseOptions.Default, logger);
            using (var gpu = CudaWorstCasePasses.Create(gpuDevice, forward))
            {
                var random = ConductancePerturbation.Zero(mapped);
                search.Box(parse.GetValue(k)).RandomPoint(new SimulationRng(unchecked((ulong)parse.GetValue(seed))), random);
                var points = new[] { ("clean", ConductancePerturbation.Zero(mapped)), ($"random point of the box k={parse.GetValue(k)}", random) };
                var rows = new List<(string Point, PassAgreement Gradient, PassAgreement Exact)>();
                foreach (var (name, delta) in points)
                {
                    var conductances = delta.ApplyTo(mapped);
                    var gradient = PassAgreement.Compare(forward.Gradient(conductances, search.Kappa, double.PositiveInfinity), gpu.Gradient(conductances, search.Kappa, double.PositiveInfinity));
                    var exact = PassAgreement.Compare(forward.Evaluate(conductances, search.Kappa, double.PositiveInfinity), gpu.Evaluate(conductances, search.Kappa, double.PositiveInfinity));
                    rows.Add((name, gradient, exact));
                }

                var conductancesAtRandom = random.ApplyTo(mapped);
                var sw = Stopwatch.StartNew();
                var n = parse.GetValue(passes);
                for (var i = 0; i < n; i++)
                {
                    gpu.Gradient(conductancesAtRandom, search.Kappa, double.PositiveInfinity);
                }

                var gpuSeconds = sw.Elapsed.TotalSeconds / n;
                sw.Restart();
                for (var i = 0; i < n; i++)
                {
                    gpu.Evaluate(conductancesAtRandom, search.Kappa, double.PositiveInfinity);
                }

                var gpuExactSeconds = sw.Elapsed.TotalSeconds / n;
                sw.Restart();
                forward.Gradient(conductancesAtRandom, search.Kappa, double.PositiveInfinity);
                forward.Gradient(conductancesAtRandom, search.Kappa, double.PositiveInfinity);
                var cpuSeconds = sw.Elapsed.TotalSeconds / 2;
                sw.Restart();
                forward.Evaluate(conductancesAtRandom, search.Kappa, double.PositiveInfinity);
                forward.Evaluate(conductancesAtRandom, search.Kappa, double.PositiveInfinity);
                var cpuExactSeconds = sw.Elapsed.TotalSeconds / 2;
                var summary = new
                {
                    device = gpuDevice.Describe(),
                    network.Architecture,
                    images = forward.Data.Count,
                    kappa = search.Kappa,
                    rows = rows.Select(r => new { point = r.Point, gradient = r.Gradient, exact = r.Exact }).ToArray(),
                    gpuGradientPassSeconds = gpuSeconds,
                    gpuExactPassSeconds = gpuExactSeconds,
                    cpuGradientPassSeconds = cpuSeconds,
                    cpuExactPassSeconds = cpuExactSeconds,
                };
                if (parse.GetValue(json))
                {
                    services.WriteJson(summary);
                    return ExitCodes.Success;
                }

                var w = services.Output;
                w.WriteLine($"gpu check-worst-case: {summary.Architecture}, {summary.images} images, κ {summary.kappa:G4}, on {summary.device}");
                foreach (var (point, g, e) in rows)
                {
                    w.WriteLine($"  {point}: gradient pass correct cpu {g.CorrectA} gpu {g.CorrectB}, loss {g.LossA:G8} / {g.LossB:G8}, max |Δmargin| {g.MaxMarginDifference:G3}, ∂L/∂W rel. error {g.GradientRelativeError:G3}, cosine {g.GradientCosine:G8}, same sign {g.SignAgreement:P4} of {g.GradientComponents}; exact pass correct cpu {e.CorrectA} gpu {e.CorrectB}");
                }

                w.WriteLine($"  seconds per pass: gradient gpu {gpuSeconds:G4} cpu {cpuSeconds:G4} ({cpuSeconds / gpuSeconds:F1}×); exact gpu {gpuExactSeconds:G4} cpu {cpuExactSeconds:G4} ({cpuExactSeconds / gpuExactSeconds:F1}×)");
                return ExitCodes.Success;
            }
        });
        return command;
    }
}
