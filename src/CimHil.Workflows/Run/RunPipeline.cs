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
using CimHil.Core.Devices;
using CimHil.Core.Safety;
using CimHil.Reporting;
using CimHil.Reporting.Browser;

namespace CimHil.Workflows;

/// <summary>
/// The main job: connect, characterise, calibrate, train or load the model, Monte-Carlo, worst case, report — all into one run
/// folder. Every stage writes its output file atomically when it finishes; a resumed run skips the stages whose file exists
/// and reads back whole, recomputes a stage whose file is damaged (set aside, with a warning), and resumes characterisation
/// inside its database, so an interrupted run loses nothing it had finished.
/// </summary>
public sealed class RunPipeline : Workflow<RunSettings>
{
    public const string DatabaseFile = "measurements.db";
    public const string CalibrationFile = "calibration.json";
    public const string MonteCarloFile = "monte-carlo.json";
    public const string WorstCaseFile = "worst-case.json";
    public const string ResultsFile = "results.json";
    public const string ReportFile = "report.html";
    public const string ScreenshotFile = "report.png";

    /// <summary>A run of <paramref name="settings"/> under <paramref name="config"/>, logging to <paramref name="logger"/> and reporting each stage to <paramref name="progress"/>.</summary>
    public RunPipeline(HilConfig config, RunSettings settings, ILogger logger, IProgress<StageProgress> progress)
        : base(config, settings, logger, progress, logStageStart: true, "Stage {Stage} finished in {ElapsedSeconds} s")
    {
    }

    /// <summary>How characterisation treats a resume (<c>--resume-on-new-chip</c>).</summary>
    public CharacterizerOptions CharacterizerOptions { get; init; } = CharacterizerOptions.Default;

    /// <summary>Stop after calibration when the fit lacks a part the plan measured (<c>--strict</c>), instead of warning.</summary>
    public bool Strict { get; init; }

    /// <summary>
    /// Called with the characterisation's store once it is open, before its first pulse (new or resumed), so a watcher
    /// (the bench server's live page) can follow its <see cref="MeasurementStore.Stored"/> commits; the store is disposed
    /// when characterisation ends, so the watcher must not keep it.
    /// </summary>
    public Action<MeasurementStore>? StoreOpened { get; init; }

    /// <summary>A new run folder named by the UTC time, under the configured root.</summary>
    public static string NewRunFolder(RunSettings settings, DateTimeOffset now) => RunFolder.New(settings.OutputRoot, now);

    /// <summary>The file of a run from a store (<see cref="RunFromStoreAsync"/>) that records which store it was.</summary>
    public const string SourceStoreFile = "source-store.json";

    /// <summary>The stages of a run on a chip, in order.</summary>
    public static ImmutableArray<string> StageNames { get; } = ["characterise", "calibrate", "model", "monte-carlo", "worst-case", "report"];

    /// <summary>The stages of a run from a store, in order: the store is checked and hashed instead of characterised.</summary>
    public static ImmutableArray<string> FromStoreStageNames { get; } = ["store", "calibrate", "model", "monte-carlo", "worst-case", "report"];

    /// <summary>Runs every stage into <paramref name="folder"/> (new, or an interrupted run's to resume) on <paramref name="chip"/>.</summary>
    public async Task<RunResults> RunAsync(SafeChip chip, string folder, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(chip);
        Directory.CreateDirectory(folder);
        var started = DateTimeOffset.UtcNow;
        var runId = RunFolder.IdOf(folder);
        var db = Path.Combine(folder, DatabaseFile);

        var (map, measurements) = await Stages.RunAsync("characterise", () => CharacteriseAsync(chip, db, runId, ct));
        var head = new RunHead(folder, runId, started, chip.Identity.ToString(), Config.Chip.Driver, db, measurements, RunProvenance.Of(chip, Config), null);
        var conductance = new ConductanceMap(map.Block.Rows, map.Block.Columns, [.. map.CurrentsA.Select(i => i / map.ReadVoltageV)])
        {
            Caption = $"after characterisation, read at {map.ReadVoltageV} V",
        };
        var results = await EvaluateAndReportAsync(head, conductance, ct);

        // The finished folder holds its measurements as one file: the read-only openings after characterisation left the
        // write-ahead log and shared-memory files (MeasurementStore.CheckpointAndClose).
        if (!MeasurementStore.CheckpointAndClose(db))
        {
            Log.Warning("{Database}: another program holds the store open; its -wal and -shm files stay beside it (nothing is lost)", db);
        }

        return results;
    }

