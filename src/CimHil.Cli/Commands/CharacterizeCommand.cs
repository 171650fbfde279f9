using System.CommandLine;
using CimHil.Characterization;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Workflows;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil characterize</c>: run a characterisation plan on the configured chip into a measurement database.</summary>
public static class CharacterizeCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var plan = new Option<string?>("--plan") { Description = "Plan file (plans/default-rram.json, plans/default-pcm.json); with --resume the run's own plan is used when omitted" };
        var output = new Option<string?>("--out") { Description = "Measurement database to create (runs/<name>.db); required unless --dry-run" };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run in --out: finished cells are not programmed again" };
        var newChip = new Option<bool>("--resume-on-new-chip") { Description = "With --resume: go on even if the chip is not the one that was measured (forming, stuck map and unfinished procedures start again; recorded in the store)" };
        var csv = new Option<string?>("--csv") { Description = "Also export the run as CSV files into this directory" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check --plan against the safety limits and the chip, print what each procedure would apply and every violation; apply nothing, create no file" };
        var json = CliServices.JsonOption();
        var command = new Command("characterize", "Run characterisation procedures (forming, I–V, multilevel, cycle-to-cycle, read noise, drift, stuck map) and store every pulse and read")
        {
            plan, output, resume, newChip, csv, dryRun, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var isResume = parse.GetValue(resume);
            var planPath = parse.GetValue(plan);
            if (parse.GetValue(dryRun))
            {
                return await DryRunAsync(services, parse, planPath ?? throw new CliUsageException("--dry-run needs --plan"), parse.GetValue(json), ct);
            }

            var outPath = parse.GetValue(output) ?? throw new CliUsageException("--out is required (except with --dry-run)");
            if (!isResume && parse.GetValue(newChip))
            {
                throw new CliUsageException("--resume-on-new-chip only makes sense with --resume");
            }

            if (!isResume && planPath is null)
            {
                throw new CliUsageException("--plan is required for a new run (only --resume may omit it)");
            }

            if (!isResume && File.Exists(outPath))
            {
                throw new CliUsageException($"--out {outPath} already exists; add --resume to continue it, or choose another file");
            }

            // Validate the plan before anything touches the chip or creates a file; its sections are parsed by the
            // procedures the config's plug-ins add to the built-in ones.
            var config = services.Config(parse);
            var procedures = ProcedurePlugins.Registry(config);
            var givenPlan = planPath is null ? null : CharacterizationPlan.Load(planPath, procedures);
            var logger = services.Logger(parse);
            await using var chip = await services.ConnectAsync(parse, ct);

            // Every stimulus against the limits and the chip before the first pulse and before the store exists, so a
            // refused plan leaves nothing behind (a resume without --plan is checked by the characteriser itself).
            if (givenPlan is not null)
            {
                PlanValidator.Check(givenPlan, chip).ThrowIfInvalid(planPath!);
            }

            using var store = isResume
                ? MeasurementStore.Open(outPath, DateTimeOffset.UtcNow)
                : MeasurementStore.Create(outPath, Path.GetFileNameWithoutExtension(outPath), givenPlan!.Json, RunProvenance.Of(chip, config), DateTimeOffset.UtcNow);
            var thePlan = givenPlan ?? CharacterizationPlan.Parse(store.Run.PlanJson, $"{outPath} (stored plan)", procedures);
            var quiet = services.NoProgressBars(parse, parse.GetValue(json));
            var options = new CharacterizerOptions { ResumeOnNewChip = parse.GetValue(newChip) };
            CharacterizationSummary summary;
            if (quiet)
            {
                summary = await new Characterizer(chip, store, thePlan, logger, null, options).RunAsync(ct);
            }
            else
            {
                summary = await AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .StartAsync(async progress =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>();
                        var reporter = new SynchronousProgress<CharacterizationProgress>(p =>
                        {
                            if (!tasks.TryGetValue(p.Procedure, out var task))
                            {
                                tasks[p.Procedure] = task = progress.AddTask(p.Procedure, maxValue: Math.Max(1, p.UnitsTotal));
                            }

                            task.Value = p.UnitsDone;
                        });
                        var result = await new Characterizer(chip, store, thePlan, logger, reporter, options).RunAsync(ct);
                        foreach (var t in tasks.Values)
                        {
                            t.Value = t.MaxValue;
                        }

                        return result;
                    });
            }

            IReadOnlyList<string> csvFiles = [];
            if (parse.GetValue(csv) is { } dir)
            {
                csvFiles = CsvExport.Write(store, dir, ct);
            }

            if (parse.GetValue(json))
            {
                services.WriteJson(new { summary, database = outPath, csv = csvFiles });
                return ExitCodes.Success;
            }

            services.Output.WriteLine($"run {summary.RunId} session {summary.Session}{(summary.Resumed ? " (resumed)" : string.Empty)}: {summary.UnitsThisSession} units this session, {summary.Units} units and {summary.Measurements} records in {outPath} ({summary.ElapsedSeconds:F1} s)");
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<int> DryRunAsync(CliServices services, ParseResult parse, string planPath, bool asJson, CancellationToken ct)
    {
        var plan = CharacterizationPlan.Load(planPath, ProcedurePlugins.Registry(services.Config(parse)));

        // Connecting reads the chip's geometry and capabilities; it applies nothing (cheap on the emulator, safe on a bench).
        await using var chip = await services.ConnectAsync(parse, ct);
        var check = PlanValidator.Check(plan, chip);
        if (asJson)
        {
            services.WriteJson(check);
        }
        else
        {
            PlanPreviewText.Write(services.Output, check);
        }

        check.ThrowIfInvalid(planPath);
        return ExitCodes.Success;
    }
}
