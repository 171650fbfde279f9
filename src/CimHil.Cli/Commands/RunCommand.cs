using System.CommandLine;
using System.Globalization;
using CimHil.Workflows;
using Serilog;
using Serilog.Events;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil run</c>: the whole bench-to-worst-case pipeline from hil-config.json into runs/&lt;timestamp&gt;/:
/// characterise, calibrate, train or load the model, Monte-Carlo, worst case, report.html.
/// </summary>
public static class RunCommand
{

    public static Command Create(CliServices services)
    {
        var resume = new Option<string?>("--resume") { Description = "Continue an interrupted run in this folder (runs/<timestamp>): finished stages are kept, characterisation resumes cell by cell" };
        var newChip = new Option<bool>("--resume-on-new-chip") { Description = "With --resume: go on even if the chip is not the one that was measured (forming, stuck map and unfinished procedures start again; recorded in the store)" };
        var strict = new Option<bool>("--strict") { Description = "Fail (exit 3) after calibration when the fit lacks a part the plan measured, instead of warning" };
        var fromStore = new Option<string?>("--from-store")
        {
            Description = "Skip characterisation and open no bench: calibrate from this measurement store (from 'cimhil import' or an earlier characterisation), then Monte-Carlo, worst case and report (run.fromStore in hil-config.json)",
        };
        var json = CliServices.JsonOption();
        var command = new Command("run", "The main job: characterise the configured chip, calibrate its variation model, then Monte-Carlo and worst-case accuracy of LeNet-5, with report.html")
        {
            resume, newChip, strict, fromStore, json,
        };
        var device = new SimulationDeviceOptions();
        device.AddTo(command);
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = services.Config(parse);
            var settings = RunSettings.Parse(config.Section("run"));

            // Before the run folder and the bench: a GPU asked for and missing stops the run before any work (docs/gpu.md).
            using var chipDevice = ChipBackendChoice.Open(device, parse, config, services.Logger(parse));
            string folder;
            if (parse.GetValue(resume) is { } existing)
            {
                if (!Directory.Exists(existing))
                {
                    throw new CliUsageException($"--resume {existing}: no such run folder");
                }

                folder = existing;
            }
            else
            {
                folder = RunPipeline.NewRunFolder(settings, DateTimeOffset.UtcNow);
                if (Directory.Exists(folder))
                {
                    throw new CliUsageException($"run folder {folder} already exists; use --resume {folder} to continue it");
                }
            }

            var store = await StoreOf(parse.GetValue(fromStore), settings, parse.GetValue(resume), ct);
            if (store is not null && parse.GetValue(newChip))
            {
                throw new CliUsageException("--resume-on-new-chip: a run from a store uses no chip");
            }

            Directory.CreateDirectory(folder);

            // One OpenBLAS thread for the whole run (RunBlasThreads says why); the bench server's run job does the same.
            RunBlasThreads.Apply();
            var options = new CimHil.Characterization.CharacterizerOptions { ResumeOnNewChip = parse.GetValue(newChip) };
            var display = services.StageProgressDisplay(parse, parse.GetValue(json));
            var quiet = display == ProgressDisplay.None;
            using var runLog = services.FolderLogger(parse, Path.Combine(folder, "run.log"));
            RunResults results;
            try
            {
                if (store is not null)
                {
                    // No bench is opened at all: the measurements come from the store.
                    if (!quiet)
                    {
                        AnsiConsole.MarkupLine($"[bold]store {Markup.Escape(store)}[/] → {Markup.Escape(folder)}");
                    }

                    results = await StageProgressBars.RunAsync(display, RunPipeline.FromStoreStageNames, progress =>
                        new RunPipeline(config, settings, runLog, progress) { MonteCarloBackend = chipDevice.Factory, SearchPasses = chipDevice.SearchPasses, Strict = parse.GetValue(strict) }.RunFromStoreAsync(store, folder, ct), services.Output);
                }
                else
                {
                    await using var chip = await services.ConnectAsync(parse, ct);
                    if (!quiet)
                    {
                        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(chip.Identity.ToString())}[/] {chip.Geometry.Rows}×{chip.Geometry.Columns} → {Markup.Escape(folder)}");
                    }

                    results = await StageProgressBars.RunAsync(display, RunPipeline.StageNames, progress =>
                        new RunPipeline(config, settings, runLog, progress) { MonteCarloBackend = chipDevice.Factory, SearchPasses = chipDevice.SearchPasses, CharacterizerOptions = options, Strict = parse.GetValue(strict) }.RunAsync(chip, folder, ct), services.Output);
                }
            }
            catch (Exception ex)
            {
                // The folder keeps why the run stopped (a bench that did not answer, a bad store, Ctrl-C): a researcher who
                // finds it later reads run.log, never an empty folder. The console gets the error from the command runner.
                runLog.ForContext(CliServices.FileOnlyProperty, true).Error(ex, "Run stopped: {Reason}", ex.Message);
                throw;
            }