    /// <summary>
    /// Runs every stage but characterisation from the measurements in <paramref name="store"/> (imported, or an earlier
    /// characterisation's) into <paramref name="folder"/>: no chip is opened, the store is only read, and the folder
    /// records which store it was (path and SHA-256) and where its measurements came from (source-store.json).
    /// </summary>
    /// <exception cref="MeasurementStoreException">The store is missing, not a store, holds no measurements, or is not the one a resumed folder was made from.</exception>
    /// <exception cref="CalibrationException">Its measurements cannot calibrate a model (the message says what is missing).</exception>
    public async Task<RunResults> RunFromStoreAsync(string store, string folder, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        Directory.CreateDirectory(folder);
        var started = DateTimeOffset.UtcNow;
        var runId = RunFolder.IdOf(folder);
        var source = await Stages.RunAsync("store", () => SourceStoreAsync(store, Path.Combine(folder, SourceStoreFile), ct));
        ConductanceMap? map;
        RunProvenance provenance;
        using (var opened = MeasurementStore.Open(source.Path, DateTimeOffset.UtcNow, readOnly: true))
        {
            map = StoredMap(opened);
            provenance = opened.Run.Provenance;
        }

        var head = new RunHead(folder, runId, started, source.Chip, source.Driver, source.Path, source.Measurements, provenance, source);
        return await EvaluateAndReportAsync(head, map, ct);
    }

    /// <summary>What the first stage of a run established: where it writes, which chip or store, and the measurements it calibrates from.</summary>
    private sealed record RunHead(string Folder, string RunId, DateTimeOffset Started, string Chip, string Driver, string Database, long Measurements, RunProvenance Provenance, SourceStore? Source);

