using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Core.IO;
using CimHil.Simulation.Onnx;
using CimHil.Simulation.Robustness;

namespace CimHil.Workflows;

/// <summary>
/// <c>cimhil study</c>: trains LeNet-5 with each robustness method (or reuses the cached checkpoint of the same method,
/// parameters, data and seed), then judges each under the calibrated device model and the plain Gaussian model with the
/// run pipeline's Monte-Carlo and worst-case stages (<see cref="EvaluationStages"/>), once per training seed; the table
/// aggregates the seeds (<see cref="StudyAggregation"/>). Writes study.json, study.md and study.html into the run folder.
/// </summary>
public sealed class Study : Workflow<StudySettings>
{
    public const string JsonFile = "study.json";
    public const string MarkdownFile = "study.md";
    public const string HtmlFile = "study.html";

    /// <summary>A study of <paramref name="settings"/> under <paramref name="config"/>, logging to <paramref name="logger"/> and reporting each stage to <paramref name="progress"/>.</summary>
    public Study(HilConfig config, StudySettings settings, ILogger logger, IProgress<StageProgress> progress)
        : base(config, settings, logger, progress, logStageStart: false, "Study stage {Stage} finished in {ElapsedSeconds} s")
    {
    }

    /// <summary>The stage names in the order the study runs them (for progress displays).</summary>
    public static IEnumerable<string> StageNames(StudySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        foreach (var m in settings.Methods)
        {
            foreach (var seed in settings.Seeds.Train)
            {
                yield return $"train {m} seed {seed}";
                foreach (var model in new[] { "calibrated", "gaussian" })
                {
                    yield return $"monte-carlo {m}/{model} seed {seed}";
                    yield return $"worst-case {m}/{model} seed {seed}";
                }
            }
        }
    }

    /// <summary>Runs the study into <paramref name="folder"/>.</summary>
    public async Task<StudyResults> RunAsync(string folder, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var started = DateTimeOffset.UtcNow;
        var runId = RunFolder.IdOf(folder);
        var mapping = CimMappingOptions.FromJson(Config.Section("simulation").SectionOrEmpty("mapping")).Validate();
        var directory = FashionMnist.ResolveDirectory(null);
        var (train, test) = await FashionMnist.LoadAsync(directory, ct);
        if (Settings.TrainSamples is { } n)
        {
            train = train.Take(Math.Min(n, train.Count));
        }

        var mcImages = test.Take(Math.Min(Settings.MonteCarloImages, test.Count));
        var wcImages = test.Take(Math.Min(Settings.WorstCaseImages, test.Count));
        var models = new (string Name, VariationSpec Spec, DeviceBoundModel Bounds)[]
        {
            ("calibrated", VariationSpec.Parse(Settings.DeviceModel), DeviceBoundModel.Parse(Settings.DeviceModel)),
            ("gaussian", VariationSpec.Parse(Settings.GaussianModel), DeviceBoundModel.Parse(Settings.GaussianModel)),
        };

        var trained = new List<StudyModel>();
        var rows = new List<StudyRow>();
        foreach (var method in Settings.Methods)
        {
            foreach (var seed in Settings.Seeds.Train)
            {
                var (network, model) = await Stages.RunAsync($"train {method} seed {seed}", () => TrainOrLoadAsync(method, seed, mapping, train, mcImages, ct));
                trained.Add(model);
                var evalMapping = RobustnessMethods.EvaluationMapping(method, Settings.Parameters, mapping);
                foreach (var (name, spec, bounds) in models)
                {
                    var mcStage = $"monte-carlo {method}/{name} seed {seed}";
                    var options = Settings.Evaluation.MonteCarloOptions(Settings.Seeds.MonteCarloFor(seed));
                    var mc = await Stages.RunAsync(mcStage, () => EvaluationStages.MonteCarloSummaryAsync(network, evalMapping, spec, options, mcImages, directory, mcStage, Stages.Progress, ct, MonteCarloBackend));
                    var search = WorstCaseOptions.Preset(Settings.WorstCaseMethod) with
                    {
                        Steps = Settings.WorstCaseSteps,
                        Restarts = Settings.WorstCaseRestarts,
                        Seed = Settings.Seeds.WorstCaseFor(seed),
                    };
                    var wcStage = $"worst-case {method}/{name} seed {seed}";
                    var wcFolder = Path.Combine(folder, "worst-case", $"{method}-{name}-seed{seed}");
                    var wc = await Stages.RunAsync(wcStage, () => EvaluationStages.WorstCaseSummaryAsync(
                        network, evalMapping, bounds, search, Settings.WorstCaseKs, wcImages, wcFolder, Log, wcStage, Stages.Progress, ct, SearchPasses));
                    rows.Add(new StudyRow(method, seed, name, spec.Describe(), evalMapping.Representation, mc, wc));
                    Log.Information("Study {Method} seed {Seed} under {Model}: clean {Clean}, mean {Mean}, P{K} {Percentile}, worst {Worst}", method, seed, name, mc.CleanAccuracy, mc.Mean, mc.PercentileK, mc.Percentile, wc.Points.Select(p => p.Accuracy));
                }
            }
        }

        var results = new StudyResults
        {
            RunId = runId,
            Folder = folder,
            StartedUtc = started,
            FinishedUtc = DateTimeOffset.UtcNow,
            ConfigHash = Config.ContentHash,
            SoftwareVersion = RunProvenance.CurrentSoftwareVersion,
            Host = Environment.MachineName,
            Dataset = directory,
            Settings = Settings,
            Mapping = mapping,
            Models = [.. trained],
            Rows = [.. rows],
            Aggregate = StudyAggregation.Aggregate(trained, rows, Settings.WorstCaseKs),
            StageSeconds = Stages.Seconds,
        };
        await WriteFilesAsync(results, folder, ct);
        return results;
    }

