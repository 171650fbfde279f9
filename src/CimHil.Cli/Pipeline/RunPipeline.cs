using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CimHil.Calibration;
using CimHil.Characterization;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Devices;
using CimHil.Core.IO;
using CimHil.Core.Safety;
using CimHil.Reporting;
using CimHil.Reporting.Browser;
using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.Nn;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using Serilog;

namespace CimHil.Cli.Pipeline;

/// <summary>
/// The main job: connect, characterise, calibrate, train or load the model, Monte-Carlo, worst case, report — all into one run
/// folder. Every stage writes its output file atomically when it finishes; a resumed run skips the stages whose file exists
/// and reads back whole, recomputes a stage whose file is damaged (set aside, with a warning), and resumes characterisation
/// inside its database, so an interrupted run loses nothing it had finished.
/// </summary>
public sealed class RunPipeline
{
    public const string DatabaseFile = "measurements.db";
    public const string CalibrationFile = "calibration.json";
    public const string MonteCarloFile = "monte-carlo.json";
    public const string WorstCaseFile = "worst-case.json";
    public const string ResultsFile = "results.json";
    public const string ReportFile = "report.html";
    public const string ScreenshotFile = "report.png";

    private static readonly JsonSerializerOptions Json = CliServices.Json;

    private readonly HilConfig _config;
    private readonly RunSettings _settings;
    private readonly ILogger _log;
    private readonly IProgress<StageProgress> _progress;
    private readonly Dictionary<string, double> _stageSeconds = [];

    public RunPipeline(HilConfig config, RunSettings settings, ILogger logger, IProgress<StageProgress> progress)
    {
        _config = config;
        _settings = settings;
        _log = logger;
        _progress = progress;
    }

    /// <summary>How characterisation treats a resume (<c>--resume-on-new-chip</c>).</summary>
    public CharacterizerOptions CharacterizerOptions { get; init; } = CharacterizerOptions.Default;

    /// <summary>Stop after calibration when the fit lacks a part the plan measured (<c>--strict</c>), instead of warning.</summary>
    public bool Strict { get; init; }

    /// <summary>A new run folder named by the UTC time, under the configured root.</summary>
    public static string NewRunFolder(RunSettings settings, DateTimeOffset now) => NewRunFolder(settings.OutputRoot, now);

