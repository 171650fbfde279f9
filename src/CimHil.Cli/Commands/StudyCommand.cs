using System.CommandLine;
using System.Globalization;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Robustness;
using CimHil.Workflows;
using Serilog;
using Serilog.Events;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil study</c>: every robustness method trained on Fashion-MNIST and judged on average (Monte-Carlo) and on worst
/// case, under the calibrated device model and the plain Gaussian model; study.md + study.json in a run folder.
/// </summary>
public static class StudyCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var methods = new Option<string?>("--methods") { Description = $"Comma-separated methods (default: study.methods, else all: {string.Join(",", RobustnessMethods.Names)})" };
        var epochs = new Option<int?>("--epochs") { Description = "Training epochs per method (default study.epochs)" }.Within(1, CliLimits.MaxEpochs);
        var samples = new Option<int?>("--train-samples") { Description = "Use only the first N training samples (default study.trainSamples, else all)" }.Within(1, CliLimits.MaxTrainSamples);
        var chips = new Option<int?>("--chips") { Description = "Monte-Carlo chips (default study.monteCarlo.chips)" }.Within(1, CliLimits.MaxChips);
        var images = new Option<int?>("--images") { Description = "Monte-Carlo test images (default study.monteCarlo.images)" }.Within(1, CliLimits.MaxTestImages);
        var wcImages = new Option<int?>("--worst-case-images") { Description = "Worst-case test images (default study.worstCase.images)" }.Within(1, CliLimits.MaxTestImages);
        var ks = new Option<string?>("--ks") { Description = "Worst-case bounds, comma separated (default study.worstCase.ks = 1,2,3)" };
        var seed = new Option<int?>("--seed") { Description = "One training seed, and the Monte-Carlo and worst-case base seeds, at once (default study.seeds)" };
        var seedList = new Option<string?>("--seeds") { Description = "Training seeds, comma separated: every method is trained and judged once per seed (default study.seeds.train = 1,2,3)" };
        var deviceModel = new Option<string?>("--device-model") { Description = "Calibrated model (calibration JSON; default study.deviceModel)" };
        var gaussian = new Option<string?>("--gaussian") { Description = "Plain Gaussian model, gaussian:σ or gaussian-conductance:σ (default study.gaussianModel)" };
        var output = new Option<string?>("--out") { Description = "Output root for the run folder (default study.outputRoot)" };
        var threads = new Option<int>("--blas-threads") { Description = "OpenBLAS threads for training", DefaultValueFactory = _ => 1 }.Within(1, CliLimits.MaxBlasThreads);
        var json = CliServices.JsonOption();
        var m = new MethodOptions();
        var command = new Command("study", "Train every robustness method and tabulate clean, Monte-Carlo mean, 1st-percentile and worst-case accuracy under the calibrated and the Gaussian model")
        {
            methods, epochs, samples, chips, images, wcImages, ks, seed, seedList, deviceModel, gaussian, output, threads, json,
        };
        m.AddTo(command, withMethod: false);
        var model = new Option<string?>("--model") { Description = "Built-in model or an ONNX graph (net.onnx) each method fine-tunes from (default study.model)" };
        command.Options.Add(model);
        var sharding = new StudySharding(services);
        sharding.AddOptions(command);
        var device = new SimulationDeviceOptions();
        device.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = services.SimulationConfig(parse);
            var settings = StudySettings.Parse(config.Section("study"));
            settings = Override(settings, parse, m, methods, epochs, samples, chips, images, wcImages, ks, seed, seedList, deviceModel, gaussian, output);
            if (parse.GetValue(model) is { } chosen)
            {
                settings = settings with { Model = Simulation.Models.ModelZoo.Names.Contains(chosen) || (Simulation.Onnx.OnnxImporter.IsOnnxPath(chosen) && File.Exists(chosen)) ? chosen : throw new CliUsageException($"--model {chosen}: neither a built-in model ({string.Join(", ", Simulation.Models.ModelZoo.Names)}) nor an existing .onnx file") };
            }
            if (sharding.Submits(parse))
            {
                return await sharding.SubmitAsync(parse, settings.Methods.Count * settings.Seeds.Train.Count, ct);
            }

            var shard = sharding.Shard(parse, settings.Methods.Count, settings.Seeds.Train.Count);
            if (shard is not null)
            {
                settings = StudySharding.Cell(settings, shard);
            }

            // Before the run folder: a GPU asked for and missing stops the study before any training (docs/gpu.md).
            using var chipDevice = ChipBackendChoice.Open(device, parse, config, services.Logger(parse));

            // A shard's folder is fixed by its result file (a resubmitted shard starts again there); a study's is new.
            var folder = shard is not null ? sharding.ShardFolder(parse) : RunFolder.New(settings.OutputRoot, DateTimeOffset.UtcNow);
            if (shard is null && Directory.Exists(folder))
            {
                throw new CliUsageException($"run folder {folder} already exists; wait a second and start the study again");
            }

            Directory.CreateDirectory(folder);
            Gemm.SetOpenBlasThreads(Math.Max(1, parse.GetValue(threads)));
            using var log = services.FolderLogger(parse, Path.Combine(folder, "study.log"));
            var quiet = services.NoProgressBars(parse, parse.GetValue(json));
            if (!quiet)
            {
                AnsiConsole.MarkupLine($"Study of {settings.Methods.Count} method(s) × {settings.Seeds.Train.Count} seed(s) → {Markup.Escape(folder)}");
            }

            var results = await StageProgressBars.RunAsync(services.StageProgressDisplay(parse, parse.GetValue(json)), Study.StageNames(settings), progress => new Study(config, settings, log, progress) { MonteCarloBackend = chipDevice.Factory, SearchPasses = chipDevice.SearchPasses }.RunAsync(folder, ct), services.Output);
            await sharding.WriteResultAsync(parse, folder, ct);

            if (parse.GetValue(json))
            {
                services.WriteJson(results);
                return ExitCodes.Success;
            }

            services.Output.WriteLine(StudyTable.Markdown(results));
            services.Output.WriteLine($"Study: {Path.Combine(folder, Study.MarkdownFile)}, {Path.Combine(folder, Study.HtmlFile)}, {Path.Combine(folder, Study.JsonFile)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static StudySettings Override(
        StudySettings s,
        ParseResult parse,
        MethodOptions m,
        Option<string?> methods,
        Option<int?> epochs,
        Option<int?> samples,
        Option<int?> chips,
        Option<int?> images,
        Option<int?> wcImages,
        Option<string?> ks,
        Option<int?> seed,
        Option<string?> seedList,
        Option<string?> deviceModel,
        Option<string?> gaussian,
        Option<string?> output)
    {
        if (parse.GetValue(methods) is { } list)
        {
            var names = new List<string>();
            foreach (var part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                try
                {
                    var name = RobustnessMethods.Canonical(part);
                    if (!names.Contains(name))
                    {
                        names.Add(name);
                    }
                }
                catch (ArgumentException)
                {
                    throw new CliUsageException($"--methods {list}: '{part}' is unknown; known methods: {string.Join(", ", RobustnessMethods.Names)}");
                }
            }

            s = s with { Methods = names.Count > 0 ? names : throw new CliUsageException($"--methods '{list}': needs at least one method") };
        }

        s = s with
        {
            Epochs = Positive(parse.GetValue(epochs), "--epochs") ?? s.Epochs,
            TrainSamples = Positive(parse.GetValue(samples), "--train-samples") ?? s.TrainSamples,
            Evaluation = s.Evaluation with
            {
                MonteCarloChips = parse.GetValue(chips) is { } c ? (c >= 2 ? c : throw new CliUsageException($"--chips {c}: must be ≥ 2")) : s.MonteCarloChips,
                MonteCarloImages = Positive(parse.GetValue(images), "--images") ?? s.MonteCarloImages,
                WorstCaseImages = Positive(parse.GetValue(wcImages), "--worst-case-images") ?? s.WorstCaseImages,
            },
            DeviceModel = parse.GetValue(deviceModel) ?? s.DeviceModel,
            OutputRoot = parse.GetValue(output) ?? s.OutputRoot,
        };
        if (parse.GetValue(ks) is { } text)
        {
            var values = new List<double>();
            foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                values.Add(double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var k) && k >= 0 && double.IsFinite(k)
                    ? CliLimits.Require("--ks", k, 0, CliLimits.MaxWorstCaseK)
                    : throw new CliUsageException($"--ks {text}: '{part}' must be a finite number ≥ 0"));
            }

            s = s with { Evaluation = s.Evaluation with { WorstCaseKs = values.Count > 0 ? [.. values.Distinct().Order()] : throw new CliUsageException($"--ks '{text}': needs at least one bound") } };
        }

        if (parse.GetValue(seed) is { } sd)
        {
            s = s with { Seeds = sd >= 0 ? new StudySeeds([sd], sd, sd) : throw new CliUsageException($"--seed {sd}: must be ≥ 0") };
        }

        if (Seeds(parse.GetValue(seedList)) is { } trainSeeds)
        {
            s = s with { Seeds = s.Seeds with { Train = trainSeeds } };
        }

        if (parse.GetValue(gaussian) is { } g)
        {
            try
            {
                if (Simulation.Variation.VariationSpec.Parse(g).Gaussian is null)
                {
                    throw new CliUsageException($"--gaussian {g}: not a Gaussian model; use gaussian:σ or gaussian-conductance:σ");
                }
            }
            catch (Core.Config.ConfigException ex)
            {
                throw new CliUsageException($"--gaussian {g}: {ex.Message}");
            }

            s = s with { GaussianModel = g };
        }

        if (!File.Exists(s.DeviceModel))
        {
            // A missing file is exit 3 (docs/cli.md), like every other missing input file.
            throw new FileNotFoundException($"device model {s.DeviceModel}: no such calibration file (study.deviceModel or --device-model)", s.DeviceModel);
        }

        return s with { Parameters = m.Settings(parse, s.Parameters), RcnSearch = m.Search(parse, s.RcnSearch) };
    }

    // --seeds 1,2,3: distinct whole numbers ≥ 0, in the order given (the table's order).
    private static IReadOnlyList<int>? Seeds(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var seeds = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var seed = int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : throw new CliUsageException($"--seeds {text}: '{part}' is not a whole number ≥ 0");
            seeds.Add(!seeds.Contains(seed) ? seed : throw new CliUsageException($"--seeds {text}: seed {seed} is listed twice"));
        }

        return seeds.Count > 0 ? seeds : throw new CliUsageException($"--seeds '{text}': needs at least one seed");
    }

    private static int? Positive(int? value, string option) =>
        value is { } v ? (v >= 1 ? v : throw new CliUsageException($"{option} {v}: must be ≥ 1")) : null;
}
