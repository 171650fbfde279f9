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
    private static readonly string[] Stages = ["characterise", "calibrate", "model", "monte-carlo", "worst-case", "report"];

    public static Command Create(CliServices services)
    {
        var resume = new Option<string?>("--resume") { Description = "Continue an interrupted run in this folder (runs/<timestamp>): finished stages are kept, characterisation resumes cell by cell" };
        var newChip = new Option<bool>("--resume-on-new-chip") { Description = "With --resume: go on even if the chip is not the one that was measured (forming, stuck map and unfinished procedures start again; recorded in the store)" };
        var strict = new Option<bool>("--strict") { Description = "Fail (exit 3) after calibration when the fit lacks a part the plan measured, instead of warning" };
        var json = CliServices.JsonOption();
        var command = new Command("run", "The main job: characterise the configured chip, calibrate its variation model, then Monte-Carlo and worst-case accuracy of LeNet-5, with report.html")
        {
            resume, newChip, strict, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = services.Config(parse);
            var settings = RunSettings.Parse(config.Section("run"));
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

            Directory.CreateDirectory(folder);
            var options = new CimHil.Characterization.CharacterizerOptions { ResumeOnNewChip = parse.GetValue(newChip) };
            var quiet = services.NoProgressBars(parse, parse.GetValue(json));
            using var runLog = services.FolderLogger(parse, Path.Combine(folder, "run.log"));
            await using var chip = await services.ConnectAsync(parse, ct);
            if (!quiet)
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(chip.Identity.ToString())}[/] {chip.Geometry.Rows}×{chip.Geometry.Columns} → {Markup.Escape(folder)}");
            }

            var results = await StageProgressBars.RunAsync(quiet, Stages, progress =>
                new RunPipeline(config, settings, runLog, progress) { CharacterizerOptions = options, Strict = parse.GetValue(strict) }.RunAsync(chip, folder, ct));

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

    private static Table Summary(RunResults r)
    {
        static string P(double? x) => x is { } v ? v.ToString("P2", CultureInfo.InvariantCulture) : "-";
        var t = new Table().Border(TableBorder.Rounded).Title("Run summary").AddColumn("quantity").AddColumn(new TableColumn("value").RightAligned());

        // Cells are plain text: brackets in intervals must not be read as Spectre markup.
        void Row(string quantity, string value) => t.AddRow(new Text(quantity), new Text(value));
        Row("chip", r.Chip);
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

        foreach (var (stage, seconds) in r.StageSeconds.OrderBy(kv => Array.IndexOf(Stages, kv.Key)))
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