    /// <summary>A new run folder named by the UTC time under <paramref name="outputRoot"/> (shared by run and study).</summary>
    public static string NewRunFolder(string outputRoot, DateTimeOffset now) =>
        Path.Combine(outputRoot, now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    public async Task<RunResults> RunAsync(SafeChip chip, string folder, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var started = DateTimeOffset.UtcNow;
        var runId = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        var db = Path.Combine(folder, DatabaseFile);

        var (map, measurements) = await Stage("characterise", () => CharacteriseAsync(chip, db, runId, ct));
        var calibrationPath = Path.Combine(folder, CalibrationFile);
        var (model, warnings) = await Stage("calibrate", () => CalibrateAsync(db, calibrationPath, runId, ct));
        var (network, floatAccuracy) = await Stage("model", () => LoadOrTrainAsync(ct));
        var mapping = CimMappingOptions.FromJson(_config.Section("simulation").SectionOrEmpty("mapping"));
        mapping.Validate();
        var directory = FashionMnist.ResolveDirectory(null);
        var mc = await Stage("monte-carlo", () => MonteCarloAsync(network, mapping, calibrationPath, directory, Path.Combine(folder, MonteCarloFile), ct));
        var wc = await Stage("worst-case", () => WorstCaseAsync(network, mapping, calibrationPath, directory, folder, ct));

        var results = new RunResults
        {
            RunId = runId,
            Folder = folder,
            StartedUtc = started,
            Chip = chip.Identity.ToString(),
            Driver = _config.Chip.Driver,
            ConfigHash = _config.ContentHash,
            Database = db,
            Measurements = measurements,
            Calibration = calibrationPath,
            Model = _settings.Model,
            ModelFloatAccuracy = floatAccuracy,
            MonteCarlo = mc,
            WorstCase = wc,
            Report = Path.Combine(folder, ReportFile),
            Warnings = warnings,
        };

        string? screenshot = null;
        ReportPageResult? page = null;
        await Stage("report", async () =>
        {
            var report = RunReportBuilder.Build(results, RunProvenance.Of(chip, _config), model, map, db, _settings.Seed, _config.Section("emulator").Long("seed", 0));
            await ReportWriter.WriteAsync(report, results.Report, ct);
            if (_settings.Screenshot)
            {
                screenshot = Path.Combine(folder, ScreenshotFile);
                try
                {
                    page = await ReportScreenshot.CaptureAsync(results.Report, screenshot, ct);
                    var empty = page.Plots.Where(p => !p.Visible || p.MarkCount == 0).Select(p => p.Id).ToList();
                    _log.Information("Report checked in Chromium: {ConsoleErrors} console errors, {Plots} plots, screenshot {Screenshot}", page.ConsoleErrors.Count, page.Plots.Count, screenshot);
                    if (page.ConsoleErrors.Count > 0 || empty.Count > 0)
                    {
                        _log.Warning("Report problems: console errors {ConsoleErrors}; plots without data {EmptyPlots}", page.ConsoleErrors, empty);
                    }
                }
                catch (ReportBrowserException ex)
                {
                    // The report itself is written; only its browser check and screenshot are missing.
                    _log.Warning("Report screenshot skipped: {Reason}", ex.Message);
                    screenshot = null;
                }
            }

            return true;
        });

        results = results with { FinishedUtc = DateTimeOffset.UtcNow, Screenshot = screenshot, ReportCheck = page, StageSeconds = _stageSeconds.ToImmutableDictionary() };
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, ResultsFile), JsonSerializer.Serialize(results, Json), ct);
        return results;
    }

    private async Task<T> Stage<T>(string name, Func<Task<T>> body)
    {
        var sw = Stopwatch.StartNew();
        _progress.Report(new StageProgress(name, 0, 1));
        _log.Information("Stage {Stage} started", name);
        var result = await body();
        _stageSeconds[name] = sw.Elapsed.TotalSeconds;
        _progress.Report(new StageProgress(name, 1, 1));
        _log.Information("Stage {Stage} finished in {ElapsedSeconds} s", name, sw.Elapsed.TotalSeconds);
        return result;
    }

    private async Task<(BlockReadResult Map, long Measurements)> CharacteriseAsync(SafeChip chip, string db, string runId, CancellationToken ct)
    {
        var planPath = _settings.Plan ?? Path.Combine("plans", $"default-{chip.Identity.Technology.ToString().ToLowerInvariant()}.json");
        var plan = CharacterizationPlan.Load(planPath);
        PlanValidator.Check(plan, chip).ThrowIfInvalid(planPath);
        using var store = File.Exists(db)
            ? MeasurementStore.Open(db, DateTimeOffset.UtcNow)
            : MeasurementStore.Create(db, runId, plan.Json, RunProvenance.Of(chip, _config), DateTimeOffset.UtcNow);
        var reporter = new Reporter<CharacterizationProgress>(p =>
            _progress.Report(new StageProgress("characterise", p.UnitsDone, Math.Max(1, p.UnitsTotal), p.Procedure)));
        var summary = await new Characterizer(chip, store, plan, _log, reporter, CharacterizerOptions).RunAsync(ct);
        _log.Information("Characterisation: {Units} units, {Measurements} records", summary.Units, summary.Measurements);

        // The conductance map shows the array as characterisation left it, read in one bulk operation.
        var map = await chip.ReadArrayAsync(Math.Min(0.2, chip.Limits.MaxReadVoltageV), ct);
        return (map, summary.Measurements);
    }

    /// <summary>
    /// The calibrated model (fitted, or the one a finished stage left) and its gaps, from one opening of the store. The gaps
    /// are logged as warnings; under <see cref="Strict"/> they stop the run before any simulation.
    /// </summary>
    private async Task<(DeviceVariationModel Model, ImmutableArray<string> Gaps)> CalibrateAsync(string db, string path, string runId, CancellationToken ct)
    {
        var stored = await StageResultFile.TryLoadAsync(path, "calibrate", (p, _) => Task.FromResult(DeviceModelFile.Load(p)), _log, ct);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        var model = stored ?? Calibrator.Fit(store, $"run-{runId}", new CalibrationOptions { BootstrapSamples = _settings.BootstrapSamples, Seed = _settings.Seed }, _log);
        if (stored is null)
        {
            DeviceModelFile.Save(model, path);
        }

        var gaps = CalibrationGaps.Find(model, store);
        if (gaps.Count > 0 && Strict)
        {
            throw CalibrationGaps.Incomplete(db, gaps, "the run stops before any simulation");
        }

        foreach (var gap in gaps)
        {
            _log.Warning("Calibration incomplete: {Gap}", gap);
        }

        return (model, [.. gaps]);
    }

    private async Task<(Network Network, double? FloatAccuracy)> LoadOrTrainAsync(CancellationToken ct)
    {
        if (await StageResultFile.TryLoadAsync(_settings.Model, "model", (p, c) => Checkpoint.LoadAsync(p, cancellationToken: c), _log, ct) is { } loaded)
        {
            return (loaded, null);
        }

        _log.Information("No model at {Model}: training LeNet-5 for {Epochs} epochs", _settings.Model, _settings.TrainEpochs);
        var (train, test) = await FashionMnist.LoadAsync(null, ct);
        var options = new TrainerOptions { Epochs = _settings.TrainEpochs, Seed = _settings.Seed };
        var network = ModelZoo.Create(ModelZoo.LeNet5, options.Seed);
        var reporter = new Reporter<TrainingProgress>(p =>
            _progress.Report(new StageProgress("model", p.Epoch - 1 + ((double)p.Step / p.StepsPerEpoch), p.Epochs, $"epoch {p.Epoch}/{p.Epochs}")));
        var result = await new Trainer(options, _log).TrainAsync(network, train, test, reporter, ct);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_settings.Model))!);
        await Checkpoint.SaveAsync(network, _settings.Model, new Dictionary<string, string>
        {
            ["test_accuracy"] = (result.FinalTestAccuracy ?? 0).ToString("F4", CultureInfo.InvariantCulture),
            ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["dataset"] = "fashion-mnist",
        }, ct);
        return (network, result.FinalTestAccuracy);
    }

    private async Task<MonteCarloSummary> MonteCarloAsync(Network network, CimMappingOptions mapping, string calibration, string directory, string path, CancellationToken ct)
    {
        var stored = await StageResultFile.TryLoadAsync(path, "monte-carlo", (p, c) => StageResultFile.ReadJsonAsync<MonteCarloSummary>(p, Json, s => !s.ChipAccuracies.IsDefaultOrEmpty, c), _log, ct);
        if (stored is not null)
        {
            return stored;
        }

        var variation = VariationSpec.Parse(calibration);
        var options = new MonteCarloOptions { Chips = _settings.MonteCarloChips, Percentile = _settings.Percentile, Seed = _settings.Seed };
        var test = (await FashionMnist.LoadSplitAsync(directory, "t10k", ct)).Take(_settings.MonteCarloImages);
        var summary = await MonteCarloSummaryAsync(network, mapping, variation, options, test, directory, "monte-carlo", _progress, ct);
        await AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(summary, Json), ct);
        return summary;
    }

    private async Task<WorstCaseSummary> WorstCaseAsync(Network network, CimMappingOptions mapping, string calibration, string directory, string folder, CancellationToken ct)
    {
        var path = Path.Combine(folder, WorstCaseFile);
        var stored = await StageResultFile.TryLoadAsync(path, "worst-case", (p, c) => StageResultFile.ReadJsonAsync<WorstCaseSummary>(p, Json, s => !s.Points.IsDefaultOrEmpty, c), _log, ct);
        if (stored is not null)
        {
            return stored;
        }

        var test = (await FashionMnist.LoadSplitAsync(directory, "t10k", ct)).Take(_settings.WorstCaseImages);
        var summary = await WorstCaseSummaryAsync(
            network,
            mapping,
            DeviceBoundModel.Parse(calibration),
            WorstCaseOptions.Preset(_settings.WorstCaseMethod) with { Seed = _settings.Seed },
            _settings.WorstCaseKs,
            test,
            Path.Combine(folder, "worst-case"),
            _log,
            ct);
        await AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(summary, Json), ct);
        return summary;
    }

    /// <summary>
    /// Maps <paramref name="network"/>, calibrates the periphery on 1000 training images when the mapping has converters,
    /// and runs the Monte-Carlo evaluation on <paramref name="test"/>, reporting chips done as stage <paramref name="stage"/>.
    /// </summary>
    public static async Task<MonteCarloSummary> MonteCarloSummaryAsync(
        Network network, CimMappingOptions mapping, VariationSpec variation, MonteCarloOptions options, Dataset test, string directory, string stage, IProgress<StageProgress> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(variation);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(progress);
        options.Validate();
        var mapped = MappedNetwork.Map(network, mapping, variation.Window);
        if (mapping.NeedsTiledForward)
        {
            var calibrationImages = (await FashionMnist.LoadSplitAsync(directory, "train", ct)).Take(1000);
            mapped.CalibratePeriphery(calibrationImages.Batch(Enumerable.Range(0, calibrationImages.Count).ToArray()).Input);
        }

        var sw = Stopwatch.StartNew();
        var reporter = new Reporter<MonteCarloProgress>(p => progress.Report(new StageProgress(stage, p.ChipsDone, p.ChipsTotal, $"chip {p.ChipsDone}/{p.ChipsTotal}")));
        var r = new MonteCarloEvaluator(mapped, variation, options).Run(TestSet.FromDataset(test, options.BatchSize), reporter, ct);
        return new MonteCarloSummary(r.NominalAccuracy, r.Mean, r.StandardDeviation, r.Minimum, r.PercentileK, r.Percentile, r.PercentileInterval, r.MeanInterval, r.ConfidenceLevel, r.Images, r.Variation, r.Seed, sw.Elapsed.TotalSeconds, r.ChipAccuracies);
    }

    /// <summary>The worst-case sweep over <paramref name="ks"/> on <paramref name="test"/> (no Monte-Carlo reference), Δ files under <paramref name="outputDirectory"/>.</summary>
    public static async Task<WorstCaseSummary> WorstCaseSummaryAsync(
        Network network, CimMappingOptions mapping, DeviceBoundModel bounds, WorstCaseOptions search, IReadOnlyList<double> ks, Dataset test, string outputDirectory, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(test);
        var request = new WorstCaseRequest
        {
            Ks = ks,
            Bounds = bounds,
            Search = search,
            OutputDirectory = outputDirectory,
            MonteCarloChips = 0,
        };
        var report = await WorstCaseEvaluation.RunAsync(network, mapping, TestSet.FromDataset(test, 1000), request, logger, ct);
        return new WorstCaseSummary(
            report.Method,
            report.Bound,
            report.CleanAccuracy,
            report.Images,
            report.Devices,
            [.. report.Points.Select(p => new WorstCaseSummaryPoint(p.K, p.Accuracy, p.PerturbationPath))],
            report.Seconds);
    }

    /// <summary>Reports synchronously on the caller's thread (Progress&lt;T&gt; would post to a context the CLI does not have).</summary>
    private sealed class Reporter<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