            if (parse.GetValue(json))
            {
                services.WriteJson(results);
                return ExitCodes.Success;
            }

            AnsiConsole.Write(Summary(results));
            foreach (var warning in results.Warnings)
            {
                AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
            }

            AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(Path.GetFullPath(results.Report))}[/]");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The store to run from: --from-store, else run.fromStore, else (resuming) the store the folder was made from;
    /// null to characterise the chip. A missing file is refused here, naming where it was given.
    /// </summary>
    private static async Task<string?> StoreOf(string? option, RunSettings settings, string? resumed, CancellationToken ct)
    {
        var (store, origin) = option is not null ? (option, "--from-store")
            : settings.FromStore is not null ? (settings.FromStore, "run.fromStore")
            : resumed is not null && await SourceStore.TryLoadAsync(Path.Combine(resumed, RunPipeline.SourceStoreFile), ct) is { } earlier ? (earlier.Path, $"{RunPipeline.SourceStoreFile} of {resumed}")
            : (null, null);
        if (store is not null && !File.Exists(store))
        {
            throw new CimHil.Characterization.Store.MeasurementStoreException(store, $"no such measurement store (given by {origin}; write one with 'cimhil import' or 'cimhil characterize')");
        }

        return store;
    }

    private static Table Summary(RunResults r)
    {
        static string P(double? x) => x is { } v ? v.ToString("P2", CultureInfo.InvariantCulture) : "-";
        var t = new Table().Border(TableBorder.Rounded).Title("Run summary").AddColumn("quantity").AddColumn(new TableColumn("value").RightAligned());

        // Cells are plain text: brackets in intervals must not be read as Spectre markup.
        void Row(string quantity, string value) => t.AddRow(new Text(quantity), new Text(value));
        Row("chip", r.Chip);
        if (r.Source is { } source)
        {
            Row("measurement store", $"{source.Path} (SHA-256 {source.Sha256[..16]}…, {source.Imports.Length} imports)");
        }

        Row("measurements", r.Measurements.ToString(CultureInfo.InvariantCulture));
        Row("calibration", r.Calibration);
        if (r.MonteCarlo is { } mc)
        {
            Row("clean mapped accuracy", P(mc.CleanAccuracy));
            Row($"Monte-Carlo mean ± sd ({mc.ChipAccuracies.Length} chips)", $"{P(mc.Mean)} ± {P(mc.StandardDeviation)}");
            Row($"Monte-Carlo {Ordinal(mc.PercentileK)} percentile (95 % CI)", $"{P(mc.Percentile)} [{P(mc.PercentileInterval.Low)}, {P(mc.PercentileInterval.High)}]");
            Row("Monte-Carlo minimum", P(mc.Minimum));
        }

        foreach (var p in r.WorstCase?.Points ?? [])
        {
            Row($"worst case, k = {p.K.ToString("0.###", CultureInfo.InvariantCulture)}", P(p.Accuracy));
        }

        foreach (var (stage, seconds) in r.StageSeconds.OrderBy(kv => Math.Max(RunPipeline.StageNames.IndexOf(kv.Key), RunPipeline.FromStoreStageNames.IndexOf(kv.Key))))
        {
            Row($"time: {stage}", $"{seconds.ToString("F1", CultureInfo.InvariantCulture)} s");
        }

        return t;
    }

    private static string Ordinal(double k)
    {
        var text = k.ToString("G3", CultureInfo.InvariantCulture);
        if (k != Math.Floor(k))
        {
            return $"{text}th";
        }

        var n = (long)k;
        var suffix = (n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };
        return text + suffix;
    }
}