    private async Task<RunResults> EvaluateAndReportAsync(RunHead head, ConductanceMap? map, CancellationToken ct)
    {
        var (folder, runId, started, db) = (head.Folder, head.RunId, head.Started, head.Database);
        var measurements = head.Measurements;
        var calibrationPath = Path.Combine(folder, CalibrationFile);
        var (model, warnings) = await Stages.RunAsync("calibrate", () => CalibrateAsync(db, calibrationPath, runId, head.Source, ct));
        var (network, floatAccuracy) = await Stages.RunAsync("model", () => LoadOrTrainAsync(ct));
        var mapping = CimMappingOptions.FromJson(Config.Section("simulation").SectionOrEmpty("mapping"));
        mapping.Validate();
        var directory = FashionMnist.ResolveDirectory(null);
        var mc = await Stages.RunAsync("monte-carlo", () => MonteCarloAsync(network, mapping, calibrationPath, directory, Path.Combine(folder, MonteCarloFile), ct));
        var wc = await Stages.RunAsync("worst-case", () => WorstCaseAsync(network, mapping, calibrationPath, directory, folder, ct));

        var results = new RunResults
        {
            RunId = runId,
            Folder = folder,
            StartedUtc = started,
            Chip = head.Chip,
            Driver = head.Driver,
            ConfigHash = Config.ContentHash,
            Database = db,
            Measurements = measurements,
            Calibration = calibrationPath,
            CalibrationReport = Path.Combine(folder, RunCalibrationReport.FileName),
            Model = Settings.Model,
            ModelFloatAccuracy = floatAccuracy,
            MonteCarlo = mc,
            WorstCase = wc,
            Report = Path.Combine(folder, ReportFile),
            Warnings = warnings,
            Source = head.Source,
        };

        string? screenshot = null;
        ReportPageResult? page = null;
        await Stages.RunAsync("report", async () =>
        {
            var report = RunReportBuilder.Build(results, head.Provenance, model, map, db, Settings.Seed, Config.Section("emulator").Long("seed", 0));
            await ReportWriter.WriteAsync(report, results.Report, ct);
            if (Settings.Screenshot)
            {
                screenshot = Path.Combine(folder, ScreenshotFile);
                try
                {
                    page = await ReportScreenshot.CaptureAsync(results.Report, screenshot, ct);
                    var empty = page.Plots.Where(p => !p.Visible || p.MarkCount == 0).Select(p => p.Id).ToList();
                    Log.Information("Report checked in Chromium: {ConsoleErrors} console errors, {Plots} plots, screenshot {Screenshot}", page.ConsoleErrors.Count, page.Plots.Count, screenshot);
                    if (page.ConsoleErrors.Count > 0 || empty.Count > 0)
                    {
                        Log.Warning("Report problems: console errors {ConsoleErrors}; plots without data {EmptyPlots}", page.ConsoleErrors, empty);
                    }
                }
                catch (ReportBrowserException ex)
                {
                    // The report itself is written; only its browser check and screenshot are missing.
                    Log.Warning("Report screenshot skipped: {Reason}", ex.Message);
                    screenshot = null;
                }
            }

            return true;
        });

        results = results with { FinishedUtc = DateTimeOffset.UtcNow, Screenshot = screenshot, ReportCheck = page, StageSeconds = Stages.Seconds };
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, ResultsFile), JsonSerializer.Serialize(results, WorkflowJson.Options), ct);
        return results;
    }

    private async Task<(BlockReadResult Map, long Measurements)> CharacteriseAsync(SafeChip chip, string db, string runId, CancellationToken ct)
    {
        var planPath = Settings.Plan ?? Path.Combine("plans", $"default-{chip.Identity.Technology.ToString().ToLowerInvariant()}.json");
        var plan = CharacterizationPlan.Load(planPath, ProcedurePlugins.Registry(Config));
        PlanValidator.Check(plan, chip).ThrowIfInvalid(planPath);
        using var store = File.Exists(db)
            ? MeasurementStore.Open(db, DateTimeOffset.UtcNow)
            : MeasurementStore.Create(db, runId, plan.Json, RunProvenance.Of(chip, Config), DateTimeOffset.UtcNow);
        StoreOpened?.Invoke(store);
        var reporter = new SynchronousProgress<CharacterizationProgress>(p =>
            Stages.Progress.Report(new StageProgress("characterise", p.UnitsDone, Math.Max(1, p.UnitsTotal), p.Procedure)));
        var summary = await new Characterizer(chip, store, plan, Log, reporter, CharacterizerOptions).RunAsync(ct);
        Log.Information("Characterisation: {Units} units, {Measurements} records", summary.Units, summary.Measurements);

        // The conductance map shows the array as characterisation left it, read in one bulk operation.
        var map = await chip.ReadArrayAsync(Math.Min(0.2, chip.Limits.MaxReadVoltageV), ct);
        return (map, summary.Measurements);
    }

    /// <summary>
    /// The calibrated model (fitted, or the one a finished stage left) and its gaps, from one opening of the store. The gaps
    /// are logged as warnings; under <see cref="Strict"/> they stop the run before any simulation.
    /// </summary>
    private async Task<(DeviceVariationModel Model, ImmutableArray<string> Gaps)> CalibrateAsync(string db, string path, string runId, SourceStore? source, CancellationToken ct)
    {
        var stored = await StageResultFile.TryLoadAsync(path, "calibrate", (p, _) => Task.FromResult(DeviceModelFile.Load(p)), Log, ct);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        DeviceVariationModel model;
        try
        {
            model = stored ?? Calibrator.Fit(store, $"run-{runId}", new CalibrationOptions { BootstrapSamples = Settings.BootstrapSamples, Seed = Settings.Seed }, Log);
        }
        catch (CalibrationException ex) when (source is not null)
        {
            // The calibrator says what it lacks; a store from elsewhere also needs to say what it holds and what to add.
            throw new CalibrationException($"{ex.Message}. The store holds {Holdings(source)}; a run needs at least a programVerify import "
                + "(the multilevel procedure, with repeated reads of each cell or a readNoise import for the read noise)");
        }

        if (stored is null)
        {
            DeviceModelFile.Save(model, path);
        }

        // The calibration report beside calibration.json (a resumed run writes it if an earlier run stopped before it).
        var report = Path.Combine(Path.GetDirectoryName(path)!, RunCalibrationReport.FileName);
        if (stored is null || !File.Exists(report))
        {
            await RunCalibrationReport.WriteAsync(model, path, store, db, report, ct);
        }

        var gaps = CalibrationGaps.Find(model, store);
        if (gaps.Count > 0 && Strict)
        {
            throw CalibrationGaps.Incomplete(db, gaps, "the run stops before any simulation");
        }

        foreach (var gap in gaps)
        {
            Log.Warning("Calibration incomplete: {Gap}", gap);
        }

        return (model, [.. gaps]);
    }

    private async Task<(Network Network, double? FloatAccuracy)> LoadOrTrainAsync(CancellationToken ct)
    {
        if (await StageResultFile.TryLoadAsync(Settings.Model, "model", (p, c) => ModelFile.LoadAsync(p, cancellationToken: c), Log, ct) is { } loaded)
        {
            return (loaded, null);
        }

        Log.Information("No model at {Model}: training LeNet-5 for {Epochs} epochs", Settings.Model, Settings.TrainEpochs);
        var (train, test) = await FashionMnist.LoadAsync(null, ct);
        var options = new TrainerOptions { Epochs = Settings.TrainEpochs, Seed = Settings.Seed };
        var network = ModelZoo.Create(ModelZoo.LeNet5, options.Seed);
        var result = await new Trainer(options, Log).TrainAsync(network, train, test, Stages.Training("model"), ct);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(Settings.Model))!);
        await Checkpoint.SaveAsync(network, Settings.Model, new Dictionary<string, string>
        {
            ["test_accuracy"] = (result.FinalTestAccuracy ?? 0).ToString("F4", CultureInfo.InvariantCulture),
            ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["dataset"] = "fashion-mnist",
        }, ct);
        return (network, result.FinalTestAccuracy);
    }

    private Task<MonteCarloSummary> MonteCarloAsync(Network network, CimMappingOptions mapping, string calibration, string directory, string path, CancellationToken ct) =>
        StageResultFile.GetOrComputeJsonAsync(path, "monte-carlo", s => !s.ChipAccuracies.IsDefaultOrEmpty, async () =>
        {
            var e = Settings.Evaluation;
            var test = (await FashionMnist.LoadSplitAsync(directory, "t10k", ct)).Take(e.MonteCarloImages);
            return await EvaluationStages.MonteCarloSummaryAsync(network, mapping, VariationSpec.Parse(calibration), e.MonteCarloOptions(Settings.Seed), test, directory, "monte-carlo", Stages.Progress, ct, MonteCarloBackend);
        }, Log, ct);

    private Task<WorstCaseSummary> WorstCaseAsync(Network network, CimMappingOptions mapping, string calibration, string directory, string folder, CancellationToken ct) =>
        StageResultFile.GetOrComputeJsonAsync(Path.Combine(folder, WorstCaseFile), "worst-case", s => !s.Points.IsDefaultOrEmpty, async () =>
        {
            var e = Settings.Evaluation;
            var test = (await FashionMnist.LoadSplitAsync(directory, "t10k", ct)).Take(e.WorstCaseImages);
            var search = WorstCaseOptions.Preset(e.WorstCaseMethod) with { Seed = Settings.Seed };
            return await EvaluationStages.WorstCaseSummaryAsync(network, mapping, DeviceBoundModel.Parse(calibration), search, e.WorstCaseKs, test, Path.Combine(folder, "worst-case"), Log, "worst-case", Stages.Progress, ct, SearchPasses);
        }, Log, ct);
    /// <summary>Checks the store a run is made from, hashes it and writes source-store.json (a resumed folder must be given the same store).</summary>
    private async Task<SourceStore> SourceStoreAsync(string store, string recordPath, CancellationToken ct)
    {
        var path = Path.GetFullPath(store);
        if (!File.Exists(path))
        {
            throw new MeasurementStoreException(store, "no such measurement store (give a store written by 'cimhil import' or 'cimhil characterize')");
        }

        var sha = await FileHash.Sha256HexAsync(path, ct);
        if (await SourceStore.TryLoadAsync(recordPath, ct) is { } earlier && !string.Equals(earlier.Sha256, sha, StringComparison.Ordinal))
        {
            throw new MeasurementStoreException(store, $"SHA-256 {sha}, but this run folder was made from {earlier.Path} with SHA-256 {earlier.Sha256} "
                + "(its finished stages come from those measurements); start a new run for this store");
        }

        SourceStore source;
        using (var opened = MeasurementStore.Open(path, DateTimeOffset.UtcNow, readOnly: true))
        {
            var counts = opened.Counts();
            if (counts.Measurements == 0)
            {
                throw new MeasurementStoreException(store, "holds no measurements, so there is nothing to calibrate a run from (import some with 'cimhil import', or characterise a chip)");
            }

            var identity = opened.Run.Provenance;
            source = new SourceStore
            {
                Path = path,
                Sha256 = sha,
                StoreRunId = opened.Run.RunId,
                Chip = identity.Chip.ToString(),
                Driver = identity.Driver,
                Measurements = counts.Measurements,
                Procedures = [.. opened.Procedures().Select(p => KeyValuePair.Create(p, opened.Measurements(p, includeUnfinished: true).LongCount()))],
                Imports = [.. opened.Imports()],
            };
        }

        Log.Information("Run from store {Store} (SHA-256 {Sha256}): {Measurements} measurements, {Imports} imports", source.Path, source.Sha256, source.Measurements, source.Imports.Length);
        await AtomicFile.WriteAllTextAsync(recordPath, JsonSerializer.Serialize(source, WorkflowJson.Options), ct);
        return source;
    }

    private static string Holdings(SourceStore source) =>
        string.Join(", ", source.Procedures.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value} {p.Key} records")));

    /// <summary>
    /// The conductance map of a store: each cell's last stored read, NaN where it has none. Arrays above 1024×1024 get no
    /// map (the report would carry millions of cells; an import's geometry can be that large).
    /// </summary>
    private static ConductanceMap? StoredMap(MeasurementStore store)
    {
        var g = store.Run.Provenance.Geometry;
        var reads = store.LastReadsPerCell();
        if ((long)g.Rows * g.Columns > 1 << 20 || reads.Count == 0)
        {
            return null;
        }

        var values = Enumerable.Repeat(double.NaN, g.Rows * g.Columns).ToArray();
        foreach (var r in reads.Where(r => r.Cell.Row < g.Rows && r.Cell.Column < g.Columns))
        {
            values[(r.Cell.Row * g.Columns) + r.Cell.Column] = r.ConductanceS;
        }

        return new ConductanceMap(g.Rows, g.Columns, [.. values]) { Caption = "the last stored read of each cell (from the store; no chip was read)" };
    }
}
