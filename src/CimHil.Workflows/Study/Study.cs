using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Simulation.Robustness;

namespace CimHil.Workflows;

/// <summary>
/// <c>cimhil study</c>: trains LeNet-5 with each robustness method (or reuses the cached checkpoint of the same method,
/// parameters, data and seed), then judges each under the calibrated device model and the plain Gaussian model with the
/// run pipeline's Monte-Carlo and worst-case stages (<see cref="EvaluationStages"/>). Writes study.json and study.md into the run folder.
/// </summary>
public sealed class Study : Workflow<StudySettings>
{
    public const string JsonFile = "study.json";
    public const string MarkdownFile = "study.md";

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
            yield return $"train {m}";
            foreach (var model in new[] { "calibrated", "gaussian" })
            {
                yield return $"monte-carlo {m}/{model}";
                yield return $"worst-case {m}/{model}";
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
            var (network, model) = await Stages.RunAsync($"train {method}", () => TrainOrLoadAsync(method, mapping, train, mcImages, ct));
            trained.Add(model);
            var evalMapping = RobustnessMethods.EvaluationMapping(method, Settings.Parameters, mapping);
            foreach (var (name, spec, bounds) in models)
            {
                var mcStage = $"monte-carlo {method}/{name}";
                var options = Settings.Evaluation.MonteCarloOptions(Settings.Seeds.MonteCarlo);
                var mc = await Stages.RunAsync(mcStage, () => EvaluationStages.MonteCarloSummaryAsync(network, evalMapping, spec, options, mcImages, directory, mcStage, Stages.Progress, ct));
                var search = WorstCaseOptions.Preset(Settings.WorstCaseMethod) with
                {
                    Steps = Settings.WorstCaseSteps,
                    Restarts = Settings.WorstCaseRestarts,
                    Seed = Settings.Seeds.WorstCase,
                };
                var wcStage = $"worst-case {method}/{name}";
                var wc = await Stages.RunAsync(wcStage, () => EvaluationStages.WorstCaseSummaryAsync(
                    network, evalMapping, bounds, search, Settings.WorstCaseKs, wcImages, Path.Combine(folder, "worst-case", $"{method}-{name}"), Log, wcStage, Stages.Progress, ct));
                rows.Add(new StudyRow(method, name, spec.Describe(), evalMapping.Representation, mc, wc));
                Log.Information("Study {Method} under {Model}: clean {Clean}, mean {Mean}, P{K} {Percentile}, worst {Worst}", method, name, mc.CleanAccuracy, mc.Mean, mc.PercentileK, mc.Percentile, wc.Points.Select(p => p.Accuracy));
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
            StageSeconds = Stages.Seconds,
        };
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, JsonFile), JsonSerializer.Serialize(results, WorkflowJson.Options), ct);
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, MarkdownFile), Markdown(results), ct);
        return results;
    }

    /// <summary>The study table: rows = method × variation model; clean, MC mean ± sd, percentile [CI], worst case per k.</summary>
    public static string Markdown(StudyResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        static string P(double x) => (x * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";
        var s = results.Settings;
        var ks = s.WorstCaseKs;
        var pk = s.Percentile.ToString("G3", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Robustness study {results.RunId}");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{s.Model} on Fashion-MNIST, {s.Epochs} epoch(s) on {(s.TrainSamples is { } n ? n.ToString(CultureInfo.InvariantCulture) : "all")} training samples; Monte-Carlo {s.MonteCarloChips} chips × {s.MonteCarloImages} test images; worst case ({s.WorstCaseMethod} search, {s.WorstCaseSteps} steps, {s.WorstCaseRestarts} restarts) on {s.WorstCaseImages} test images. Seeds: train {s.Seeds.Train}, Monte-Carlo {s.Seeds.MonteCarlo}, worst case {s.Seeds.WorstCase}.");
        sb.AppendLine();
        sb.Append(CultureInfo.InvariantCulture, $"| method | variation model | float | clean | MC mean ± sd | P{pk} [95 % CI] | clean (worst-case images) |");
        foreach (var k in ks)
        {
            sb.Append(CultureInfo.InvariantCulture, $" worst k={k:0.###} |");
        }

        sb.AppendLine();
        sb.Append("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var _ in ks)
        {
            sb.Append(" ---: |");
        }

        sb.AppendLine();
        foreach (var r in results.Rows)
        {
            var floatAccuracy = results.Models.First(m => m.Method == r.Method).FloatAccuracy;
            var mc = r.MonteCarlo;
            sb.Append(CultureInfo.InvariantCulture, $"| {r.Method} | {r.Model} | {P(floatAccuracy)} | {P(mc.CleanAccuracy)} | {P(mc.Mean)} ± {P(mc.StandardDeviation)} | {P(mc.Percentile)} [{P(mc.PercentileInterval.Low)}, {P(mc.PercentileInterval.High)}] | {P(r.WorstCase.CleanAccuracy)} |");
            foreach (var k in ks)
            {
                var point = r.WorstCase.Points.FirstOrDefault(p => p.K == k);
                sb.Append(' ').Append(point is null ? "-" : P(point.Accuracy)).Append(" |");
            }

            sb.AppendLine();
        }

        sb.AppendLine();
        sb.AppendLine("Variation models:");
        foreach (var g in results.Rows.GroupBy(r => r.Model))
        {
            var r = g.First();
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {g.Key}: Monte-Carlo {r.Variation}; worst-case box {r.WorstCase.Bound}.");
        }

        sb.AppendLine();
        sb.AppendLine("Methods (docs/robustness.md):");
        foreach (var m in results.Models)
        {
            var parameters = string.Join(", ", m.Parameters.Where(kv => kv.Key != "method").Select(kv => $"{kv.Key} = {kv.Value}"));
            sb.AppendLine(CultureInfo.InvariantCulture, $"- {m.Method}{(parameters.Length > 0 ? $" ({parameters})" : string.Empty)}{(m.Cached ? ", cached checkpoint" : string.Empty)}: {m.Checkpoint}");
        }

        sb.AppendLine();
        sb.AppendLine("float: unmapped network on the Monte-Carlo test images; clean: mapped, no variation (on the Monte-Carlo images, and on the fewer worst-case images, against which the worst case is to be read); percentile intervals are bootstrap 95 % intervals over chips; the worst case is over programmed conductances within ±k·σ per device (read noise off).");
        return sb.ToString();
    }

    /// <summary>The cache key of a trained model: everything that determines its weights.</summary>
    public static string CacheKey(StudySettings settings, string method, IReadOnlyDictionary<string, string> parameters, CimMappingOptions mapping)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(mapping);
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"model={settings.Model};method={method};epochs={settings.Epochs};samples={settings.TrainSamples};batch={settings.BatchSize};")
            .Append(CultureInfo.InvariantCulture, $"lr={settings.LearningRate.ToString("R", CultureInfo.InvariantCulture)};seed={settings.Seeds.Train};")
            .Append(CultureInfo.InvariantCulture, $"validation={settings.ValidationFraction.ToString("R", CultureInfo.InvariantCulture)};patience={settings.Patience};schedule={settings.Schedule};")
            .Append(string.Join(";", parameters.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));

        // The mapping shapes device-model noise, bi-scale and adversarial training; a searched rcn depends on its grid.
        if (method is RobustnessMethods.BiScale or RobustnessMethods.Atrice || parameters.ContainsKey("variation"))
        {
            text.Append(CultureInfo.InvariantCulture, $";mapping={mapping}");
        }

        if (method == RobustnessMethods.Rcn && settings.Parameters.RcnSearch)
        {
            var g = settings.RcnSearch;
            text.Append(CultureInfo.InvariantCulture, $";grid={string.Join(',', g.Grid.SigmaRelative)}|{string.Join(',', g.Grid.ThresholdSigmas)}|{g.Grid.RefinementRounds}|{g.Samples}|{g.HoldOut}");
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash)[..16];
    }

    private async Task<(Network Network, StudyModel Model)> TrainOrLoadAsync(string method, CimMappingOptions mapping, Dataset train, Dataset test, CancellationToken ct)
    {
        var parameters = RobustnessMethods.Parameters(method, Settings.Parameters);
        var key = CacheKey(Settings, method, parameters, mapping);
        var path = Path.Combine(Settings.ModelCacheFolder, $"{Settings.Model}-{method}-{key}.safetensors");
        var stage = $"train {method}";
        if (File.Exists(path))
        {
            var file = await Safetensors.ReadAsync(path, ct);
            var network = await Checkpoint.LoadAsync(path, cancellationToken: ct);
            var recorded = file.Metadata.Where(kv => kv.Key == "method" || kv.Key.StartsWith("method.", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key == "method" ? "method" : kv.Key["method.".Length..], kv => kv.Value);
            var accuracy = double.Parse(file.Metadata["test_accuracy"], CultureInfo.InvariantCulture);
            var epochsRun = file.Metadata.TryGetValue("epochs_run", out var run) ? int.Parse(run, CultureInfo.InvariantCulture) : Settings.Epochs;
            double? validationAccuracy = file.Metadata.TryGetValue("validation_accuracy", out var va) ? double.Parse(va, CultureInfo.InvariantCulture) : null;
            Log.Information("Study {Method}: reusing {Checkpoint} (key {Key})", method, path, key);
            return (network, new StudyModel(method, recorded, path, true, accuracy, 0) { EpochsRun = epochsRun, BestValidationAccuracy = validationAccuracy });
        }

        var options = new TrainerOptions
        {
            Epochs = Settings.Epochs,
            BatchSize = Settings.BatchSize,
            LearningRate = Settings.LearningRate,
            Seed = Settings.Seeds.Train,
            Schedule = Settings.Schedule,
        };
        var validationSamples = (int)Math.Round(Settings.ValidationFraction * train.Count);
        if (validationSamples >= 1 && validationSamples < train.Count)
        {
            options = options with { ValidationSamples = validationSamples, Patience = Settings.Patience };
        }

        options.Validate();
        var sw = Stopwatch.StartNew();
        var result = await MethodTraining.TrainAsync(Settings.Model, method, Settings.Parameters, mapping, options, train, test, Settings.RcnSearch, Stages.Training(stage), Log, ct);
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
        return (result.Network, new StudyModel(method, result.Parameters, path, false, floatAccuracy, sw.Elapsed.TotalSeconds)
        {
            EpochsRun = result.Training.EpochsRun,
            BestValidationAccuracy = result.Training.BestValidationAccuracy,
        });
    }
}
