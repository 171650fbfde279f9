using System.CommandLine;
using System.Globalization;
using CimHil.Core.Config;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;
using CimHil.Workflows;
using Serilog;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil train</c>: train a built-in model on Fashion-MNIST with a robustness method (<see cref="RobustnessMethods"/>)
/// and save a safetensors checkpoint whose metadata records the method and its parameters.
/// </summary>
public static class TrainCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var model = new Option<string>("--model") { Description = $"Architecture: {string.Join(", ", ModelZoo.Names)}", DefaultValueFactory = _ => ModelZoo.LeNet5 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 8 }.Within(1, CliLimits.MaxEpochs);
        var output = new Option<string?>("--out") { Description = "Checkpoint to write (default: models/<model>-fmnist.safetensors)" };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation and shuffling", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per step", DefaultValueFactory = _ => 64 }.Within(1, CliLimits.MaxBatch);
        var lr = new Option<float>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 1e-3f };
        var optimizer = new Option<string>("--optimizer") { Description = "adam or sgd (momentum 0.9)", DefaultValueFactory = _ => "adam" };
        var samples = new Option<int?>("--train-samples") { Description = "Use only the first N training samples" }.Within(1, CliLimits.MaxTrainSamples);
        var data = new Option<string?>("--data") { Description = $"Fashion-MNIST folder (default: ${FashionMnist.DirectoryVariable}, else {FashionMnist.DefaultDirectory})" };
        var threads = new Option<int>("--blas-threads") { Description = "OpenBLAS threads (1 is often fastest for LeNet-sized layers)", DefaultValueFactory = _ => 1 }.Within(1, CliLimits.MaxBlasThreads);
        var from = new Option<string?>("--from") { Description = "Fine-tune this model's weights (net.onnx or a checkpoint) instead of training --model from scratch; --out x.onnx writes ONNX" };
        var foldBatchNorm = new Option<bool>("--fold-batchnorm") { Description = "--from net.onnx: fold each BatchNorm into its convolution before fine-tuning (default: BatchNorm kept and trained)" };
        var json = CliServices.JsonOption();
        var m = new MethodOptions();
        var convergence = new ConvergenceOptions();
        var command = new Command("train", "Train a model on Fashion-MNIST (standard or a robustness method, docs/robustness.md) and save it as safetensors")
        {
            model, epochs, output, seed, batch, lr, optimizer, samples, data, threads, from, foldBatchNorm, json,
        };
        m.AddTo(command);
        convergence.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var start = parse.GetValue(from);
            var arch = start is null ? parse.GetValue(model)! : Path.GetFileNameWithoutExtension(start);
            if (start is null && !ModelZoo.Names.Contains(arch))
            {
                throw new CliUsageException($"--model {arch}: unknown; known models: {string.Join(", ", ModelZoo.Names)}");
            }

            var optimizerKind = parse.GetValue(optimizer)!.ToUpperInvariant() switch
            {
                "ADAM" => OptimizerKind.Adam,
                "SGD" => OptimizerKind.Sgd,
                var other => throw new CliUsageException($"--optimizer {other}: must be adam or sgd"),
            };
            var options = convergence.Apply(parse, new TrainerOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                Seed = parse.GetValue(seed),
                LearningRate = parse.GetValue(lr),
                Optimizer = optimizerKind,
            });
            try
            {
                options.Validate();
            }
            catch (ArgumentOutOfRangeException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var method = m.Method(parse);
            var robustness = m.Settings(parse);
            var search = m.Search(parse);
            var mapping = Mapping(services, parse);
            var outPath = parse.GetValue(output) ?? (start is null ? DefaultCheckpoint(arch) : FineTunedPath(start, method));
            if (Simulation.Onnx.OnnxImporter.IsOnnxPath(start) && !Simulation.Onnx.OnnxImporter.IsOnnxPath(outPath))
            {
                throw new CliUsageException($"--out {outPath}: a network fine-tuned from ONNX is written as ONNX (--out x.onnx)");
            }

            var initial = start is null ? null : await ModelFile.LoadAsync(start, parse.GetValue(foldBatchNorm), ct);
            var logger = services.Logger(parse);
            Gemm.SetOpenBlasThreads(Math.Max(1, parse.GetValue(threads)));
            Dataset train, test;
            try
            {
                (train, test) = initial is null
                    ? await FashionMnist.LoadAsync(parse.GetValue(data), ct)
                    : (await TestData.LoadAsync(parse.GetValue(data), "train", initial, ct), await TestData.LoadAsync(parse.GetValue(data), "t10k", initial, ct));
            }
            catch (DatasetFormatException ex)
            {
                // InvalidDataException is what the command runner reports as bad input (exit code 3).
                throw new InvalidDataException(ex.Message, ex);
            }

            if (parse.GetValue(samples) is { } n)
            {
                train = n >= 1 ? train.Take(n) : throw new CliUsageException($"--train-samples {n}: must be ≥ 1");
            }

            var quiet = services.NoProgressBars(parse, parse.GetValue(json));
            MethodTrainingResult trained;
            if (quiet)
            {
                trained = initial is null
                    ? await MethodTraining.TrainAsync(arch, method, robustness, mapping, options, train, test, search, null, logger, ct)
                    : await FineTuneAsync(initial, method, robustness, mapping, options, train, test, null, logger, ct);
            }
            else
            {
                services.Error.WriteLine($"{arch} trained with '{method}'; GEMM: {Gemm.Description}");
                trained = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"epoch 1/{options.Epochs}", maxValue: options.Epochs);
                        var reporter = new SynchronousProgress<TrainingProgress>(p =>
                        {
                            task.Value = p.Epoch - 1 + ((double)p.Step / p.StepsPerEpoch);
                            task.Description = p.CompletedEpoch is { TestAccuracy: { } acc }
                                ? $"epoch {p.Epoch}/{p.Epochs} test {acc:P2}"
                                : $"epoch {p.Epoch}/{p.Epochs} loss {p.RunningLoss:F3}";
                        });
                        return initial is null
                            ? await MethodTraining.TrainAsync(arch, method, robustness, mapping, options, train, test, search, reporter, logger, ct)
                            : await FineTuneAsync(initial, method, robustness, mapping, options, train, test, reporter, logger, ct);
                    });
            }

            var network = trained.Network;
            var result = trained.Training;
            var accuracy = result.FinalTestAccuracy ?? 0;
            var metadata = new Dictionary<string, string>(trained.Parameters.Select(kv => KeyValuePair.Create(kv.Key == "method" ? "method" : $"method.{kv.Key}", kv.Value)))
            {
                ["test_accuracy"] = accuracy.ToString("F4", CultureInfo.InvariantCulture),
                ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
                ["epochs_run"] = result.EpochsRun.ToString(CultureInfo.InvariantCulture),
                ["best_epoch"] = result.ReturnedEpoch.ToString(CultureInfo.InvariantCulture),
                ["schedule"] = options.Schedule.ToString().ToLowerInvariant(),
                ["validation_samples"] = options.ValidationSamples.ToString(CultureInfo.InvariantCulture),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
                ["learning_rate"] = options.LearningRate.ToString(CultureInfo.InvariantCulture),
                ["optimizer"] = options.Optimizer.ToString(),
                ["method"] = result.Method,
                ["dataset"] = TestData.IsNpyPair(parse.GetValue(data)) ? parse.GetValue(data)! : "fashion-mnist",
            };
            if (start is not null)
            {
                metadata["fine_tuned_from"] = start;
            }

            if (result.BestValidationAccuracy is { } validationAccuracy)
            {
                metadata["validation_accuracy"] = validationAccuracy.ToString("F4", CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(samples) is { } used)
            {
                metadata["train_samples"] = used.ToString(CultureInfo.InvariantCulture);
            }

            // The folder may not exist yet (models/ in a fresh folder, or a new --out folder).
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
            if (Simulation.Onnx.OnnxImporter.IsOnnxPath(outPath))
            {
                // ONNX has one free-text field for provenance: the metadata as "key=value; …" in the model's doc_string.
                var doc = "CimHil train: " + string.Join("; ", metadata.Select(kv => $"{kv.Key}={kv.Value}"));
                await Simulation.Onnx.OnnxWriter.WriteAsync(outPath, network, start, parse.GetValue(foldBatchNorm), doc, ct);
            }
            else
            {
                await Checkpoint.SaveAsync(network, outPath, metadata, ct);
            }

            if (parse.GetValue(json))
            {
                services.WriteJson(new { model = arch, method, parameters = trained.Parameters, checkpoint = outPath, testAccuracy = accuracy, result.TotalSeconds, result.EpochsRun, bestEpoch = result.ReturnedEpoch, validationAccuracy = result.BestValidationAccuracy, epochs = result.Epochs, rcnSearch = trained.Search });
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Rounded)
                .AddColumn("Epoch").AddColumn("LR").AddColumn("Train loss").AddColumn("Train acc.").AddColumn("Val. acc.").AddColumn("Test acc.").AddColumn("Seconds");
            foreach (var e in result.Epochs)
            {
                table.AddRow(
                    (e.Epoch == result.ReturnedEpoch ? "*" : string.Empty) + e.Epoch.ToString(CultureInfo.InvariantCulture),
                    e.LearningRate.ToString("G3", CultureInfo.InvariantCulture),
                    e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                    e.TrainAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                    e.ValidationAccuracy?.ToString("P2", CultureInfo.InvariantCulture) ?? "-",
                    e.TestAccuracy?.ToString("P2", CultureInfo.InvariantCulture) ?? "-",
                    e.Seconds.ToString("F1", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            services.Output.WriteLine($"Saved {outPath} (epoch {result.ReturnedEpoch} of {result.EpochsRun} run, test accuracy {accuracy.ToString("P2", CultureInfo.InvariantCulture)})");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Where <c>train --from</c> saves without <c>--out</c>: beside the source, named after the method (net-rcn.onnx).</summary>
    public static string FineTunedPath(string from, string method) =>
        Path.Combine(Path.GetDirectoryName(from) ?? string.Empty, $"{Path.GetFileNameWithoutExtension(from)}-{method}{(Simulation.Onnx.OnnxImporter.IsOnnxPath(from) ? ".onnx" : ".safetensors")}");

    private static async Task<MethodTrainingResult> FineTuneAsync(Simulation.Nn.Network network, string method, RobustnessSettings robustness, CimMappingOptions mapping, TrainerOptions options, Dataset train, Dataset test, IProgress<TrainingProgress>? progress, ILogger logger, CancellationToken ct)
    {
        try
        {
            return await FineTuning.FineTuneAsync(network, method, robustness, mapping, options, train, test, progress, logger, ct);
        }
        catch (ArgumentException ex) when (ex.ParamName == "settings")
        {
            throw new CliUsageException(ex.Message);
        }
    }

    /// <summary>Where <c>train</c> saves without <c>--out</c>: under <c>models/</c>, where <c>run</c> and the docs look, not the current folder's root.</summary>
    public static string DefaultCheckpoint(string arch) => Path.Combine("models", $"{arch}-fmnist.safetensors");

    // The mapping (for device-model noise, bi-scale and the adversary) is simulation.mapping of the config, else the defaults.
    private static CimMappingOptions Mapping(CliServices services, ParseResult parse) =>
        CimMappingOptions.FromJson(services.SimulationConfig(parse).Section("simulation").SectionOrEmpty("mapping")).Validate();
}

/// <summary>
/// The robustness-method options shared by <c>train</c> and <c>study</c>: parsed into <see cref="RobustnessSettings"/>;
/// a bad value is a <see cref="CliUsageException"/> naming the option.
/// </summary>
internal sealed class MethodOptions
{
    private readonly Option<string> _method = new("--method") { Description = $"Training method: {string.Join(", ", RobustnessMethods.Names)} (docs/robustness.md)", DefaultValueFactory = _ => RobustnessMethods.Standard };
    private readonly Option<double?> _sigma = new("--sigma") { Description = "σ_rel of the injected noise, relative to each layer's max|W| (noise, rcn, atrice, biscale); default 0.1" };
    private readonly Option<string?> _threshold = new("--threshold") { Description = "Right-censoring threshold in units of σ (rcn, atrice); 'inf' = plain Gaussian; default 1" };
    private readonly Option<double?> _lambda = new("--lambda") { Description = "Weight of the Hessian-trace penalty (hessian); default 1e-4" };
    private readonly Option<int?> _probes = new Option<int?>("--probes") { Description = "Hutchinson probes per step (hessian); default 1" }.Within(1, CliLimits.MaxMethodIterations);
    private readonly Option<double?> _k = new Option<double?>("--k") { Description = "Worst-case box multiplier of the adversary (atrice); default 1" }.Within(0, CliLimits.MaxWorstCaseK);
    private readonly Option<int?> _adversarySteps = new Option<int?>("--adversary-steps") { Description = "Search steps of the adversary per training step (atrice); default 5" }.Within(1, CliLimits.MaxMethodIterations);
    private readonly Option<double?> _adversaryWeight = new("--adversary-weight") { Description = "β: weight of the adversarial loss, 1 − β on the noisy loss (atrice); default 0.5" };
    private readonly Option<int?> _adversaryWarmup = new Option<int?>("--adversary-warmup") { Description = "Epochs of right-censored noise training before the adversary joins (atrice); default 1" }.Within(0, CliLimits.MaxEpochs);
    private readonly Option<string?> _variation = new("--variation") { Description = "Noise source: calibration JSON, gaussian:σ or gaussian-conductance:σ (noise, biscale; atrice: the worst-case box); default: Gaussian of --sigma" };
    private readonly Option<double?> _ratio = new("--biscale-ratio") { Description = "α_large/α_small of the bi-scale representation (biscale); default 8" };
    private readonly Option<bool> _rcnSearch = new("--rcn-search") { Description = "rcn: search σ and threshold for the best 1st-percentile accuracy (Yan et al., ICCAD 2023) before training" };
    private readonly Option<string?> _rcnSigmas = new("--rcn-sigmas") { Description = "Search grid of σ_rel, comma separated (default 0.05,0.1,0.15,0.2)" };
    private readonly Option<string?> _rcnThresholds = new("--rcn-thresholds") { Description = "Search grid of thresholds in σ, comma separated, 'inf' allowed (default 0,0.5,1,2,inf)" };
    private readonly Option<int?> _rcnRounds = new Option<int?>("--rcn-rounds") { Description = "Refinement rounds of the search (default 1)" }.Within(0, CliLimits.MaxMethodIterations);
    private readonly Option<int?> _rcnSamples = new Option<int?>("--rcn-samples") { Description = "Monte-Carlo draws per search candidate (default 20)" }.Within(1, CliLimits.MaxMethodIterations);

    /// <summary>Adds the options to <paramref name="command"/>; <paramref name="withMethod"/> false leaves out --method.</summary>
    public void AddTo(Command command, bool withMethod = true)
    {
        if (withMethod)
        {
            command.Options.Add(_method);
        }

        foreach (var o in new Option[] { _sigma, _threshold, _lambda, _probes, _k, _adversarySteps, _adversaryWeight, _adversaryWarmup, _variation, _ratio, _rcnSearch, _rcnSigmas, _rcnThresholds, _rcnRounds, _rcnSamples })
        {
            command.Options.Add(o);
        }
    }

    /// <summary>The canonical method name.</summary>
    public string Method(ParseResult parse)
    {
        var name = parse.GetValue(_method)!;
        try
        {
            return RobustnessMethods.Canonical(name);
        }
        catch (ArgumentException)
        {
            throw new CliUsageException($"--method {name}: unknown; known methods: {string.Join(", ", RobustnessMethods.Names)}");
        }
    }

    /// <summary>The settings: <paramref name="defaults"/> overridden by every option given.</summary>
    public RobustnessSettings Settings(ParseResult parse, RobustnessSettings? defaults = null)
    {
        var s = defaults ?? new RobustnessSettings();
        if (parse.GetValue(_sigma) is { } sigma)
        {
            s = s with { SigmaRelative = sigma >= 0 && double.IsFinite(sigma) ? sigma : throw Bad("--sigma", sigma, "a finite number ≥ 0") };
        }

        if (parse.GetValue(_threshold) is { } threshold)
        {
            s = s with { ThresholdSigmas = Threshold(threshold, "--threshold") };
        }

        if (parse.GetValue(_lambda) is { } lambda)
        {
            s = s with { Lambda = lambda >= 0 && double.IsFinite(lambda) ? lambda : throw Bad("--lambda", lambda, "a finite number ≥ 0") };
        }

        if (parse.GetValue(_probes) is { } probes)
        {
            s = s with { Probes = probes >= 1 ? probes : throw Bad("--probes", probes, "≥ 1") };
        }

        if (parse.GetValue(_k) is { } k)
        {
            s = s with { K = k >= 0 && double.IsFinite(k) ? k : throw Bad("--k", k, "a finite number ≥ 0") };
        }

        if (parse.GetValue(_adversarySteps) is { } steps)
        {
            s = s with { AdversarySteps = steps >= 1 ? steps : throw Bad("--adversary-steps", steps, "≥ 1") };
        }

        if (parse.GetValue(_adversaryWeight) is { } beta)
        {
            s = s with { AdversaryWeight = beta > 0 && beta <= 1 ? beta : throw Bad("--adversary-weight", beta, "in (0, 1]") };
        }

        if (parse.GetValue(_adversaryWarmup) is { } warmup)
        {
            s = s with { AdversaryWarmupEpochs = warmup >= 0 ? warmup : throw Bad("--adversary-warmup", warmup, "≥ 0") };
        }

        if (parse.GetValue(_variation) is { } variation)
        {
            try
            {
                _ = VariationSpec.Parse(variation);
            }
            catch (Exception ex) when (ex is ConfigException or IOException or UnauthorizedAccessException or InvalidDataException)
            {
                throw new CliUsageException($"--variation {variation}: {ex.Message}");
            }

            s = s with { Variation = variation };
        }

        if (parse.GetValue(_ratio) is { } ratio)
        {
            s = s with { BiScaleRatio = ratio > 1 && double.IsFinite(ratio) ? ratio : throw Bad("--biscale-ratio", ratio, "a finite number > 1") };
        }

        if (parse.GetValue(_rcnSearch))
        {
            s = s with { RcnSearch = true };
        }

        return s;
    }

    /// <summary>The right-censored search settings: <paramref name="defaults"/> overridden by the options given.</summary>
    public RcnSearchSettings Search(ParseResult parse, RcnSearchSettings? defaults = null)
    {
        var s = defaults ?? new RcnSearchSettings();
        if (parse.GetValue(_rcnSigmas) is { } sigmas)
        {
            var list = List(sigmas, "--rcn-sigmas", v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && double.IsFinite(d) ? d : null, "finite numbers ≥ 0");
            s = s with { Grid = s.Grid with { SigmaRelative = list } };
        }

        if (parse.GetValue(_rcnThresholds) is { } thresholds)
        {
            var list = List(thresholds, "--rcn-thresholds", v => TryThreshold(v), "numbers or inf");
            s = s with { Grid = s.Grid with { ThresholdSigmas = list } };
        }

        if (parse.GetValue(_rcnRounds) is { } rounds)
        {
            s = s with { Grid = s.Grid with { RefinementRounds = rounds >= 0 ? rounds : throw Bad("--rcn-rounds", rounds, "≥ 0") } };
        }

        if (parse.GetValue(_rcnSamples) is { } samples)
        {
            s = s with { Samples = samples >= 1 ? samples : throw Bad("--rcn-samples", samples, "≥ 1") };
        }

        return s;
    }

    private static double Threshold(string text, string option) =>
        TryThreshold(text) ?? throw new CliUsageException($"{option} {text}: must be a number (in units of σ) or inf");

    private static double? TryThreshold(string text) =>
        text.Trim().ToLowerInvariant() is "inf" or "+inf" or "infinity" or "∞" ? double.PositiveInfinity
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d) && d > double.NegativeInfinity ? d
        : null;

    private static double[] List(string text, string option, Func<string, double?> parse, string form)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            throw new CliUsageException($"{option} '{text}': needs at least one value ({form})");
        }

        return [.. parts.Select(p => parse(p) ?? throw new CliUsageException($"{option} '{text}': '{p}' is not valid; expected {form}"))];
    }

    private static CliUsageException Bad(string option, double value, string limit) =>
        new($"{option} {value.ToString(CultureInfo.InvariantCulture)}: must be {limit}");
}