    /// <summary>Writes study.json, study.md and study.html of <paramref name="results"/> into <paramref name="folder"/>.</summary>
    public static async Task WriteFilesAsync(StudyResults results, string folder, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(results);
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, JsonFile), JsonSerializer.Serialize(results, WorkflowJson.Options), ct);
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, MarkdownFile), StudyTable.Markdown(results), ct);
        await StudyPage.WriteAsync(results, Path.Combine(folder, HtmlFile), ct);
    }

    /// <summary>The cache key of a trained model: everything that determines its weights.</summary>
    /// <param name="settings">The study settings.</param>
    /// <param name="method">The training method.</param>
    /// <param name="seed">The training seed.</param>
    /// <param name="parameters">The method's parameters.</param>
    /// <param name="mapping">The CiM mapping.</param>
    /// <param name="modelSha256">For an ONNX model, the SHA-256 of the file: the starting weights are part of the key.</param>
    public static string CacheKey(StudySettings settings, string method, int seed, IReadOnlyDictionary<string, string> parameters, CimMappingOptions mapping, string? modelSha256 = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(mapping);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"model={settings.Model};method={method};epochs={settings.Epochs};samples={settings.TrainSamples};batch={settings.BatchSize};")
            .Append(CultureInfo.InvariantCulture, $"lr={settings.LearningRate.ToString("R", CultureInfo.InvariantCulture)};seed={seed};")
            .Append(CultureInfo.InvariantCulture, $"validation={settings.ValidationFraction.ToString("R", CultureInfo.InvariantCulture)};patience={settings.Patience};schedule={settings.Schedule};")
            .Append(string.Join(";", parameters.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));

        // The mapping shapes device-model noise, bi-scale and adversarial training; a searched rcn depends on its grid.
        if (method is RobustnessMethods.BiScale or RobustnessMethods.Atrice || parameters.ContainsKey("variation"))
        {
            text.Append(CultureInfo.InvariantCulture, $";mapping={mapping}");
        }

        // A-TRICE models cached before early stopping skipped the warm-up could hold warm-up weights: a new key retrains them.
        if (method == RobustnessMethods.Atrice)
        {
            text.Append(";select=after-warmup");
        }

        if (method == RobustnessMethods.Rcn && settings.Parameters.RcnSearch)
        {
            var g = settings.RcnSearch;
            text.Append(CultureInfo.InvariantCulture, $";grid={string.Join(',', g.Grid.SigmaRelative)}|{string.Join(',', g.Grid.ThresholdSigmas)}|{g.Grid.RefinementRounds}|{g.Samples}|{g.HoldOut}");
        }

        if (modelSha256 is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $";modelSha256={modelSha256}");
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash)[..16];
    }

    private async Task<(Network Network, StudyModel Model)> TrainOrLoadAsync(string method, int seed, CimMappingOptions mapping, Dataset train, Dataset test, CancellationToken ct)
    {
        var parameters = RobustnessMethods.Parameters(method, Settings.Parameters);
        // An ONNX model is fine-tuned from its own weights (issue #17): its file's hash keys the cache, its name names the entry.
        var onnx = OnnxImporter.IsOnnxPath(Settings.Model);
        var key = CacheKey(Settings, method, seed, parameters, mapping, onnx ? await FileHash.Sha256HexAsync(Settings.Model, ct) : null);
        var path = Path.Combine(Settings.ModelCacheFolder, $"{(onnx ? Path.GetFileNameWithoutExtension(Settings.Model) : Settings.Model)}-{method}-{key}.safetensors");
        var stage = $"train {method} seed {seed}";
        if (File.Exists(path))
        {
            var file = await Safetensors.ReadAsync(path, ct);
            var network = onnx ? await ModelFile.LoadAsync(Settings.Model, cancellationToken: ct) : await Checkpoint.LoadAsync(path, cancellationToken: ct);
            if (onnx)
            {
                Checkpoint.LoadState(network, file, path);
            }

            var recorded = file.Metadata.Where(kv => kv.Key == "method" || kv.Key.StartsWith("method.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key == "method" ? "method" : kv.Key["method.".Length..], kv => kv.Value);
            var accuracy = double.Parse(file.Metadata["test_accuracy"], CultureInfo.InvariantCulture);
            var epochsRun = file.Metadata.TryGetValue("epochs_run", out var run) ? int.Parse(run, CultureInfo.InvariantCulture) : Settings.Epochs;
            double? validationAccuracy = file.Metadata.TryGetValue("validation_accuracy", out var va) ? double.Parse(va, CultureInfo.InvariantCulture) : null;
            Log.Information("Study {Method} seed {Seed}: reusing {Checkpoint} (key {Key})", method, seed, path, key);
            return (network, new StudyModel(method, seed, recorded, path, true, accuracy, 0) { EpochsRun = epochsRun, BestValidationAccuracy = validationAccuracy });
        }

        var options = new TrainerOptions
        {
            Epochs = Settings.Epochs,
            BatchSize = Settings.BatchSize,
            LearningRate = Settings.LearningRate,
            Seed = seed,
            Schedule = Settings.Schedule,
        };
        var validationSamples = (int)Math.Round(Settings.ValidationFraction * train.Count);
        if (validationSamples >= 1 && validationSamples < train.Count)
        {
            options = options with { ValidationSamples = validationSamples, Patience = Settings.Patience };
        }

        options.Validate();
        var sw = Stopwatch.StartNew();
        var result = onnx
            ? await FineTuning.FineTuneAsync(await ModelFile.LoadAsync(Settings.Model, cancellationToken: ct), method, Settings.Parameters with { RcnSearch = false }, mapping, options, train, test, Stages.Training(stage), Log, ct)
            : await MethodTraining.TrainAsync(Settings.Model, method, Settings.Parameters, mapping, options, train, test, Settings.RcnSearch, Stages.Training(stage), Log, ct);
        var floatAccuracy = result.Training.FinalTestAccuracy ?? 0;
        var metadata = new Dictionary<string, string>(result.Parameters.Select(kv => KeyValuePair.Create(kv.Key == "method" ? "method" : $"method.{kv.Key}", kv.Value)))
        {
            ["test_accuracy"] = floatAccuracy.ToString("R", CultureInfo.InvariantCulture),
            ["test_images"] = test.Count.ToString(CultureInfo.InvariantCulture),
            ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
            ["epochs_run"] = result.Training.EpochsRun.ToString(CultureInfo.InvariantCulture),
            ["best_epoch"] = result.Training.ReturnedEpoch.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["train_samples"] = train.Count.ToString(CultureInfo.InvariantCulture),
            ["study_key"] = key,
            ["dataset"] = "fashion-mnist",
        };
        if (result.Training.BestValidationAccuracy is { } best)
        {
            metadata["validation_accuracy"] = best.ToString("R", CultureInfo.InvariantCulture);
        }

        Directory.CreateDirectory(Settings.ModelCacheFolder);

        // Written under a temporary name and moved, so an interrupted study never leaves a truncated cache entry.
        var partial = path + ".partial";
        await Checkpoint.SaveAsync(result.Network, partial, metadata, ct);
        File.Move(partial, path, overwrite: true);
        return (result.Network, new StudyModel(method, seed, result.Parameters, path, false, floatAccuracy, sw.Elapsed.TotalSeconds)
        {
            EpochsRun = result.Training.EpochsRun,
            BestValidationAccuracy = result.Training.BestValidationAccuracy,
        });
    }
}
